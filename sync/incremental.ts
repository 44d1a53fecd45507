import {
  AccountNotFoundException,
  OrganizationalUnitNotFoundException,
  type Account,
  type Tag,
} from "@aws-sdk/client-organizations";
import { CallStats } from "../aws/client";
import { describeCredentials } from "../aws/credentials";
import { explainAwsError } from "../aws/errors";
import type { AwsOptions } from "../aws/options";
import { organizationsClient, OrganizationsReader } from "../aws/organizations";
import { ACCOUNT_ID_RE, OU_ID_RE, ROOT_ID_RE } from "../common/ids";
import { TaskPool } from "../common/limit";
import { DEFAULT_LIMITS, snapshotAccountOf } from "../org/discover";
import { canonicalize, type PathEntry, type Snapshot, type SnapshotAccount, type SnapshotOu } from "../org/snapshot";

/**
 * Incremental refresh: applies what an event names to the committed snapshot instead of crawling the whole org.
 *
 *   account id  DescribeAccount (name, email, state, joined) + ListParents (its parent; the path above a known parent
 *               comes from the snapshot, an unknown parent OU is refreshed as an OU first) + ListTagsForResource:
 *               3 calls. Gone from the org (AccountNotFoundException): removed. Closed: its state.
 *   OU id       DescribeOrganizationalUnit + ListParents + ListTagsForResource, then the normal crawl of its subtree
 *               (ListOrganizationalUnitsForParent, ListAccountsForParent and tags for each node). Accounts the snapshot
 *               had below it that the crawl no longer finds are refreshed one by one (moved out or removed). Deleted
 *               (OrganizationalUnitNotFoundException): removed with its subtree.
 *   root id     ListTagsForResource of the root.
 *
 * The result is meant to equal a full crawl of the same org byte for byte (test/integration/sync-incremental.test.ts checks it on
 * random changes). When a change cannot be applied (a parent outside the root the snapshot knows, too many ids), the
 * result says why and the caller crawls the whole org instead.
 */
export interface IncrementalOutcome {
  /** The refreshed snapshot, or undefined when the change cannot be applied incrementally (see fallback). */
  snapshot?: Snapshot;
  fallback?: string;
  stats: CallStats;
}

/** Above this many ids a full crawl is the better deal (and events in a burst are collapsed by the workflow anyway). */
export const MAX_INCREMENTAL_IDS = 50;

class CannotApply extends Error {}

const tagsToRecord = (tags: Tag[] | undefined) =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));

/** Checks --changed ids: 12-digit account ids, OU ids or the root id. */
export function isChangeableId(id: string): boolean {
  return ACCOUNT_ID_RE.test(id) || OU_ID_RE.test(id) || ROOT_ID_RE.test(id);
}

export async function refreshIncrementally(
  base: Snapshot,
  ids: readonly string[],
  opts: AwsOptions,
): Promise<IncrementalOutcome> {
  const stats = new CallStats();
  const unique = [...new Set(ids)].sort();
  if (unique.length > MAX_INCREMENTAL_IDS)
    return {
      fallback: `${unique.length} ids changed (more than ${MAX_INCREMENTAL_IDS}): a full crawl is cheaper`,
      stats,
    };
  const client = organizationsClient(opts, stats);
  const who = describeCredentials(opts);
  // The reads discovery makes (aws/organizations.ts), with its guards; a vanished account or OU is handled here.
  const org = new OrganizationsReader(
    client,
    (e, op) =>
      e instanceof AccountNotFoundException || e instanceof OrganizationalUnitNotFoundException
        ? e
        : explainAwsError(e, op, "organizations", who),
    opts.limits?.maxPagesPerListing ?? DEFAULT_LIMITS.maxPagesPerListing,
  );
  const withTags = base.tagsIncluded;
  const rootId = base.root.id;
  const root: PathEntry = { id: rootId, name: base.root.name };
  const ous = new Map(base.organizationalUnits.map((o) => [o.id, o]));
  const accounts = new Map(base.accounts.map((a) => [a.id, a]));
  let rootTags = base.root.tags;
  /** Nodes already refreshed in this run (an account inside a crawled subtree is not read again). */
  const fresh = new Set<string>();

  const readTags = async (id: string): Promise<Record<string, string>> => {
    if (!withTags) return {};
    return tagsToRecord(await org.tags(id));
  };
  const parentOf = async (childId: string): Promise<string> => {
    const p = await org.parent(childId);
    if (!p?.Id) throw new CannotApply(`ListParents gave no parent for ${childId}`);
    if (p.Type === "ROOT" && p.Id !== rootId)
      throw new CannotApply(`${childId} sits under root ${p.Id}, the snapshot knows root ${rootId}`);
    return p.Id;
  };
  /** The path from the root to `parentId` inclusive, refreshing an OU the snapshot does not know yet. */
  const pathThrough = async (parentId: string, depth = 0): Promise<PathEntry[]> => {
    if (parentId === rootId) return [root];
    if (!ous.has(parentId)) {
      if (depth >= 5) throw new CannotApply(`OU ${parentId} is deeper than the 5 levels AWS allows below the root`);
      await refreshOu(parentId, depth + 1);
    }
    const o = ous.get(parentId);
    if (!o) throw new CannotApply(`OU ${parentId} could not be read`);
    return [...o.path, { id: o.id, name: o.name }];
  };
  const accountRecord = (
    a: Account,
    parentId: string,
    path: PathEntry[],
    tags: Record<string, string>,
  ): SnapshotAccount => snapshotAccountOf(a, parentId, path, tags, base.organization.managementAccountId);
  /** Removes an OU and everything the snapshot had below it; returns the accounts that were below it. */
  const dropSubtree = (ouId: string): string[] => {
    const below = (p: PathEntry[]) => p.some((e) => e.id === ouId);
    for (const o of [...ous.values()]) if (o.id === ouId || below(o.path)) ous.delete(o.id);
    const dropped: string[] = [];
    for (const a of [...accounts.values()]) {
      if (below(a.path)) {
        accounts.delete(a.id);
        dropped.push(a.id);
      }
    }
    return dropped;
  };

  /** Crawls the subtree below `parent` (with its path) into the maps, as discovery does. */
  const crawlBelow = async (parentId: string, parentPath: PathEntry[]): Promise<void> => {
    const pool = new TaskPool(opts.concurrency);
    const visit = (id: string, path: PathEntry[]) => {
      pool.add(() =>
        org.ous(id, (ou) => {
          const rec: SnapshotOu = {
            id: ou.Id!,
            name: ou.Name ?? "",
            arn: ou.Arn ?? "",
            parentId: id,
            path,
            depth: path.length,
            tags: {},
          };
          ous.set(rec.id, rec);
          fresh.add(rec.id);
          visit(rec.id, [...path, { id: rec.id, name: rec.name }]);
          if (withTags) pool.add(async () => void (rec.tags = await readTags(rec.id)));
        }),
      );
      pool.add(() =>
        org.accounts(id, (a) => {
          const rec = accountRecord(a, id, path, {});
          accounts.set(rec.id, rec);
          fresh.add(rec.id);
          crawledAccounts.add(rec.id);
          if (withTags) pool.add(async () => void (rec.tags = await readTags(rec.id)));
        }),
      );
    };
    visit(parentId, parentPath);
    await pool.drain();
  };

  const refreshAccount = async (id: string): Promise<void> => {
    if (fresh.has(id)) return;
    fresh.add(id);
    let account: Account | undefined;
    try {
      account = await org.describeAccount(id);
    } catch (e) {
      if (e instanceof AccountNotFoundException) {
        accounts.delete(id);
        return;
      }
      throw e;
    }
    if (!account?.Id) {
      accounts.delete(id);
      return;
    }
    const parentId = await parentOf(id);
    const path = await pathThrough(parentId);
    // The parent was unknown and its crawl has just read this account (tags included).
    if (crawledAccounts.has(id)) return;
    const tags = await readTags(id);
    accounts.set(id, accountRecord(account, parentId, path, tags));
  };
  /** Accounts set by a subtree crawl in this run (refreshAccount then needs nothing more). */
  const crawledAccounts = new Set<string>();

  const refreshOu = async (id: string, depth = 0): Promise<void> => {
    if (fresh.has(id)) return;
    fresh.add(id);
    let ou;
    try {
      ou = await org.describeOu(id);
    } catch (e) {
      if (!(e instanceof OrganizationalUnitNotFoundException)) throw e;
    }
    if (!ou?.Id) {
      // Deleted (AWS deletes only empty OUs): its subtree goes; accounts the snapshot had below it moved or left.
      for (const a of dropSubtree(id)) orphans.add(a);
      return;
    }
    const parentId = await parentOf(id);
    const path = await pathThrough(parentId, depth);
    const tags = await readTags(id);
    const before = new Set(dropSubtree(id));
    const rec: SnapshotOu = { id, name: ou.Name ?? "", arn: ou.Arn ?? "", parentId, path, depth: path.length, tags };
    ous.set(id, rec);
    await crawlBelow(id, [...path, { id, name: rec.name }]);
    for (const a of before) if (!accounts.has(a)) orphans.add(a);
  };
  /** Accounts that were below a refreshed or deleted OU and are no longer found there. */
  const orphans = new Set<string>();

  try {
    const ouIds = unique.filter((i) => OU_ID_RE.test(i));
    const accountIds = unique.filter((i) => ACCOUNT_ID_RE.test(i));
    for (const id of unique.filter((i) => ROOT_ID_RE.test(i))) {
      if (id !== rootId) return { fallback: `root ${id} is not the snapshot's root ${rootId}`, stats };
      rootTags = await readTags(id);
    }
    for (const id of ouIds) await refreshOu(id);
    for (const id of [...accountIds, ...orphans]) await refreshAccount(id);
    // Orphans found while refreshing accounts (a parent OU refreshed on the way).
    for (const id of orphans) await refreshAccount(id);
  } catch (e) {
    if (e instanceof CannotApply) return { fallback: e.message, stats };
    throw e;
  } finally {
    client.destroy();
  }
  // Paths of accounts and OUs below a renamed OU change with it.
  const ouList = [...ous.values()];
  const pathOf = (parentId: string): PathEntry[] => {
    if (parentId === rootId) return [root];
    const o = ous.get(parentId);
    return o ? [...pathOf(o.parentId), { id: o.id, name: o.name }] : [root];
  };
  const organizationalUnits = ouList.map((o) => ({ ...o, path: pathOf(o.parentId), depth: pathOf(o.parentId).length }));
  const accountList = [...accounts.values()].map((a) => ({ ...a, path: pathOf(a.parentId) }));
  const snapshot = canonicalize({
    ...base,
    root: { ...base.root, tags: rootTags },
    organizationalUnits,
    accounts: accountList,
  });
  return { snapshot, stats };
}
