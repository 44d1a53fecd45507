import type { Partition } from "../common/ids";
import { canonicalJson } from "../common/canonical-json";
import { byEntryKey } from "../common/compare";

/**
 * Semantic comparison of IAM policy documents. Two documents are equal when they grant the same thing, whatever
 * the spelling: URL-encoded or not (GetRole returns AssumeRolePolicyDocument URL-encoded), a string or a
 * one-element array, statement and action order, duplicate entries, Sid, the case of action names and condition
 * keys, and an account id written as "123456789012" or as "arn:<partition>:iam::123456789012:root".
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface NormalStatement {
  Effect: string;
  Principal?: Record<string, string[]> | "*";
  NotPrincipal?: Record<string, string[]> | "*";
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  Condition?: Record<string, Record<string, string[]>>;
}

export interface NormalPolicy {
  Version: string;
  Statement: NormalStatement[];
}

/** Condition key holding the external ID (compared case-insensitively; stored lower-case). */
export const EXTERNAL_ID_KEY = "sts:externalid";

/** Parses a policy document given as an object, JSON text or URL-encoded JSON text. */
export function parsePolicyDocument(doc: unknown): Record<string, unknown> {
  if (typeof doc !== "string") return (doc ?? {}) as Record<string, unknown>;
  const text = doc.trim();
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return JSON.parse(decodeURIComponent(text)) as Record<string, unknown>;
  }
}

const toArray = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const uniqSorted = (xs: string[]) => [...new Set(xs)].sort();

function normalizePrincipal(p: unknown, partition: Partition): Record<string, string[]> | "*" {
  if (p === "*") return "*";
  const out: Record<string, string[]> = {};
  for (const [type, value] of Object.entries((p ?? {}) as Record<string, unknown>)) {
    out[type] = uniqSorted(
      toArray(value).map((v) => {
        const s = String(v);
        return type === "AWS" && /^\d{12}$/.test(s) ? `arn:${partition}:iam::${s}:root` : s;
      }),
    );
  }
  return sortKeys(out);
}

function normalizeCondition(c: unknown): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const [op, block] of Object.entries((c ?? {}) as Record<string, unknown>)) {
    const keys: Record<string, string[]> = {};
    for (const [key, value] of Object.entries((block ?? {}) as Record<string, unknown>)) {
      const k = key.toLowerCase();
      keys[k] = uniqSorted([...(keys[k] ?? []), ...toArray(value).map(String)]);
    }
    out[op] = sortKeys(keys);
  }
  return sortKeys(out);
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(byEntryKey));
}

export function normalizePolicy(doc: unknown, partition: Partition): NormalPolicy {
  const d = parsePolicyDocument(doc);
  const statements = toArray(d.Statement).map((raw) => {
    const s = raw as Record<string, unknown>;
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a policy value that is not a string (an object) is invalid; its default text never equals the expected value, so it is reported as a difference
    const n: NormalStatement = { Effect: String(s.Effect ?? "") };
    if (s.Principal !== undefined) n.Principal = normalizePrincipal(s.Principal, partition);
    if (s.NotPrincipal !== undefined) n.NotPrincipal = normalizePrincipal(s.NotPrincipal, partition);
    if (s.Action !== undefined) n.Action = uniqSorted(toArray(s.Action).map((a) => String(a).toLowerCase()));
    if (s.NotAction !== undefined) n.NotAction = uniqSorted(toArray(s.NotAction).map((a) => String(a).toLowerCase()));
    if (s.Resource !== undefined) n.Resource = uniqSorted(toArray(s.Resource).map(String));
    if (s.NotResource !== undefined) n.NotResource = uniqSorted(toArray(s.NotResource).map(String));
    if (s.Condition !== undefined && Object.keys(s.Condition as object).length)
      n.Condition = normalizeCondition(s.Condition);
    return n;
  });
  const byText = new Map<string, NormalStatement>();
  for (const s of statements) byText.set(canonicalJson(s), s);
  return {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a policy value that is not a string (an object) is invalid; its default text never equals the expected value, so it is reported as a difference
    Version: String(d.Version ?? "2008-10-17"),
    Statement: [...byText.entries()].sort(byEntryKey).map(([, s]) => s),
  };
}

export { canonicalJson, sortDeep } from "../common/canonical-json";

/** Placeholder shown (and compared, when the value is unknown) instead of an external ID. */
export const EXTERNAL_ID_MARK = "<external-id>";
export const OTHER_EXTERNAL_ID_MARK = "<a different external-id>";

/**
 * Replaces every sts:ExternalId condition value: with EXTERNAL_ID_MARK when it equals `known` (or when `known`
 * is undefined: the value is not known, so only presence counts), else with OTHER_EXTERNAL_ID_MARK.
 * The result never holds an external ID value, so it may be compared and printed.
 */
export function maskExternalIds(p: NormalPolicy, known: string | undefined): NormalPolicy {
  return {
    Version: p.Version,
    Statement: p.Statement.map((s) => {
      if (!s.Condition) return s;
      const Condition: NormalStatement["Condition"] = {};
      for (const [op, keys] of Object.entries(s.Condition)) {
        Condition[op] = {};
        for (const [k, values] of Object.entries(keys)) {
          Condition[op][k] =
            k === EXTERNAL_ID_KEY
              ? uniqSorted(
                  values.map((v) => (known === undefined || v === known ? EXTERNAL_ID_MARK : OTHER_EXTERNAL_ID_MARK)),
                )
              : values;
        }
      }
      return { ...s, Condition };
    }),
  };
}

/** Masked, normalized, canonical text of a policy: safe to print, equal for semantically equal documents. */
export function policyText(doc: unknown, partition: Partition, externalId: string | undefined): string {
  return canonicalJson(maskExternalIds(normalizePolicy(doc, partition), externalId));
}

/** The principals of statements that allow sts:AssumeRole. */
function trustedPrincipals(p: NormalPolicy): string[] {
  const out: string[] = [];
  for (const s of p.Statement) {
    if (s.Effect !== "Allow" || !(s.Action ?? []).some((a) => a === "sts:assumerole" || a === "sts:*" || a === "*"))
      continue;
    if (s.Principal === "*") out.push("*");
    else
      for (const [type, values] of Object.entries(s.Principal ?? {}))
        for (const v of values) out.push(type === "AWS" ? v : `${type}:${v}`);
  }
  return uniqSorted(out);
}

function externalIdConditions(p: NormalPolicy): string[] {
  const out: string[] = [];
  for (const s of p.Statement)
    for (const [op, keys] of Object.entries(s.Condition ?? {}))
      for (const v of keys[EXTERNAL_ID_KEY] ?? []) out.push(`${op} ${v}`);
  return uniqSorted(out);
}

/**
 * One line saying how two masked trust policies differ ("trusted principal ...; sts:ExternalId condition
 * missing"), never naming an external ID value.
 */
export function describeTrustDifference(expected: NormalPolicy, found: NormalPolicy): string {
  const parts: string[] = [];
  const ep = trustedPrincipals(expected);
  const fp = trustedPrincipals(found);
  if (ep.join() !== fp.join())
    parts.push(`trusted principal is ${fp.length ? fp.join(", ") : "(none)"} instead of ${ep.join(", ")}`);
  const ee = externalIdConditions(expected);
  const fe = externalIdConditions(found);
  if (ee.join() !== fe.join()) {
    if (!fe.length) parts.push("the sts:ExternalId condition is missing");
    else if (fe.some((c) => c.endsWith(OTHER_EXTERNAL_ID_MARK)))
      parts.push("the sts:ExternalId condition holds a different value");
    else parts.push(`the sts:ExternalId condition is ${fe.join(", ")} instead of ${ee.join(", ")}`);
  }
  if (!parts.length) parts.push("other statements or conditions differ");
  return parts.join("; ");
}
