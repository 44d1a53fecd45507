import { ACCOUNT_ID_RE, OU_ID_RE } from "../common/ids";

/**
 * A fast structural check of a snapshot's account and OU arrays, for loading large snapshots (on cold code, zod
 * validates 5,000 accounts in ~70 ms; this in ~10 ms).
 *
 * THE ZOD SCHEMA IN org/snapshot.ts IS THE DEFINITION of a valid snapshot; this check only ever ACCEPTS what that
 * schema accepts, and only values the schema's parse returns unchanged (the schema builds new objects in its own key
 * order and passes tags objects through: an accepted array has its keys in that order). It answers false on anything
 * it is not sure of, and the caller then runs the zod schema, which stays the referee and the source of every error
 * message. It is stricter than the schema where that is simpler (plain objects whose own keys are the schema's, in its
 * order), never looser. Its input is JSON data (what JSON.parse builds: plain data properties, no getters), which is
 * all parseSnapshot is given. test/unit/snapshot-check.test.ts proves both properties on mutated snapshots. Any change
 * to snapshotAccountSchema or snapshotOuSchema must change this file and its test.
 */

/** The tags rule, shared with the zod schema (z.custom): a non-array object whose values are all strings. */
export function isTagsObject(v: unknown): v is Record<string, string> {
  return (
    typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "string")
  );
}

type Json = Record<string, unknown>;

/**
 * A plain object (what JSON.parse builds) whose own enumerable keys are exactly `keys`, in that order (the order
 * orgtrust writes; any other order is left to the schema). After this, `o.key` reads an own property.
 */
function plainWith(v: unknown, keys: readonly string[]): v is Json {
  if (typeof v !== "object" || v === null || Array.isArray(v) || Object.getPrototypeOf(v) !== Object.prototype)
    return false;
  const own = Object.keys(v);
  if (own.length !== keys.length) return false;
  for (let i = 0; i < keys.length; i++) if (own[i] !== keys[i]) return false;
  return true;
}

const PATH_KEYS = ["id", "name"] as const;

/** The path rule: z.array(z.object({ id: z.string(), name: z.string() }).strict()).min(1). */
function isPath(v: unknown): boolean {
  if (!Array.isArray(v) || v.length < 1 || Object.getPrototypeOf(v) !== Array.prototype) return false;
  for (let i = 0; i < v.length; i++) {
    const e: unknown = v[i];
    if (!plainWith(e, PATH_KEYS) || typeof e.id !== "string" || typeof e.name !== "string") return false;
  }
  return true;
}

/** snapshotAccountSchema's keys, in its order. */
const ACCOUNT_KEYS = [
  "id",
  "name",
  "email",
  "arn",
  "state",
  "parentId",
  "path",
  "tags",
  "joinedTimestamp",
  "joinedMethod",
  "isManagementAccount",
] as const;
/** snapshotOuSchema's keys, in its order. */
const OU_KEYS = ["id", "name", "arn", "parentId", "path", "depth", "tags"] as const;

/**
 * True only if snapshotAccountSchema's array parse accepts `v` and returns a value equal to it (same keys in the same
 * order, same values); false when the check is not sure (the caller then lets zod decide and report).
 */
export function isSnapshotAccountArray(v: unknown): boolean {
  if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype) return false;
  for (let i = 0; i < v.length; i++) {
    const a: unknown = v[i];
    if (!plainWith(a, ACCOUNT_KEYS)) return false;
    const { id, name, email, arn, state, parentId, path, tags, joinedTimestamp, joinedMethod, isManagementAccount } = a;
    if (
      typeof id !== "string" ||
      !ACCOUNT_ID_RE.test(id) ||
      typeof name !== "string" ||
      typeof email !== "string" ||
      typeof arn !== "string" ||
      typeof state !== "string" ||
      state.length < 1 ||
      typeof parentId !== "string" ||
      !isPath(path) ||
      !isTagsObject(tags) ||
      (joinedTimestamp !== null && typeof joinedTimestamp !== "string") ||
      (joinedMethod !== null && typeof joinedMethod !== "string") ||
      typeof isManagementAccount !== "boolean"
    )
      return false;
  }
  return true;
}

/** The same for snapshotOuSchema's array parse. */
export function isSnapshotOuArray(v: unknown): boolean {
  if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype) return false;
  for (let i = 0; i < v.length; i++) {
    const o: unknown = v[i];
    if (!plainWith(o, OU_KEYS)) return false;
    const { id, name, arn, parentId, path, depth, tags } = o;
    if (
      typeof id !== "string" ||
      !OU_ID_RE.test(id) ||
      typeof name !== "string" ||
      typeof arn !== "string" ||
      typeof parentId !== "string" ||
      !isPath(path) ||
      !Number.isSafeInteger(depth) ||
      (depth as number) < 1 ||
      !isTagsObject(tags)
    )
      return false;
  }
  return true;
}
