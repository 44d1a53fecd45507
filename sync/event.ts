import * as fs from "node:fs";
import { InputError } from "../common/errors";
import { isChangeableId } from "./incremental";

/**
 * The ids an event names, from the payload file the workflow passes (`--event "$GITHUB_EVENT_PATH"`):
 *  - repository_dispatch (type orgtrust-org-changed, sent by the trigger stack): client_payload.event is the EventBridge
 *    event; the id comes from the CloudTrail field its eventName puts it in (ID_FIELDS). A dispatch sent by hand
 *    (gh api .../dispatches -f event_type=orgtrust-org-changed -f client_payload[ids]=...): every id in client_payload;
 *  - workflow_dispatch: the `changed` input (ids separated by spaces or commas);
 *  - anything else (schedule, a dispatch that names no id such as AcceptHandshake): no id, so a full crawl.
 */
export interface EventIds {
  ids: string[];
  /** What the event was, for the summary when it names no id. */
  describe: string;
  /** A scheduled run (or another event that is no change notice): a full crawl is the plan, not a fallback. */
  scheduled: boolean;
}

function collect(value: unknown, into: Set<string>, depth = 0): void {
  if (depth > 4 || value === null || value === undefined) return;
  if (typeof value === "string") {
    for (const part of value.split(/[\s,]+/)) if (isChangeableId(part)) into.add(part);
  } else if (Array.isArray(value)) for (const v of value) collect(v, into, depth + 1);
  else if (typeof value === "object")
    for (const v of Object.values(value as Record<string, unknown>)) collect(v, into, depth + 1);
}

type Detail = {
  eventName?: unknown;
  requestParameters?: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  serviceEventDetails?: Record<string, Record<string, unknown> | undefined> | null;
  recipientAccountId?: unknown;
};

/**
 * Where each routed CloudTrail event names the changed account or OU (CloudTrail record fields, AWS Organizations
 * user guide "Logging and monitoring"). Events that name none precisely (handshakes, joins and departures) give no id:
 * a full crawl.
 */
const ID_FIELDS: Record<string, (d: Detail) => unknown[]> = {
  CreateAccountResult: (d) => [d.serviceEventDetails?.createAccountStatus?.accountId],
  CloseAccountResult: (d) => [d.serviceEventDetails?.closeAccountStatus?.accountId],
  MoveAccount: (d) => [d.requestParameters?.accountId],
  RemoveAccountFromOrganization: (d) => [d.requestParameters?.accountId],
  CreateOrganizationalUnit: (d) => [(d.responseElements?.organizationalUnit as { id?: unknown } | undefined)?.id],
  UpdateOrganizationalUnit: (d) => [d.requestParameters?.organizationalUnitId],
  DeleteOrganizationalUnit: (d) => [d.requestParameters?.organizationalUnitId],
  TagResource: (d) => [d.requestParameters?.resourceId],
  UntagResource: (d) => [d.requestParameters?.resourceId],
  // Account Management: without accountId the caller renamed its own account.
  PutAccountName: (d) => [d.requestParameters?.accountId ?? d.recipientAccountId],
  CreateManagedAccount: (d) => [
    (d.serviceEventDetails?.createManagedAccountStatus?.account as { accountId?: unknown } | undefined)?.accountId,
  ],
  UpdateManagedAccount: (d) => [
    (d.serviceEventDetails?.updateManagedAccountStatus?.account as { accountId?: unknown } | undefined)?.accountId,
  ],
};

/** The ids a CloudTrail event (an EventBridge event's detail) names; empty when it names none precisely. */
export function idsFromCloudTrail(detail: unknown): string[] {
  if (typeof detail !== "object" || detail === null) return [];
  const d = detail as Detail;
  const pick = typeof d.eventName === "string" ? ID_FIELDS[d.eventName] : undefined;
  if (!pick) return [];
  return pick(d).filter((v): v is string => typeof v === "string" && isChangeableId(v));
}

export function idsFromEvent(file: string): EventIds {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new InputError(
      `--event ${file}: not a readable JSON event payload (${(e as Error).message.split("\n")[0]}) (fix: pass "$GITHUB_EVENT_PATH" or a file holding {"client_payload": {...}})`,
    );
  }
  if (typeof data !== "object" || data === null || Array.isArray(data))
    throw new InputError(`--event ${file}: not a JSON object (fix: pass "$GITHUB_EVENT_PATH")`);
  const d = data as { client_payload?: unknown; inputs?: { changed?: unknown }; action?: unknown; detail?: unknown };
  const ids = new Set<string>();
  const event = (d.client_payload as { event?: { detail?: unknown } } | undefined)?.event;
  const detail = event && typeof event === "object" ? event.detail : d.detail; // the trigger's payload, or a raw EventBridge event
  if (detail !== undefined) for (const id of idsFromCloudTrail(detail)) ids.add(id);
  else if (d.client_payload !== undefined)
    collect(d.client_payload, ids); // a dispatch sent by hand: {"ids": "..."}
  else if (d.inputs !== undefined) collect(d.inputs.changed, ids);
  const eventName = (detail as { eventName?: unknown } | undefined)?.eventName;
  const what =
    typeof eventName === "string"
      ? `event ${eventName.replace(/[^A-Za-z0-9]/g, "").slice(0, 64)}`
      : typeof d.action === "string"
        ? `dispatch ${d.action.replace(/[^A-Za-z0-9_-]/g, "").slice(0, 64)}`
        : "the event";
  const scheduled = d.client_payload === undefined && d.inputs === undefined && d.detail === undefined;
  return { ids: [...ids].sort(), describe: what, scheduled };
}
