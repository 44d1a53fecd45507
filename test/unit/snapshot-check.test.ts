/**
 * The fast structural check of a snapshot's accounts and OUs (org/snapshot-check.ts) against its definition, the zod
 * schema (org/snapshot.ts): over mutated copies of a valid snapshot, whatever the check accepts the schema accepts and
 * returns unchanged, and parseSnapshot answers exactly as the schema alone would (the same snapshot, or the same
 * error message).
 *
 * Runs are bounded; the seed is fixed under CI=true, random otherwise, and printed on any failure;
 * ORGTRUST_PROPERTY_SEED=<n> replays one.
 */
import * as fs from "node:fs";
import fc from "fast-check";
import {
  canonicalize,
  parseSnapshot,
  serializeSnapshot,
  snapshotProblem,
  snapshotSchema,
  SNAPSHOT_SCHEMA_VERSION,
} from "../../org/snapshot";
import { isSnapshotAccountArray, isSnapshotOuArray } from "../../org/snapshot-check";
import { FIXTURE } from "../fixtures/generate";

const SEED = process.env.ORGTRUST_PROPERTY_SEED
  ? Number(process.env.ORGTRUST_PROPERTY_SEED)
  : process.env.CI === "true"
    ? 20261201
    : Math.floor(Math.random() * 2 ** 31);
const seedNote = `(fast-check seed ${SEED}: replay with ORGTRUST_PROPERTY_SEED=${SEED})`;

const TEXT = fs.readFileSync(FIXTURE, "utf8");
type Json = Record<string, unknown>;
const fresh = (): Json => JSON.parse(TEXT) as Json;

/** parseSnapshot without the fast check: the version rule, the zod schema, the consistency rules, canonical order. */
function reference(data: Json, source: string): string {
  if (data.schemaVersion !== SNAPSHOT_SCHEMA_VERSION) return "version";
  const r = snapshotSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    return `error: ${source}: ${issue.path.join(".") || "(top level)"}: ${issue.message} (fix: re-run \`orgtrust discover --out ${source}\`)`;
  }
  const problem = snapshotProblem(r.data);
  if (problem) return `problem: ${problem}`;
  return serializeSnapshot(canonicalize(r.data));
}

function actual(data: Json, source: string): string {
  try {
    return serializeSnapshot(parseSnapshot(data, source));
  } catch (e) {
    const m = (e as Error).message;
    if (m.includes("schemaVersion")) return "version";
    if (m.includes("not a consistent organization: "))
      return `problem: ${m.split("not a consistent organization: ")[1].split(" (fix:")[0]}`;
    return `error: ${m}`;
  }
}

/** Values of every JSON type and a few that only JavaScript has, plus near misses of the fields' rules. */
const odd = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    undefined,
    true,
    false,
    0,
    1,
    -1,
    1.5,
    2 ** 53,
    Number.NaN,
    "",
    "x",
    "ACTIVE",
    "111111111111",
    "11111111111",
    "1111111111111",
    "11111111111a",
    " 111111111111",
    "111111111111\n",
    "ou-fx01-dev00001",
    "ou-FX01-dev00001",
    "ou-fx01-dev0000",
    "r-fx01",
    [],
    [{ id: "r-fx01", name: "Root" }],
    [{ id: "r-fx01", name: "Root", extra: 1 }],
    [{ id: "r-fx01" }],
    [{ id: 1, name: "Root" }],
    [null],
    [[]],
    {},
    { a: "b" },
    { a: 1 },
    { a: null },
    { a: ["b"] },
    JSON.parse('{"__proto__": "x"}'),
    JSON.parse('{"__proto__": 1}'),
    JSON.parse('{"__proto__": {"a": "b"}}'),
    { constructor: "x" },
    { constructor: 1 },
    Object.create(null),
    Object.assign(Object.create(null), { a: "b" }),
    new String("111111111111"),
    new Date(0),
  ),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.constant(null))),
);

/** The near misses of most fields (empty, null, missing, wrong type, not an integer), drawn more often. */
const NEAR_MISSES: unknown[] = ["", null, undefined, 0, 1, -1, 1.5, 2 ** 53, Number.NaN, true, [], {}, "x", "1"];
const near = fc.constantFrom(...NEAR_MISSES);
const value = fc.oneof({ arbitrary: near, weight: 3 }, { arbitrary: odd, weight: 2 });

const ACCOUNT_KEYS = Object.keys((fresh().accounts as Json[])[0]);
const OU_KEYS = Object.keys((fresh().organizationalUnits as Json[])[0]);
const EXTRA_KEYS = ["__proto__", "constructor", "toString", "hasOwnProperty", "extra", "Id", "id ", ""];

type Mutation =
  | { kind: "set"; key: string; value: unknown }
  | { kind: "delete"; key: string }
  | { kind: "extra"; key: string; value: unknown }
  | { kind: "reorder" }
  | { kind: "prototype"; proto: "null" | "array" }
  | { kind: "pathEntry"; op: "extra" | "delete" | "set"; key: string; value: unknown }
  | { kind: "tag"; key: string; value: unknown }
  | { kind: "element"; value: unknown };

const mutation = (keys: string[]): fc.Arbitrary<Mutation> =>
  fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant("set" as const), key: fc.constantFrom(...keys), value }), weight: 6 },
    fc.record({ kind: fc.constant("delete" as const), key: fc.constantFrom(...keys) }),
    fc.record({
      kind: fc.constant("extra" as const),
      key: fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string()),
      value,
    }),
    fc.record({ kind: fc.constant("reorder" as const) }),
    fc.record({ kind: fc.constant("prototype" as const), proto: fc.constantFrom("null" as const, "array" as const) }),
    fc.record({
      kind: fc.constant("pathEntry" as const),
      op: fc.constantFrom("extra" as const, "delete" as const, "set" as const),
      key: fc.constantFrom("id", "name", "__proto__", "constructor", "extra"),
      value,
    }),
    fc.record({
      kind: fc.constant("tag" as const),
      key: fc.oneof(fc.constantFrom("__proto__", "constructor", "toString", "a", ""), fc.string()),
      value,
    }),
    fc.record({ kind: fc.constant("element" as const), value }),
  );

/** Defines an own property, `__proto__` included (plain assignment would call the prototype setter). */
const define = (o: object, key: string, value: unknown) =>
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });

function mutate(list: unknown[], index: number, m: Mutation): void {
  const target = list[index] as Json;
  if (m.kind !== "element" && (typeof target !== "object" || target === null)) return;
  switch (m.kind) {
    case "set":
      define(target, m.key, m.value);
      break;
    case "delete":
      delete target[m.key];
      break;
    case "extra":
      define(target, m.key, m.value);
      break;
    case "reorder": {
      const entries = Object.entries(target).reverse();
      list[index] = Object.fromEntries(entries);
      break;
    }
    case "prototype":
      Object.setPrototypeOf(target, m.proto === "null" ? null : Array.prototype);
      break;
    case "pathEntry": {
      const entry = Array.isArray(target.path) ? (target.path[0] as Json) : null;
      if (typeof entry !== "object" || entry === null) break;
      if (m.op === "delete") delete entry[m.key];
      else define(entry, m.key, m.value);
      break;
    }
    case "tag":
      if (typeof target.tags === "object" && target.tags !== null) define(target.tags, m.key, m.value);
      break;
    case "element":
      list[index] = m.value;
      break;
  }
}

/**
 * The property on one input: if the fast check accepts, the schema accepts and returns the arrays unchanged; either
 * way parseSnapshot's answer is the schema's. Returns whether the fast check accepted.
 */
function check(data: Json): boolean {
  const fast = isSnapshotAccountArray(data.accounts) && isSnapshotOuArray(data.organizationalUnits);
  if (fast) {
    const r = snapshotSchema.safeParse(data);
    expect(r.success).toBe(true);
    // The schema's parse returns the accepted arrays unchanged: same keys, same order, same values.
    expect(JSON.stringify(r.data!.accounts)).toBe(JSON.stringify(data.accounts));
    expect(JSON.stringify(r.data!.organizationalUnits)).toBe(JSON.stringify(data.organizationalUnits));
  }
  expect(actual(data, "org.json")).toBe(reference(structuredCloneJson(data), "org.json"));
  return fast;
}

describe("snapshot fast check: accepts only what the zod schema accepts, and changes no answer", () => {
  it("over mutated accounts and OUs, raw and read back through JSON", () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        fc
          .constantFrom(["accounts", ACCOUNT_KEYS] as const, ["organizationalUnits", OU_KEYS] as const)
          .chain(([field, keys]) =>
            fc.tuple(fc.constant(field), fc.array(fc.tuple(fc.nat(), mutation(keys)), { minLength: 0, maxLength: 2 })),
          ),
        fc.boolean(),
        ([field, mutations], throughJson) => {
          let data = fresh();
          const list = data[field] as unknown[];
          for (const [i, m] of mutations) mutate(list, i % list.length, m);
          if (throughJson) {
            const text = JSON.stringify(data);
            if (text === undefined) return;
            data = JSON.parse(text) as Json;
          }
          if (check(data)) accepted++;
          else refused++;
        },
      ),
      { seed: SEED, numRuns: 2000 },
    );
    // Both sides of the check were exercised (a mutation list may be empty or leave the snapshot valid).
    expect({ accepted: accepted > 50, refused: refused > 500, seedNote }).toEqual({
      accepted: true,
      refused: true,
      seedNote,
    });
  });

  it("every field of an account and of an OU set to each near miss (empty, null, missing, wrong type)", () => {
    for (const [field, keys] of [
      ["accounts", ACCOUNT_KEYS],
      ["organizationalUnits", OU_KEYS],
    ] as const)
      for (const key of keys)
        for (const v of NEAR_MISSES)
          for (const index of [0, 3]) {
            const data = fresh();
            mutate(data[field] as unknown[], index, { kind: "set", key, value: v });
            check(data);
            mutate(data[field] as unknown[], index, { kind: "delete", key });
            check(data);
          }
  });

  it("accepts the saved example snapshots, so the fast path is the one large files take", () => {
    for (const file of [FIXTURE, require.resolve("../../examples/org.json")]) {
      const data = JSON.parse(fs.readFileSync(file, "utf8")) as Json;
      expect([file, isSnapshotAccountArray(data.accounts), isSnapshotOuArray(data.organizationalUnits)]).toEqual([
        file,
        true,
        true,
      ]);
    }
  });
});

/**
 * A second copy of mutated data for the reference parse: parseSnapshot never modifies its input, but the copy keeps
 * the two answers independent. Own `__proto__` keys, prototypes and undefined values are kept as they are.
 */
function structuredCloneJson(v: unknown): Json {
  const copy = (x: unknown): unknown => {
    if (typeof x !== "object" || x === null || x instanceof String || x instanceof Date) return x;
    if (Array.isArray(x)) {
      const a: unknown[] = [];
      for (let i = 0; i < x.length; i++) a[i] = copy(x[i]);
      if (Object.getPrototypeOf(x) !== Array.prototype) Object.setPrototypeOf(a, Object.getPrototypeOf(x) as object);
      return a;
    }
    const o = Object.create(Object.getPrototypeOf(x) as object | null) as Json;
    for (const k of Object.keys(x)) define(o, k, copy((x as Json)[k]));
    return o;
  };
  return copy(v) as Json;
}
