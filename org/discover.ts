import type { Account, Organization, OrganizationalUnit, Root, Tag } from "@aws-sdk/client-organizations";
import { CallStats, DeadlineExceeded, RequestTimedOut } from "../aws/client";
import { describeCredentials } from "../aws/credentials";
import { explainAwsError } from "../aws/errors";
import type { AwsOptions } from "../aws/options";
import { malformed, organizationsClient, OrganizationsReader, PAGE_SIZE } from "../aws/organizations";
import { rateController } from "../aws/rate";
import { AwsFailure } from "../common/errors";
import { ACCOUNT_ID_RE, partitionOfArn, ROOT_ID_RE } from "../common/ids";
import { TaskPool } from "../common/limit";
import {
  canonicalize,
  SNAPSHOT_SCHEMA_VERSION,
  snapshotProblem,
  tagRecord,
  type PathEntry,
  type Snapshot,
  type SnapshotAccount,
  type SnapshotOu,
} from "./snapshot";

export { PAGE_SIZE };

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

export const DEFAULT_LIMITS: DiscoveryLimits = {
  requestTimeoutMs: 60_000,
  deadlineMs: 3_600_000,
  maxPagesPerListing: 1_000,
};

export interface DiscoverOptions extends AwsOptions {
  /** Read tags of the root, every OU and every account (one ListTagsForResource each). Default true. */
  tags: boolean;
  /** `throttles`: throttled attempts so far; `rate`: the rate controller's current calls per second. */
  onProgress?: (p: { ous: number; accounts: number; calls: number; throttles: number; rate: number }) => void;
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

const tagsToRecord = (tags: Tag[] | undefined) =>
  tagRecord((tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""] as const));

/** Reads the live organization: structure, accounts, states and (optionally) tags. */
export async function discoverOrganization(opts: DiscoverOptions): Promise<DiscoveryResult> {
  const given = Object.fromEntries(Object.entries(opts.limits ?? {}).filter(([, v]) => v !== undefined));
  const limits: DiscoveryLimits = { ...DEFAULT_LIMITS, ...given };
  const stats = new CallStats();
  const run = AbortSignal.timeout(limits.deadlineMs);
  const client = organizationsClient(opts, stats, { requestTimeoutMs: limits.requestTimeoutMs, deadline: run });
  const rate = rateController();
  const who = describeCredentials(opts);
  const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`;
  const deadlineError = () =>
    new AwsFailure(
      `discovery did not finish within its deadline of ${seconds(limits.deadlineMs)} (${stats.total} Organizations calls made); nothing was written (fix: raise --deadline for an org this large, or lower the load with --concurrency, then run again)`,
    );
  /** What a failed call (after every try) is reported as: the deadline, the request timeout, or the AWS error explained. */
  const explain = (e: unknown, op: string) => {
    if (run.aborted || e instanceof DeadlineExceeded) return deadlineError();
    if (e instanceof RequestTimedOut) {
      return new AwsFailure(
        `organizations:${op}: no complete answer within the request timeout of ${seconds(limits.requestTimeoutMs)}, on every try; nothing was written (fix: check the network, AWS_ENDPOINT_URL and any proxy, or raise --request-timeout)`,
        e,
      );
    }
    return explainAwsError(e, op, "organizations", who);
  };
  const reader = new OrganizationsReader(client, explain, limits.maxPagesPerListing);

  try {
    if (run.aborted) throw deadlineError();
    const org = await reader.describeOrganization();
    if (!org?.Id || !org.Arn || !org.MasterAccountId || !ACCOUNT_ID_RE.test(org.MasterAccountId)) {
      throw malformed("DescribeOrganization", "lacks Organization.Id, Arn or MasterAccountId", "API_Organization.html");
    }
    const roots = await reader.roots();
    if (roots.length !== 1 || !roots[0].Id || !ROOT_ID_RE.test(roots[0].Id) || !roots[0].Arn) {
      throw malformed(
        "ListRoots",
        roots.length === 1
          ? "gives a root without a valid Id or Arn"
          : `lists ${roots.length} roots (an organization has exactly one)`,
        "API_Root.html",
      );
    }
    const root = roots[0];

    // Every (child, parent) pair seen: an OU or account moved during the crawl can be seen under two parents.
    const ouRecords = new Map<string, Map<string, OrganizationalUnit>>();
    const accountRecords = new Map<string, Map<string, Account>>();
    const tags = new Map<string, Record<string, string>>();
    // More listings in progress than requests in flight: a listing waiting out its retry backoff holds no request
    // slot (the rate controller bounds those at --concurrency), so it does not stall the others.
    const pool = new TaskPool(opts.concurrency * 4);
    const progress = () =>
      opts.onProgress?.({
        ous: ouRecords.size,
        accounts: accountRecords.size,
        calls: stats.total,
        throttles: rate.throttles,
        rate: rate.rate,
      });
    const record = <T>(m: Map<string, Map<string, T>>, id: string, parentId: string, item: T) => {
      const byParent = m.get(id) ?? new Map<string, T>();
      const first = !m.has(id);
      byParent.set(parentId, item);
      m.set(id, byParent);
      return first;
    };

    const readTags = (id: string) =>
      pool.add(async () => {
        tags.set(id, tagsToRecord(await reader.tags(id)));
        progress();
      });
    const listOus = (parentId: string, each: (ou: OrganizationalUnit) => void) => reader.ous(parentId, each, progress);
    const listAccounts = (parentId: string, each: (a: Account) => void) => reader.accounts(parentId, each, progress);

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

    await settleMoves("OU", ouRecords, listOus);
    await settleMoves("account", accountRecords, listAccounts);
    const snapshot = toSnapshot(
      org as Required<Organization>,
      root,
      { ous: ouRecords, accounts: accountRecords, tags },
      opts.tags,
    );
    // The same rules a loaded snapshot must keep (e.g. the management account was listed, under a known parent).
    const problem = snapshotProblem(snapshot);
    if (problem)
      throw new AwsFailure(
        `the organization as read from AWS is not consistent: ${problem}; nothing was written (fix: run discover again; if it persists, check AWS_ENDPOINT_URL and any proxy between orgtrust and AWS)`,
      );
    return { snapshot, stats, minimumCalls: minimumCalls(snapshot) };
  } finally {
    client.destroy();
  }
}

/**
 * Seen under two parents: moved while the crawl ran. Re-read each candidate parent's listing; the one that still
 * lists it is its parent now. (A moved OU's subtree was read once, from whichever parent listed it first.)
 */
async function settleMoves<T>(
  kind: string,
  m: Map<string, Map<string, T>>,
  relist: (parentId: string, each: (item: { Id?: string }) => void) => Promise<void>,
): Promise<void> {
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
      throw new AwsFailure(
        `${kind} ${id} moved while discovery ran (seen under ${[...byParent.keys()].join(" and ")}) and is ${now.length ? "still listed under both" : "listed under neither now"}; nothing was written (fix: run discover again once the move is done)`,
      );
    }
    for (const p of [...byParent.keys()]) if (p !== now[0]) byParent.delete(p);
  }
}

/** What the crawl read: every (child, parent) pair seen (one each once moves are settled) and the tags. */
interface Crawled {
  ous: Map<string, Map<string, OrganizationalUnit>>;
  accounts: Map<string, Map<string, Account>>;
  tags: Map<string, Record<string, string>>;
}

const only = <T>(m: Map<string, T>): [string, T] => [...m.entries()][0];

/** The canonical snapshot of what the crawl read, with each node's path from the root. */
function toSnapshot(org: Required<Organization>, root: Root, c: Crawled, tagsIncluded: boolean): Snapshot {
  // Paths from the root, computed once the whole tree is known.
  const rootEntry: PathEntry = { id: root.Id!, name: root.Name ?? "Root" };
  const pathCache = new Map<string, PathEntry[]>([[root.Id!, [rootEntry]]]);
  const pathTo = (nodeId: string, depth = 0): PathEntry[] => {
    const cached = pathCache.get(nodeId);
    if (cached) return cached;
    const rec = c.ous.get(nodeId);
    if (!rec || depth > c.ous.size) return [rootEntry];
    const [parentId, ou] = only(rec);
    const p = [...pathTo(parentId, depth + 1), { id: nodeId, name: ou.Name ?? nodeId }];
    pathCache.set(nodeId, p);
    return p;
  };

  const organizationalUnits: SnapshotOu[] = [...c.ous.entries()].map(([id, rec]) => {
    const [parentId, ou] = only(rec);
    return {
      id,
      name: ou.Name ?? "",
      arn: ou.Arn ?? "",
      parentId,
      path: pathTo(parentId),
      depth: pathTo(parentId).length,
      tags: c.tags.get(id) ?? {},
    };
  });
  const accounts: SnapshotAccount[] = [...c.accounts.values()].map((rec) => {
    const [parentId, a] = only(rec);
    return snapshotAccountOf(a, parentId, pathTo(parentId), c.tags.get(a.Id!) ?? {}, org.MasterAccountId);
  });

  return canonicalize({
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    organization: {
      id: org.Id,
      arn: org.Arn,
      partition: partitionOfArn(org.Arn) ?? "aws",
      featureSet: org.FeatureSet ?? "ALL",
      managementAccountId: org.MasterAccountId,
      managementAccountEmail: org.MasterAccountEmail ?? "",
    },
    root: { id: root.Id!, name: root.Name ?? "Root", arn: root.Arn ?? "", tags: c.tags.get(root.Id!) ?? {} },
    tagsIncluded,
    organizationalUnits,
    accounts,
  });
}

/** An Organizations account as the snapshot records it (discovery and sync's incremental refresh alike). */
export function snapshotAccountOf(
  a: Account,
  parentId: string,
  path: PathEntry[],
  tags: Record<string, string>,
  managementAccountId: string | undefined,
): SnapshotAccount {
  return {
    id: a.Id!,
    name: a.Name ?? "",
    email: a.Email ?? "",
    arn: a.Arn ?? "",
    state: String(a.State ?? a.Status ?? "ACTIVE"),
    parentId,
    path,
    tags,
    joinedTimestamp: a.JoinedTimestamp ? new Date(a.JoinedTimestamp).toISOString() : null,
    joinedMethod: a.JoinedMethod ?? null,
    isManagementAccount: a.Id === managementAccountId,
  };
}
