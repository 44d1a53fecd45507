import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { z } from "zod";
import { InputError } from "../common/errors";
import { accountId, ouId, partition, rootId } from "../common/ids";
import { writeFileAtomic } from "../common/atomic-write";
import { byEntryKey, byId, compareStrings } from "../common/compare";
import { isSnapshotAccountArray, isSnapshotOuArray, isTagsObject } from "./snapshot-check";

/**
 * The org snapshot: everything discovery learned, in a versioned, documented JSON file.
 * Deterministic by construction: OUs and accounts sorted by id, tags sorted by key, no discovery timestamp.
 * Bump SNAPSHOT_SCHEMA_VERSION on any incompatible change; loading rejects other versions.
 */
export const SNAPSHOT_SCHEMA_VERSION = 1;

/**
 * Tags as a null-prototype object: every key AWS allows is an own property, `__proto__` and `constructor`
 * included (a tag key may be any of them), and a missing key reads as undefined, never as an Object.prototype
 * member. Built with plain assignment on a null-prototype object, which has no `__proto__` setter.
 */
export function tagRecord(entries: Iterable<readonly [string, string]>): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const [k, v] of entries) out[k] = v;
  return out;
}

// Not z.record: zod rebuilds a record by assignment on a plain object, where a `__proto__` key is swallowed by the
// prototype setter (the tag vanished on load and the snapshot hash changed). The object JSON.parse built passes
// through unchanged (a `__proto__` key is an own property there); canonicalize turns every tags object into a
// null-prototype record, which parseSnapshot always does.
const tags = z.custom<Record<string, string>>(isTagsObject, {
  message: "expected an object of tag keys to string values",
});
const pathEntry = z.object({ id: z.string(), name: z.string() }).strict();

const snapshotAccountSchema = z
  .object({
    /** 12-digit account id, always a string (ids may start with 0). */
    id: accountId,
    name: z.string(),
    email: z.string(),
    arn: z.string(),
    /** Account state (PENDING_ACTIVATION, ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED): State, falling back to the retired Status. */
    state: z.string().min(1),
    /** Id of the direct parent (an OU or the root). */
    parentId: z.string(),
    /** Path from the root to the direct parent, root first: [{id: "r-...", name: "Root"}, {id: "ou-...", name: "Prod"}]. */
    path: z.array(pathEntry).min(1),
    tags,
    joinedTimestamp: z.string().nullable(),
    joinedMethod: z.string().nullable(),
    isManagementAccount: z.boolean(),
  })
  .strict();

const snapshotOuSchema = z
  .object({
    id: ouId,
    name: z.string(),
    arn: z.string(),
    parentId: z.string(),
    /** Path from the root to this OU's parent, root first. */
    path: z.array(pathEntry).min(1),
    /** Depth below the root: 1 for a top-level OU, at most 5 in AWS. */
    depth: z.number().int().min(1),
    tags,
  })
  .strict();

export const snapshotSchema = z
  .object({
    schemaVersion: z.literal(SNAPSHOT_SCHEMA_VERSION),
    organization: z
      .object({
        id: z.string().regex(/^o-[a-z0-9]{10,32}$/),
        arn: z.string(),
        partition,
        featureSet: z.string(),
        managementAccountId: accountId,
        managementAccountEmail: z.string(),
      })
      .strict(),
    root: z.object({ id: rootId, name: z.string(), arn: z.string(), tags }).strict(),
    /** Whether tags were read (false after `discover --no-tags`: every tags object is then empty). */
    tagsIncluded: z.boolean(),
    organizationalUnits: z.array(snapshotOuSchema),
    accounts: z.array(snapshotAccountSchema),
  })
  .strict();

export type Snapshot = z.infer<typeof snapshotSchema>;
export type SnapshotAccount = z.infer<typeof snapshotAccountSchema>;
export type SnapshotOu = z.infer<typeof snapshotOuSchema>;
export type PathEntry = z.infer<typeof pathEntry>;

/** A tags object as a tagRecord sorted by key. Tags usually come sorted (a saved snapshot): then no sort, no entries. */
function sortTags(t: Record<string, string>): Record<string, string> {
  const keys = Object.keys(t);
  for (let n = 1; n < keys.length; n++)
    if (compareStrings(keys[n - 1], keys[n]) > 0) return tagRecord(Object.entries(t).sort(byEntryKey));
  const out = Object.create(null) as Record<string, string>;
  for (const k of keys) out[k] = t[k];
  return out;
}

/** Snapshots canonicalize built: serializing or hashing one needs no second pass. */
const canonical = new WeakSet<Snapshot>();

/** Puts a snapshot in canonical order (ids sorted as strings, tags sorted by key, each tags object a tagRecord). */
export function canonicalize(s: Snapshot): Snapshot {
  if (canonical.has(s)) return s;
  const out: Snapshot = {
    schemaVersion: s.schemaVersion,
    organization: s.organization,
    root: { ...s.root, tags: sortTags(s.root.tags) },
    tagsIncluded: s.tagsIncluded,
    organizationalUnits: [...s.organizationalUnits].sort(byId).map((o) => ({ ...o, tags: sortTags(o.tags) })),
    accounts: [...s.accounts].sort(byId).map((a) => ({ ...a, tags: sortTags(a.tags) })),
  };
  canonical.add(out);
  return out;
}

export function serializeSnapshot(s: Snapshot): string {
  return `${JSON.stringify(canonicalize(s), null, 2)}\n`;
}

const hashes = new WeakMap<Snapshot, string>();

/**
 * A short content hash (sha256, 12 hex) that names the snapshot in generated headers. Snapshots are never modified
 * once built, so the hash is computed once per snapshot object (synth plans each integration against the same one).
 */
export function snapshotHash(s: Snapshot): string {
  let hash = hashes.get(s);
  if (hash === undefined) {
    hash = crypto.createHash("sha256").update(serializeSnapshot(s)).digest("hex").slice(0, 12);
    hashes.set(s, hash);
  }
  return hash;
}

export function saveSnapshot(file: string, s: Snapshot, warn?: (message: string) => void): void {
  writeFileAtomic(file, serializeSnapshot(s), undefined, { warn });
}

/**
 * The structural rules a snapshot must keep beyond its schema, as AWS keeps them for a live org: ids unique, exactly
 * one management account (the organization's), every parent known (the root or an OU of the snapshot), and each path
 * and depth matching the parent chain. Returns the first broken rule, or null. Checked before discover writes a
 * snapshot and whenever one is loaded, so a hostile or damaged file can neither target the root nor hide an account.
 */
export function snapshotProblem(s: Snapshot): string | null {
  const ous = new Map<string, SnapshotOu>();
  for (const o of s.organizationalUnits) {
    if (ous.has(o.id)) return `OU ${o.id} appears twice`;
    ous.set(o.id, o);
  }
  const seen = new Set<string>();
  for (const a of s.accounts) {
    if (seen.has(a.id)) return `account ${a.id} appears twice`;
    seen.add(a.id);
  }
  const managers = s.accounts.filter((a) => a.isManagementAccount);
  if (managers.length !== 1)
    return `${managers.length === 0 ? "no account is" : `${managers.length} accounts (${managers.map((a) => a.id).join(", ")}) are`} marked as the management account; an organization has exactly one`;
  if (managers[0].id !== s.organization.managementAccountId)
    return `account ${managers[0].id} is marked as the management account, but organization.managementAccountId is ${s.organization.managementAccountId}`;
  // The chain of each parent, root first, as the snapshot's own parent links give it (null: a loop or an unknown id).
  const chains = new Map<string, PathEntry[] | null>([[s.root.id, [{ id: s.root.id, name: s.root.name }]]]);
  const chainOf = (id: string, depth = 0): PathEntry[] | null => {
    if (chains.has(id)) return chains.get(id)!;
    const o = ous.get(id);
    if (!o || depth > ous.size) return null;
    const up = chainOf(o.parentId, depth + 1);
    const c = up && [...up, { id: o.id, name: o.name }];
    chains.set(id, c);
    return c;
  };
  const samePath = (a: PathEntry[], b: PathEntry[]) =>
    a.length === b.length && a.every((e, i) => e.id === b[i].id && e.name === b[i].name);
  for (const o of s.organizationalUnits) {
    const chain = chainOf(o.parentId);
    if (!chain)
      return `OU ${o.id} has parent ${o.parentId}, which is neither the root nor an OU of the snapshot (or the parents form a loop)`;
    if (!samePath(o.path, chain)) return `OU ${o.id}: path does not match its chain of parents`;
    if (o.depth !== chain.length)
      return `OU ${o.id}: depth ${o.depth} does not match its chain of parents (${chain.length})`;
  }
  for (const a of s.accounts) {
    const chain = chainOf(a.parentId);
    if (!chain) return `account ${a.id} has parent ${a.parentId}, which is neither the root nor an OU of the snapshot`;
    if (!samePath(a.path, chain)) return `account ${a.id}: path does not match its chain of parents`;
  }
  return null;
}

/**
 * The schema's parse, with the account and OU arrays checked by org/snapshot-check.ts (which accepts only arrays the
 * schema accepts and returns unchanged) and the rest by the schema itself; null when either is unsure, and the caller
 * then runs the whole schema, the referee, which names the first bad field. The accepted arrays are the input's own
 * (parseSnapshot's canonicalize copies every account and OU; only path arrays stay shared with the parsed JSON).
 */
function fastParse(data: Record<string, unknown>): { success: true; data: Snapshot } | null {
  const { accounts, organizationalUnits } = data;
  if (!isSnapshotAccountArray(accounts) || !isSnapshotOuArray(organizationalUnits)) return null;
  const shell = snapshotSchema.safeParse({ ...data, organizationalUnits: [], accounts: [] });
  if (!shell.success) return null;
  return {
    success: true,
    data: {
      ...shell.data,
      organizationalUnits: organizationalUnits as SnapshotOu[],
      accounts: accounts as SnapshotAccount[],
    },
  };
}

/** Validates parsed JSON as a snapshot, naming the first bad field. */
export function parseSnapshot(data: unknown, source: string): Snapshot {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new InputError(
      `${source}: not an orgtrust snapshot (fix: point --snapshot at a file written by \`orgtrust discover --out\`)`,
    );
  }
  const version = (data as { schemaVersion?: unknown }).schemaVersion;
  if (version !== SNAPSHOT_SCHEMA_VERSION) {
    throw new InputError(
      `${source}: schemaVersion ${JSON.stringify(version)} is not supported, this orgtrust reads schemaVersion ${SNAPSHOT_SCHEMA_VERSION} (fix: re-run \`orgtrust discover --out ${source}\`)`,
    );
  }
  const r = fastParse(data as Record<string, unknown>) ?? snapshotSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InputError(
      `${source}: ${issue.path.join(".") || "(top level)"}: ${issue.message} (fix: re-run \`orgtrust discover --out ${source}\`)`,
    );
  }
  const problem = snapshotProblem(r.data);
  if (problem)
    throw new InputError(
      `${source}: not a consistent organization: ${problem} (fix: re-run \`orgtrust discover --out ${source}\`)`,
    );
  return canonicalize(r.data);
}

export function loadSnapshot(file: string): Snapshot {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new InputError(
      `--snapshot ${file}: file not found or unreadable (fix: run \`orgtrust discover --out ${file}\` first)`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new InputError(
      `${file}: not valid JSON, the file may be truncated (${(e as Error).message}) (fix: re-run \`orgtrust discover --out ${file}\`)`,
    );
  }
  return parseSnapshot(data, file);
}
