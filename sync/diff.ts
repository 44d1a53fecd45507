import type { PathEntry, Snapshot, SnapshotAccount, SnapshotOu } from "../org/snapshot";
import { byId } from "../common/compare";

/**
 * What changed in the organization between two snapshots (the committed one and the live one): accounts added,
 * removed, moved, renamed, state and tag changes; OUs created, renamed, deleted or re-tagged; root tags. Every list
 * is sorted by id, so the summary built from it is deterministic.
 */
export interface AccountChange {
  account: SnapshotAccount;
  /** The account as it was (for removed and changed accounts) */
  before?: SnapshotAccount;
}

export interface OrgChanges {
  accountsAdded: SnapshotAccount[];
  accountsRemoved: SnapshotAccount[];
  accountsMoved: Array<{ account: SnapshotAccount; from: PathEntry[]; to: PathEntry[] }>;
  accountsRenamed: Array<{ account: SnapshotAccount; from: string; to: string }>;
  accountStates: Array<{ account: SnapshotAccount; from: string; to: string }>;
  accountTags: Array<{ account: SnapshotAccount; from: Record<string, string>; to: Record<string, string> }>;
  ousCreated: SnapshotOu[];
  ousDeleted: SnapshotOu[];
  ousRenamed: Array<{ ou: SnapshotOu; from: string; to: string }>;
  ouTags: Array<{ ou: SnapshotOu; from: Record<string, string>; to: Record<string, string> }>;
  rootTags: { from: Record<string, string>; to: Record<string, string> } | null;
}

/** The number of changes in all lists. */
export function countChanges(c: OrgChanges): number {
  return (
    c.accountsAdded.length +
    c.accountsRemoved.length +
    c.accountsMoved.length +
    c.accountsRenamed.length +
    c.accountStates.length +
    c.accountTags.length +
    c.ousCreated.length +
    c.ousDeleted.length +
    c.ousRenamed.length +
    c.ouTags.length +
    (c.rootTags ? 1 : 0)
  );
}

const sameTags = (a: Record<string, string>, b: Record<string, string>) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/** Compares two snapshots; `before` undefined means nothing was known (every account and OU is added). */
export function diffSnapshots(before: Snapshot | undefined, after: Snapshot): OrgChanges {
  const oldAccounts = new Map((before?.accounts ?? []).map((a) => [a.id, a]));
  const newAccounts = new Map(after.accounts.map((a) => [a.id, a]));
  const oldOus = new Map((before?.organizationalUnits ?? []).map((o) => [o.id, o]));
  const newOus = new Map(after.organizationalUnits.map((o) => [o.id, o]));
  const c: OrgChanges = {
    accountsAdded: [],
    accountsRemoved: [],
    accountsMoved: [],
    accountsRenamed: [],
    accountStates: [],
    accountTags: [],
    ousCreated: [],
    ousDeleted: [],
    ousRenamed: [],
    ouTags: [],
    rootTags: null,
  };
  for (const a of after.accounts) {
    const b = oldAccounts.get(a.id);
    if (!b) {
      c.accountsAdded.push(a);
      continue;
    }
    if (a.parentId !== b.parentId) c.accountsMoved.push({ account: a, from: b.path, to: a.path });
    if (a.name !== b.name) c.accountsRenamed.push({ account: a, from: b.name, to: a.name });
    if (a.state !== b.state) c.accountStates.push({ account: a, from: b.state, to: a.state });
    if (!sameTags(a.tags, b.tags)) c.accountTags.push({ account: a, from: b.tags, to: a.tags });
  }
  for (const b of before?.accounts ?? []) if (!newAccounts.has(b.id)) c.accountsRemoved.push(b);
  for (const o of after.organizationalUnits) {
    const b = oldOus.get(o.id);
    if (!b) {
      c.ousCreated.push(o);
      continue;
    }
    if (o.name !== b.name) c.ousRenamed.push({ ou: o, from: b.name, to: o.name });
    if (!sameTags(o.tags, b.tags)) c.ouTags.push({ ou: o, from: b.tags, to: o.tags });
  }
  for (const b of before?.organizationalUnits ?? []) if (!newOus.has(b.id)) c.ousDeleted.push(b);
  if (before && !sameTags(before.root.tags, after.root.tags))
    c.rootTags = { from: before.root.tags, to: after.root.tags };
  for (const list of Object.values(c))
    if (Array.isArray(list))
      list.sort((x: { id?: string; account?: { id: string }; ou?: { id: string } }, y: typeof x) =>
        byId({ id: x.id ?? x.account?.id ?? x.ou!.id }, { id: y.id ?? y.account?.id ?? y.ou!.id }),
      );
  return c;
}
