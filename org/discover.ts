import {
  DescribeOrganizationCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  OrganizationsClient,
  type Account,
  type OrganizationalUnit,
  type Root,
  type Tag,
} from "@aws-sdk/client-organizations";
import { AwsFailure } from "../common/errors";
import { ACCOUNT_ID_RE, OU_ID_RE, partitionOfArn, ROOT_ID_RE } from "../common/ids";
import { TaskPool } from "../common/limit";
import { explainAwsError } from "./aws-errors";
import { CallStats, clientConfig, credentialsFor, describeCredentials, sendWithRetry, type AwsOptions } from "./aws";
import { rateControlled, rateController } from "./rate";
import { canonicalize, SNAPSHOT_SCHEMA_VERSION, snapshotProblem, tagRecord, type PathEntry, type Snapshot, type SnapshotAccount, type SnapshotOu } from "./snapshot";

/** Organizations list operations return at most 20 items per page; always ask for 20 so page counts are predictable. */
export const PAGE_SIZE = 20;

/**
 * Bounds on a crawl, so a misbehaving endpoint ends the run (exit 3, one line) instead of holding it forever: a
 * deadline on each request (the whole answer, not just an idle socket: a one-byte-per-second answer ends too), one on
 * the whole run, and a cap on the pages of one listing (besides a NextToken seen twice, which ends it at once).
 */
export interface DiscoveryLimits {
  /** Each request, from sending to the last byte of the answer (default 60 s; --request-timeout). */
  requestTimeoutMs: number;
  /** The whole discovery (default 1 h; --deadline). */
  deadlineMs: number;
  /** Pages of one listing (one parent's OUs, accounts or one resource's tags) (default 1,000; --max-pages). */
  maxPagesPerListing: number;
}

export const DEFAULT_LIMITS: DiscoveryLimits = { requestTimeoutMs: 60_000, deadlineMs: 3_600_000, maxPagesPerListing: 1_000 };

export interface DiscoverOptions extends AwsOptions {
  /** Read tags of the root, every OU and every account (one ListTagsForResource each). Default true. */
  tags: boolean;
  /** `throttles`: throttled attempts so far; `rate`: the rate controller's current calls per second. */
  onProgress?: (p: { ous: number; accounts: number; calls: number; throttles: number; rate: number }) => void;
}

const API_REF = "https://docs.aws.amazon.com/organizations/latest/APIReference";

/**
 * A 2xx answer that is not what the Organizations API reference documents: an error body with HTTP 200 (it would
 * otherwise read as an empty page, and the org would silently lose accounts), or a required field missing.
 */
function malformed(op: string, what: string, doc = `API_${op}.html`): AwsFailure {
  return new AwsFailure(
    `organizations:${op}: the answer ${what}, unlike what the Organizations API reference documents (${API_REF}/${doc}); nothing was written (fix: check AWS_ENDPOINT_URL and any proxy between orgtrust and AWS, then run again)`,
  );
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Reads the raw body of every 2xx answer before the SDK parses it: a JSON body of the AWS error shape
 * (`{"__type": "AccessDeniedException", ...}`, https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html,
 * "Operation error serialization") is raised as that error instead of being parsed as an empty result.
 */
function rejectErrorShapedBodies(client: OrganizationsClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      const res = out.response as { statusCode?: number; body?: unknown };
      if ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300 && res.body && typeof (res.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === "function") {
        const chunks: Buffer[] = [];
        for await (const c of res.body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
        const buf = Buffer.concat(chunks);
        res.body = new Uint8Array(buf);
        let parsed: unknown;
        try {
          parsed = JSON.parse(buf.toString("utf8"));
        } catch {
          parsed = undefined;
        }
        const type = isObject(parsed) ? (parsed.__type ?? parsed.code) : undefined;
        if (typeof type === "string" && type) {
          const name = type.split("#").pop()!.split(":")[0];
          // eslint-disable-next-line @typescript-eslint/no-base-to-string -- an error-shaped body's message is text; an object one is printed as is
          const message = String((isObject(parsed) && (parsed.message ?? parsed.Message)) || `${name} in an HTTP ${res.statusCode} answer`);
          const op = String((context as { commandName?: string }).commandName ?? "").replace(/Command$/, "");
          throw Object.assign(new Error(message), { name, $fault: "client", $metadata: { httpStatusCode: res.statusCode }, errorShapedBody: true, operation: op });
        }
      }
      return out;
    },
    { step: "deserialize", priority: "low", name: "orgtrustRejectErrorShapedBodies" },
  );
}

export interface DiscoveryResult {
  snapshot: Snapshot;
  stats: CallStats;
  /** The minimum number of calls for the discovered shape (minimumCalls). */
  minimumCalls: number;
}

const pages = (n: number) => Math.max(1, Math.ceil(n / PAGE_SIZE));

/**
 * The fewest Organizations calls that can read an org of this shape (pages of 20, no DescribeAccount or ListParents):
 *
 *   calls = 1                                  DescribeOrganization
 *         + 1                                  ListRoots (one root)
 *         + Σ over the root and every OU p:
 *             max(1, ⌈childOUs(p) / 20⌉)       ListOrganizationalUnitsForParent
 *           + max(1, ⌈accounts(p) / 20⌉)       ListAccountsForParent
 *         + (tags ? 1 + OUs + accounts : 0)    ListTagsForResource, one per root, OU and account
 *
 * Every account has exactly one parent, so the per-parent account listings also cover every account once:
 * no ListAccounts walk is needed. AWS may answer with short or empty pages, which adds calls.
 */
export function minimumCalls(s: Snapshot): number {
  const parents = [s.root.id, ...s.organizationalUnits.map((o) => o.id)];
  const ouChildren = new Map<string, number>();
  const accountChildren = new Map<string, number>();
  for (const o of s.organizationalUnits) ouChildren.set(o.parentId, (ouChildren.get(o.parentId) ?? 0) + 1);
  for (const a of s.accounts) accountChildren.set(a.parentId, (accountChildren.get(a.parentId) ?? 0) + 1);
  let n = 2;
  for (const p of parents) n += pages(ouChildren.get(p) ?? 0) + pages(accountChildren.get(p) ?? 0);
  if (s.tagsIncluded) n += 1 + s.organizationalUnits.length + s.accounts.length;
  return n;
}

const tagsToRecord = (tags: Tag[] | undefined) => tagRecord((tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""] as const));

/**
 * The Organizations client every reader of the org uses (discovery, sync's incremental refresh): the shared
 * credentials, an error-shaped 2xx body raised as that error (fail closed), and the process-wide rate controller
 * (--max-rate, organization.maxRate, --concurrency).
 */
export function organizationsClient(opts: AwsOptions): OrganizationsClient {
  const client = new OrganizationsClient(clientConfig(opts, "organizations", credentialsFor(opts)));
  rejectErrorShapedBodies(client);
  const rate = rateController();
  rate.configure({ maxRate: opts.maxRate, concurrency: opts.concurrency });
  rateControlled(client, rate);
  return client;
}

/** Reads the live organization: structure, accounts, states and (optionally) tags. */
export async function discoverOrganization(opts: DiscoverOptions): Promise<DiscoveryResult> {
  const given = Object.fromEntries(Object.entries(opts.limits ?? {}).filter(([, v]) => v !== undefined));
  const limits: DiscoveryLimits = { ...DEFAULT_LIMITS, ...given };
  const stats = new CallStats();
  const client = organizationsClient(opts);
  const rate = rateController();
  const who = describeCredentials(opts);
  const run = AbortSignal.timeout(limits.deadlineMs);
  const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`;
  const deadlineError = () =>
    new AwsFailure(`discovery did not finish within its deadline of ${seconds(limits.deadlineMs)} (${stats.total} Organizations calls made); nothing was written (fix: raise --deadline for an org this large, or lower the load with --concurrency, then run again)`);
  /** One logical call: orgtrust's retries around the SDK's, each attempt bounded by the request timeout and the run's deadline. */
  const call = async <T>(op: string, send: (o: { abortSignal: AbortSignal }) => Promise<T>): Promise<T> => {
    if (run.aborted) throw deadlineError();
    const attempt = async () => {
      const request = AbortSignal.timeout(limits.requestTimeoutMs);
      try {
        return await send({ abortSignal: AbortSignal.any([run, request]) });
      } catch (e) {
        if (run.aborted) throw deadlineError();
        if (request.aborted) throw Object.assign(new Error(`no complete answer within ${seconds(limits.requestTimeoutMs)}`), { name: "TimeoutError", requestTimeout: true });
        throw e;
      }
    };
    try {
      return await sendWithRetry(op, stats, attempt);
    } catch (e) {
      if (run.aborted) throw deadlineError();
      if ((e as { requestTimeout?: boolean }).requestTimeout) {
        throw new AwsFailure(`organizations:${op}: no complete answer within the request timeout of ${seconds(limits.requestTimeoutMs)}, on every try; nothing was written (fix: check the network, AWS_ENDPOINT_URL and any proxy, or raise --request-timeout)`, e);
      }
      throw explainAwsError(e, op, "organizations", who);
    }
  };
  /** Every page of one listing: stops on a NextToken seen before (a loop) and after maxPagesPerListing pages. */
  const paginate = async <T extends { NextToken?: string }>(op: string, what: string, page: (token: string | undefined, o: { abortSignal: AbortSignal }) => Promise<T>, onPage: (out: T) => void) => {
    const seen = new Set<string>();
    let token: string | undefined;
    let pages = 0;
    do {
      if (++pages > limits.maxPagesPerListing) {
        throw new AwsFailure(`organizations:${op} for ${what}: still returning a NextToken after ${limits.maxPagesPerListing} pages; nothing was written (fix: raise --max-pages if the org really is that large, else check AWS_ENDPOINT_URL and any proxy)`);
      }
      const t = token;
      const out = await call(op, (o) => page(t, o));
      onPage(out);
      token = out.NextToken || undefined;
      if (token !== undefined) {
        if (seen.has(token)) throw malformed(op, `for ${what} repeated a NextToken it had already returned (a pagination loop)`);
        seen.add(token);
      }
    } while (token);
  };
  const list = <T>(op: string, out: object, field: string): T[] => {
    const v = (out as Record<string, unknown>)[field];
    if (!Array.isArray(v)) throw malformed(op, `has no ${field} list`);
    return v as T[];
  };

  try {
    const described = await call("DescribeOrganization", (o) => client.send(new DescribeOrganizationCommand({}), o));
    const org = described.Organization;
    if (!org?.Id || !org.Arn || !org.MasterAccountId || !ACCOUNT_ID_RE.test(org.MasterAccountId)) {
      throw malformed("DescribeOrganization", "lacks Organization.Id, Arn or MasterAccountId", "API_Organization.html");
    }
    const roots: Array<{ Id?: string; Name?: string; Arn?: string }> = [];
    await paginate("ListRoots", "the organization", (token, o) => client.send(new ListRootsCommand({ MaxResults: PAGE_SIZE, NextToken: token }), o), (out) => roots.push(...list<Root>("ListRoots", out, "Roots")));
    if (roots.length !== 1 || !roots[0].Id || !ROOT_ID_RE.test(roots[0].Id) || !roots[0].Arn) {
      throw malformed("ListRoots", roots.length === 1 ? "gives a root without a valid Id or Arn" : `lists ${roots.length} roots (an organization has exactly one)`, "API_Root.html");
    }
    const root = roots[0];

    // Every (child, parent) pair seen: an OU or account moved during the crawl can be seen under two parents.
    const ouRecords = new Map<string, Map<string, OrganizationalUnit>>();
    const accountRecords = new Map<string, Map<string, Account>>();
    const tags = new Map<string, Record<string, string>>();
    // More listings in progress than requests in flight: a listing waiting out its retry backoff holds no request
    // slot (the rate controller bounds those at --concurrency), so it does not stall the others.
    const pool = new TaskPool(opts.concurrency * 4);
    const progress = () => opts.onProgress?.({ ous: ouRecords.size, accounts: accountRecords.size, calls: stats.total, throttles: rate.throttles, rate: rate.rate });
    const record = <T>(m: Map<string, Map<string, T>>, id: string, parentId: string, item: T) => {
      const byParent = m.get(id) ?? new Map<string, T>();
      const first = !m.has(id);
      byParent.set(parentId, item);
      m.set(id, byParent);
      return first;
    };

    const readTags = (id: string) =>
      pool.add(async () => {
        const all: Tag[] = [];
        await paginate("ListTagsForResource", id, (next, o) => client.send(new ListTagsForResourceCommand({ ResourceId: id, NextToken: next }), o), (out) => all.push(...list<Tag>("ListTagsForResource", out, "Tags")));
        tags.set(id, tagsToRecord(all));
        progress();
      });

    const listOus = async (parentId: string, each: (ou: OrganizationalUnit) => void) =>
      paginate(
        "ListOrganizationalUnitsForParent",
        parentId,
        (next, o) => client.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parentId, MaxResults: PAGE_SIZE, NextToken: next }), o),
        (out) => {
          for (const ou of list<OrganizationalUnit>("ListOrganizationalUnitsForParent", out, "OrganizationalUnits")) {
            if (!ou.Id || !OU_ID_RE.test(ou.Id) || !ou.Arn) throw malformed("ListOrganizationalUnitsForParent", "lists an OU without a valid Id or Arn", "API_OrganizationalUnit.html");
            each(ou);
          }
          progress();
        },
      );
    const listAccounts = async (parentId: string, each: (a: Account) => void) =>
      paginate(
        "ListAccountsForParent",
        parentId,
        (next, o) => client.send(new ListAccountsForParentCommand({ ParentId: parentId, MaxResults: PAGE_SIZE, NextToken: next }), o),
        (out) => {
          for (const a of list<Account>("ListAccountsForParent", out, "Accounts")) {
            if (!a.Id || !ACCOUNT_ID_RE.test(a.Id) || !a.Arn) throw malformed("ListAccountsForParent", "lists an account without a valid Id or Arn", "API_Account.html");
            each(a);
          }
          progress();
        },
      );

    const crawl = (parentId: string) => {
      pool.add(() =>
        listOus(parentId, (ou) => {
          if (record(ouRecords, ou.Id!, parentId, ou)) {
            crawl(ou.Id!);
            if (opts.tags) readTags(ou.Id!);
          }
        }),
      );
      pool.add(() =>
        listAccounts(parentId, (account) => {
          if (record(accountRecords, account.Id!, parentId, account) && opts.tags) readTags(account.Id!);
        }),
      );
    };
    crawl(root.Id!);
    if (opts.tags) readTags(root.Id!);
    await pool.drain();

    // Seen under two parents: moved while the crawl ran. Re-read each candidate parent's listing; the one that still
    // lists it is its parent now. (A moved OU's subtree was read once, from whichever parent listed it first.)
    const settle = async <T>(kind: string, m: Map<string, Map<string, T>>, relist: (parentId: string, each: (item: { Id?: string }) => void) => Promise<void>) => {
      for (const [id, byParent] of m) {
        if (byParent.size < 2) continue;
        const now: string[] = [];
        for (const parentId of byParent.keys()) {
          let found = false;
          await relist(parentId, (item) => {
            if (item.Id === id) found = true;
          });
          if (found) now.push(parentId);
        }
        if (now.length !== 1) {
          throw new AwsFailure(`${kind} ${id} moved while discovery ran (seen under ${[...byParent.keys()].join(" and ")}) and is ${now.length ? "still listed under both" : "listed under neither now"}; nothing was written (fix: run discover again once the move is done)`);
        }
        for (const p of [...byParent.keys()]) if (p !== now[0]) byParent.delete(p);
      }
    };
    await settle("OU", ouRecords, listOus);
    await settle("account", accountRecords, listAccounts);
    const only = <T>(m: Map<string, T>): [string, T] => [...m.entries()][0];

    // Paths from the root, computed once the whole tree is known.
    const rootEntry: PathEntry = { id: root.Id!, name: root.Name ?? "Root" };
    const pathCache = new Map<string, PathEntry[]>([[root.Id!, [rootEntry]]]);
    const pathTo = (nodeId: string, depth = 0): PathEntry[] => {
      const cached = pathCache.get(nodeId);
      if (cached) return cached;
      const rec = ouRecords.get(nodeId);
      if (!rec || depth > ouRecords.size) return [rootEntry];
      const [parentId, ou] = only(rec);
      const p = [...pathTo(parentId, depth + 1), { id: nodeId, name: ou.Name ?? nodeId }];
      pathCache.set(nodeId, p);
      return p;
    };

    const organizationalUnits: SnapshotOu[] = [...ouRecords.entries()].map(([id, rec]) => {
      const [parentId, ou] = only(rec);
      return {
        id,
        name: ou.Name ?? "",
        arn: ou.Arn ?? "",
        parentId,
        path: pathTo(parentId),
        depth: pathTo(parentId).length,
        tags: tags.get(id) ?? {},
      };
    });
    const accounts: SnapshotAccount[] = [...accountRecords.values()].map((rec) => {
      const [parentId, a] = only(rec);
      return {
        id: a.Id!,
        name: a.Name ?? "",
        email: a.Email ?? "",
        arn: a.Arn ?? "",
        state: String(a.State ?? a.Status ?? "ACTIVE"),
        parentId,
        path: pathTo(parentId),
        tags: tags.get(a.Id!) ?? {},
        joinedTimestamp: a.JoinedTimestamp ? new Date(a.JoinedTimestamp).toISOString() : null,
        joinedMethod: a.JoinedMethod ?? null,
        isManagementAccount: a.Id === org.MasterAccountId,
      };
    });

    const snapshot = canonicalize({
      schemaVersion: SNAPSHOT_SCHEMA_VERSION,
      organization: {
        id: org.Id,
        arn: org.Arn,
        partition: partitionOfArn(org.Arn) ?? "aws",
        featureSet: org.FeatureSet ?? "ALL",
        managementAccountId: org.MasterAccountId,
        managementAccountEmail: org.MasterAccountEmail ?? "",
      },
      root: { id: root.Id!, name: root.Name ?? "Root", arn: root.Arn ?? "", tags: tags.get(root.Id!) ?? {} },
      tagsIncluded: opts.tags,
      organizationalUnits,
      accounts,
    });
    // The same rules a loaded snapshot must keep (e.g. the management account was listed, under a known parent).
    const problem = snapshotProblem(snapshot);
    if (problem) throw new AwsFailure(`the organization as read from AWS is not consistent: ${problem}; nothing was written (fix: run discover again; if it persists, check AWS_ENDPOINT_URL and any proxy between orgtrust and AWS)`);
    return { snapshot, stats, minimumCalls: minimumCalls(snapshot) };
  } finally {
    client.destroy();
  }
}
