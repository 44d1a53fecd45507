import {
  DescribeOrganizationCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  OrganizationsClient,
  type Account,
  type OrganizationalUnit,
  type Tag,
} from "@aws-sdk/client-organizations";
import { partitionOfArn } from "../common/ids";
import { TaskPool } from "../common/limit";
import { explainAwsError } from "./aws-errors";
import { CallStats, clientConfig, credentialsFor, describeCredentials, sendWithRetry, type AwsOptions } from "./aws";
import { canonicalize, SNAPSHOT_SCHEMA_VERSION, tagRecord, type PathEntry, type Snapshot, type SnapshotAccount, type SnapshotOu } from "./snapshot";

/** Organizations list operations return at most 20 items per page; always ask for 20 so page counts are predictable. */
export const PAGE_SIZE = 20;

export interface DiscoverOptions extends AwsOptions {
  /** Read tags of the root, every OU and every account (one ListTagsForResource each). Default true. */
  tags: boolean;
  onProgress?: (p: { ous: number; accounts: number; calls: number }) => void;
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

/** Reads the live organization: structure, accounts, states and (optionally) tags. */
export async function discoverOrganization(opts: DiscoverOptions): Promise<DiscoveryResult> {
  const stats = new CallStats();
  const credentials = credentialsFor(opts);
  const client = new OrganizationsClient(clientConfig(opts, "organizations", credentials));
  const who = describeCredentials(opts);
  const call = async <T>(op: string, send: () => Promise<T>): Promise<T> => {
    try {
      return await sendWithRetry(op, stats, send);
    } catch (e) {
      throw explainAwsError(e, op, "organizations", who);
    }
  };

  try {
    const { Organization: org } = await call("DescribeOrganization", () => client.send(new DescribeOrganizationCommand({})));
    const roots: Array<{ Id?: string; Name?: string; Arn?: string }> = [];
    let token: string | undefined;
    do {
      const out = await call("ListRoots", () => client.send(new ListRootsCommand({ MaxResults: PAGE_SIZE, NextToken: token })));
      roots.push(...(out.Roots ?? []));
      token = out.NextToken;
    } while (token);
    const root = roots[0];

    const ouRecords = new Map<string, { ou: OrganizationalUnit; parentId: string }>();
    const accountRecords: Array<{ account: Account; parentId: string }> = [];
    const tags = new Map<string, Record<string, string>>();
    const pool = new TaskPool(opts.concurrency);
    const progress = () => opts.onProgress?.({ ous: ouRecords.size, accounts: accountRecords.length, calls: stats.total });

    const readTags = (id: string) =>
      pool.add(async () => {
        const all: Tag[] = [];
        let next: string | undefined;
        do {
          const out = await call("ListTagsForResource", () => client.send(new ListTagsForResourceCommand({ ResourceId: id, NextToken: next })));
          all.push(...(out.Tags ?? []));
          next = out.NextToken;
        } while (next);
        tags.set(id, tagsToRecord(all));
        progress();
      });

    const crawl = (parentId: string) => {
      pool.add(async () => {
        let next: string | undefined;
        do {
          const out = await call("ListOrganizationalUnitsForParent", () =>
            client.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parentId, MaxResults: PAGE_SIZE, NextToken: next })),
          );
          for (const ou of out.OrganizationalUnits ?? []) {
            ouRecords.set(ou.Id!, { ou, parentId });
            crawl(ou.Id!);
            if (opts.tags) readTags(ou.Id!);
          }
          next = out.NextToken;
          progress();
        } while (next);
      });
      pool.add(async () => {
        let next: string | undefined;
        do {
          const out = await call("ListAccountsForParent", () =>
            client.send(new ListAccountsForParentCommand({ ParentId: parentId, MaxResults: PAGE_SIZE, NextToken: next })),
          );
          for (const account of out.Accounts ?? []) {
            accountRecords.push({ account, parentId });
            if (opts.tags) readTags(account.Id!);
          }
          next = out.NextToken;
          progress();
        } while (next);
      });
    };
    crawl(root.Id!);
    if (opts.tags) readTags(root.Id!);
    await pool.drain();

    // Paths from the root, computed once the whole tree is known.
    const rootEntry: PathEntry = { id: root.Id!, name: root.Name ?? "Root" };
    const pathCache = new Map<string, PathEntry[]>([[root.Id!, [rootEntry]]]);
    const pathTo = (nodeId: string): PathEntry[] => {
      const cached = pathCache.get(nodeId);
      if (cached) return cached;
      const rec = ouRecords.get(nodeId);
      if (!rec) return [rootEntry];
      const p = [...pathTo(rec.parentId), { id: nodeId, name: rec.ou.Name ?? nodeId }];
      pathCache.set(nodeId, p);
      return p;
    };

    const organizationalUnits: SnapshotOu[] = [...ouRecords.values()].map(({ ou, parentId }) => ({
      id: ou.Id!,
      name: ou.Name ?? "",
      arn: ou.Arn ?? "",
      parentId,
      path: pathTo(parentId),
      depth: pathTo(parentId).length,
      tags: tags.get(ou.Id!) ?? {},
    }));
    const accounts: SnapshotAccount[] = accountRecords.map(({ account: a, parentId }) => ({
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
      isManagementAccount: a.Id === org?.MasterAccountId,
    }));

    const snapshot = canonicalize({
      schemaVersion: SNAPSHOT_SCHEMA_VERSION,
      organization: {
        id: org!.Id!,
        arn: org!.Arn!,
        partition: partitionOfArn(org!.Arn!) ?? "aws",
        featureSet: org!.FeatureSet ?? "ALL",
        managementAccountId: org!.MasterAccountId!,
        managementAccountEmail: org!.MasterAccountEmail ?? "",
      },
      root: { id: root.Id!, name: root.Name ?? "Root", arn: root.Arn ?? "", tags: tags.get(root.Id!) ?? {} },
      tagsIncluded: opts.tags,
      organizationalUnits,
      accounts,
    });
    return { snapshot, stats, minimumCalls: minimumCalls(snapshot) };
  } finally {
    client.destroy();
  }
}
