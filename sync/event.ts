import * as fs from "node:fs";
import { InputError } from "../common/errors";
import { isChangeableId } from "./incremental";

/**
 * The ids an event names, from the payload file the workflow passes (`--event "$GITHUB_EVENT_PATH"`):
 *  - repository_dispatch (type orgtrust-org-changed, sent by the trigger stack): every string in `client_payload`
 *    that is an account id, an OU id or the root id (the trigger puts requestParameters.accountId, .organizationalUnitId,
 *    .resourceId, the created OU's id and the create/close results' account id there);
 *  - workflow_dispatch: the `changed` input (ids separated by spaces or commas);
 *  - anything else (schedule, a dispatch that names no id such as AcceptHandshake): no id, so a full crawl.
 */
export interface EventIds {
  ids: string[];
  /** What the event was, for the summary when it names no id. */
  describe: string;
}

function collect(value: unknown, into: Set<string>, depth = 0): void {
  if (depth > 4 || value === null || value === undefined) return;
  if (typeof value === "string") {
    for (const part of value.split(/[\s,]+/)) if (isChangeableId(part)) into.add(part);
  } else if (Array.isArray(value)) for (const v of value) collect(v, into, depth + 1);
  else if (typeof value === "object") for (const v of Object.values(value as Record<string, unknown>)) collect(v, into, depth + 1);
}

export function idsFromEvent(file: string): EventIds {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new InputError(`--event ${file}: not a readable JSON event payload (${(e as Error).message.split("\n")[0]}) (fix: pass "$GITHUB_EVENT_PATH" or a file holding {"client_payload": {...}})`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new InputError(`--event ${file}: not a JSON object (fix: pass "$GITHUB_EVENT_PATH")`);
  const d = data as { client_payload?: unknown; inputs?: { changed?: unknown }; action?: unknown; detail?: unknown };
  const ids = new Set<string>();
  if (d.client_payload !== undefined) collect(d.client_payload, ids);
  else if (d.inputs !== undefined) collect(d.inputs.changed, ids);
  else if (d.detail !== undefined) collect(d.detail, ids); // a raw EventBridge event
  const eventName = (d.client_payload as { eventName?: unknown } | undefined)?.eventName;
  const what = typeof eventName === "string" ? `event ${eventName.replace(/[^A-Za-z0-9]/g, "").slice(0, 64)}` : typeof d.action === "string" ? `dispatch ${d.action.replace(/[^A-Za-z0-9_-]/g, "").slice(0, 64)}` : "the event";
  return { ids: [...ids].sort(), describe: what };
}
