import { byEntryKey } from "./compare";

/**
 * The one canonical JSON writer: object keys sorted at every level (by UTF-16 code units, what Array.prototype.sort
 * and `<` both compare), arrays in their order. Equal values give equal text: drift compares policies with it, and
 * synth writes cdk.tf.json and the coverage file with it (what cdktf's own json-stable-stringify output looks like).
 */

/** A copy of v with the keys of every object sorted. */
export function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .sort(byEntryKey)
        .map(([k, x]) => [k, sortDeep(x)]),
    );
  }
  return v;
}

/** Compact canonical JSON (for comparing). */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortDeep(v));
}

/** Canonical JSON for files: 2-space indented, newline-terminated. */
export function stableJson(v: unknown): string {
  return `${JSON.stringify(sortDeep(v), null, 2)}\n`;
}
