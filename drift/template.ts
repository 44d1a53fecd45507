import { isAlias, isMap, isScalar, isSeq, parseDocument, type Node } from "yaml";
import { canonicalJson } from "./policy";

/**
 * Semantic comparison of CloudFormation templates: JSON or YAML (with the short intrinsic-function tags !Ref,
 * !Sub, !GetAtt, ...), compared as data. Scalars compare as text (CloudFormation reads 3600 and "3600" alike),
 * key order and formatting do not matter.
 */
export function parseTemplate(body: string): unknown {
  const doc = parseDocument(body, { uniqueKeys: false, logLevel: "silent" });
  if (doc.errors.length) throw new Error(`template is not valid YAML or JSON: ${doc.errors[0].message.split("\n")[0]}`);
  return toData(doc.contents);
}

function tagged(tag: string | undefined, value: unknown): unknown {
  if (!tag || !tag.startsWith("!")) return value;
  const name = tag.slice(1);
  if (name === "Ref") return { Ref: value };
  if (name === "Condition") return { Condition: value };
  if (name === "GetAtt" && typeof value === "string") {
    const dot = value.indexOf(".");
    return { "Fn::GetAtt": dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [`Fn::${name}`]: value };
}

function toData(node: Node | null | undefined): unknown {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return null;
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      out[key] = toData(pair.value as Node | null);
    }
    return tagged(node.tag, out);
  }
  if (isSeq(node))
    return tagged(
      node.tag,
      node.items.map((i) => toData(i as Node)),
    );
  if (isScalar(node)) {
    const v = node.value;
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a YAML scalar holds a string, number, boolean, bigint, Date or bytes: all print as their text
    return tagged(node.tag, v === null || v === undefined ? null : String(v));
  }
  return null;
}

/** Paths (a.b.0.c) where two parsed templates differ, at most `limit`. */
export function templateDifferences(
  expected: unknown,
  found: unknown,
  limit = 5,
): Array<{ path: string; expected: unknown; found: unknown }> {
  const out: Array<{ path: string; expected: unknown; found: unknown }> = [];
  const walk = (a: unknown, b: unknown, at: string[]) => {
    if (out.length >= limit) return;
    if (canonicalJson(a) === canonicalJson(b)) return;
    const bothObjects =
      a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b);
    if (!bothObjects) {
      out.push({ path: at.join(".") || "(template)", expected: a, found: b });
      return;
    }
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], [...at, k]);
  };
  walk(expected, found, []);
  return out;
}

/** A value as short one-line JSON for a finding ("(absent)" when undefined). */
export function shortJson(v: unknown, max = 160): string {
  if (v === undefined) return "(absent)";
  const s = canonicalJson(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
