/**
 * Terraform JSON (cdk.tf.json) to plain HCL, written the way `terraform fmt` writes it, so the View-as-Code export is
 * fmt-clean without Terraform installed and byte-identical for identical input.
 *
 * Why not cdktf's own HCL output: the library route writes unindented HCL, leaves `"${...}"` wrappers that fmt
 * rewrites, quotes depends_on references, and does not escape quotes inside JSON policy strings (invalid HCL).
 *
 * The formatting rules mirror hclwrite (the formatter behind `terraform fmt`): two-space indentation; in a run of
 * consecutive single-line `name = value` lines the `=` signs line up; a line that opens a multi-line value, a nested
 * block, a closing brace, a comment or a blank line ends the run. The alignment itself is alignAssignments (common/hcl-format.ts), which the
 * consumers' generated HCL goes through too. Interpolation-only strings become bare
 * expressions; IAM policy JSON becomes `jsonencode({...})`; long texts registered as files become
 * `file("${path.module}/<name>")`.
 *
 * JSON cannot say whether an object is a nested block or a map attribute, so every object-valued key must be known:
 * BLOCK_KEYS or MAP_KEYS below. An unknown one is an error rather than a silent guess.
 */

import { alignAssignments } from "../common/hcl-format";

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/** Nested blocks orgtrust's resources, data sources and providers use. */
const BLOCK_KEYS = new Set([
  "api_key",
  "assume_role",
  "auth_parameters",
  "dead_letter_config",
  "http_target",
  "input_transformer",
  "retry_policy",
  "auto_deployment",
  "default_tags",
  "deployment_targets",
  "lifecycle",
  "managed_execution",
  "operation_preferences",
  "timeouts",
  "validation",
  // terraform { cloud { workspaces { ... } } }
  "workspaces",
]);
/** Object-valued attributes (maps). */
const MAP_KEYS = new Set([
  "tags",
  "tags_all",
  "parameters",
  "parameter_overrides",
  "keepers",
  "header_parameters",
  "input_paths",
]);
/** String attributes holding IAM policy JSON, emitted as jsonencode(...). */
const POLICY_KEYS = new Set(["assume_role_policy", "policy"]);
/** Attributes whose strings are references or keywords, not strings: emitted bare. */
const BARE_LIST_KEYS = new Set(["depends_on", "ignore_changes", "replace_triggered_by"]);

const KEYWORDS = new Set(["for", "in", "if", "null", "true", "false", "endfor", "endif"]);
const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface HclOptions {
  /** A comment written first (each line prefixed with "# "). */
  header?: string;
  /** Strings to replace by file("${path.module}/<name>"): content -> file name. */
  files?: Map<string, string>;
}

/** A rendered line: `key = value` lines may be aligned with their neighbours. */
interface Line {
  indent: number;
  text: string;
  /** Set for single-line attributes: the key part, aligned within its run. */
  key?: string;
}

const isObject = (v: Json | undefined): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

export function hclKey(k: string): string {
  return IDENT_RE.test(k) && !KEYWORDS.has(k) ? k : quote(k);
}

/**
 * Where the template sequence (`${...}` or `%{...}`) opening at s[i] ends (the index after its closing brace), or -1
 * when it is not closed. The sequence holds an expression: braces nest, and quoted strings inside it (which may hold
 * braces, escaped quotes and sequences of their own) are skipped whole.
 */
export function sequenceEnd(s: string, i: number): number {
  let depth = 0;
  let j = i + 1;
  while (j < s.length) {
    const ch = s[j];
    if (ch === '"') {
      j = stringEnd(s, j);
      if (j < 0) return -1;
      continue;
    }
    if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) return j + 1;
    j++;
  }
  return -1;
}

/** Where the quoted string opening at s[i] (a `"` inside an expression) ends, or -1. */
function stringEnd(s: string, i: number): number {
  let j = i + 1;
  while (j < s.length) {
    const ch = s[j];
    if (ch === "\\") j += 2;
    else if (ch === '"') return j + 1;
    else if ((ch === "$" || ch === "%") && s[j + 1] === ch && s[j + 2] === "{") j += 3;
    else if ((ch === "$" || ch === "%") && s[j + 1] === "{") {
      j = sequenceEnd(s, j);
      if (j < 0) return -1;
    } else j++;
  }
  return -1;
}

/**
 * The expression of an interpolation-only string (`"${var.x}"` -> `var.x`), which fmt writes bare; undefined for
 * any other string. Expressions may hold quoted strings and braces (`${can(regex("^a{2}$", var.x))}`).
 */
export function interpolationOnly(s: string): string | undefined {
  if (!s.startsWith("${") || s.startsWith("${~") || s.endsWith("~}")) return undefined;
  if (sequenceEnd(s, 0) !== s.length) return undefined;
  const expr = s.slice(2, -1).trim();
  return expr && !expr.includes("\n") ? expr : undefined;
}

/**
 * An HCL quoted template string. JSON-syntax strings are templates too, so ${ and %{ keep their meaning: the text
 * between sequences is escaped, each sequence (an expression, whose quotes must stay quotes) is copied as it is.
 */
export function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length;) {
    const ch = s[i];
    if ((ch === "$" || ch === "%") && s[i + 1] === ch && s[i + 2] === "{") {
      // An escaped sequence ($${ or %%{): literal text, the same escape in HCL.
      out += s.slice(i, i + 3);
      i += 3;
      continue;
    }
    if ((ch === "$" || ch === "%") && s[i + 1] === "{") {
      const end = sequenceEnd(s, i);
      if (end > 0 && !s.slice(i, end).includes("\n")) {
        out += s.slice(i, end);
        i = end;
        continue;
      }
    }
    out += escapeChar(s.codePointAt(i)!);
    i += s.codePointAt(i)! > 0xffff ? 2 : 1;
  }
  return `${out}"`;
}

/** One character of literal text, escaped for an HCL quoted string. */
function escapeChar(c: number): string {
  if (c === 0x5c) return "\\\\";
  if (c === 0x22) return '\\"';
  if (c === 0x0a) return "\\n";
  if (c === 0x0d) return "\\r";
  if (c === 0x09) return "\\t";
  if (c < 0x20 || c === 0x7f) return `\\u${c.toString(16).padStart(4, "0")}`;
  return String.fromCodePoint(c);
}

class Writer {
  readonly lines: Line[] = [];
  constructor(private readonly opts: HclOptions) {}

  blank(): void {
    this.lines.push({ indent: 0, text: "" });
  }
  raw(indent: number, text: string): void {
    this.lines.push({ indent, text });
  }

  /** A string value as an expression. */
  str(s: string, bareRefs = false): string {
    const file = this.opts.files?.get(s);
    if (file !== undefined) return `file("\${path.module}/${file}")`;
    const expr = interpolationOnly(s);
    if (expr !== undefined) return expr;
    if (bareRefs) return s;
    return quote(s);
  }

  /** A value that fits on one line, or undefined. */
  inline(v: Json, bareRefs = false): string | undefined {
    if (v === null) return "null";
    if (typeof v === "string") return this.str(v, bareRefs);
    if (typeof v === "number") return Number.isFinite(v) ? String(v) : undefined;
    if (typeof v === "boolean") return String(v);
    if (Array.isArray(v)) {
      if (v.length === 0) return "[]";
      if (v.some((x) => typeof x === "object" && x !== null)) return undefined;
      const items = v.map((x) => this.inline(x, bareRefs)!);
      const text = `[${items.join(", ")}]`;
      return text.length <= 100 || v.length === 1 ? text : undefined;
    }
    return Object.keys(v).length === 0 ? "{}" : undefined;
  }

  /** `key = value`, multi-line when the value does not fit on one line. */
  attribute(indent: number, key: string, v: Json, bareRefs = false): void {
    const k = hclKey(key);
    const one = this.inline(v, bareRefs);
    if (one !== undefined) {
      this.lines.push({ indent, key: k, text: one });
      return;
    }
    this.multiline(indent, `${k} = `, v, "", bareRefs);
  }

  /** A multi-line value: `prefix{` ... `}suffix` or `prefix[` ... `]suffix`. */
  multiline(indent: number, prefix: string, v: Json, suffix: string, bareRefs = false): void {
    if (Array.isArray(v)) {
      this.raw(indent, `${prefix}[`);
      for (const item of v) {
        const one = this.inline(item, bareRefs);
        if (one !== undefined) this.raw(indent + 1, `${one},`);
        else this.multiline(indent + 1, "", item, ",", bareRefs);
      }
      this.raw(indent, `]${suffix}`);
      return;
    }
    if (isObject(v)) {
      this.raw(indent, `${prefix}{`);
      for (const [k, x] of Object.entries(v)) this.attribute(indent + 1, k, x, bareRefs);
      this.raw(indent, `}${suffix}`);
      return;
    }
    throw new Error(`hcl: cannot write ${JSON.stringify(v)}`);
  }

  /** jsonencode({...}) for a policy document string; plain string if it is not JSON. */
  policy(indent: number, key: string, s: string): void {
    let doc: Json;
    try {
      doc = JSON.parse(s) as Json;
    } catch {
      this.attribute(indent, key, s);
      return;
    }
    if (!isObject(doc)) {
      this.attribute(indent, key, s);
      return;
    }
    this.multiline(indent, `${key} = jsonencode(`, doc, ")");
  }

  /** A block body: meta-arguments, attributes, maps, nested blocks, then depends_on and lifecycle. */
  body(indent: number, obj: JsonObject, where: string): void {
    const entries = Object.entries(obj).filter(([k]) => k !== "//");
    const order = (k: string, v: Json): number => {
      if (k === "provider" || k === "alias") return 0;
      if (k === "depends_on") return 5;
      if (k === "lifecycle") return 6;
      if (BLOCK_KEYS.has(k)) return 4;
      if (POLICY_KEYS.has(k) || MAP_KEYS.has(k) || this.inline(v) === undefined) return 2;
      return 1;
    };
    const sorted = entries.map(([k, v], i) => ({ k, v, i, o: order(k, v) })).sort((a, b) => a.o - b.o || a.i - b.i);
    let lastGroup = -1;
    for (const { k, v, o } of sorted) {
      // A blank line between groups (and around every multi-line item) keeps the output readable; fmt keeps it.
      if (lastGroup !== -1 && (o !== lastGroup || o >= 2)) this.blank();
      lastGroup = o;
      if (k === "provider" && typeof v === "string") {
        this.lines.push({ indent, key: k, text: v });
      } else if (BLOCK_KEYS.has(k)) {
        const items = Array.isArray(v) ? v : [v];
        items.forEach((item, i) => {
          if (!isObject(item)) throw new Error(`hcl: ${where}.${k} is not an object`);
          if (i > 0) this.blank();
          this.raw(indent, `${k} {`);
          this.body(indent + 1, item, `${where}.${k}`);
          this.raw(indent, "}");
        });
      } else if (k === "type" && typeof v === "string" && where.startsWith("variable.")) {
        this.lines.push({ indent, key: k, text: v });
      } else if (POLICY_KEYS.has(k) && typeof v === "string") {
        this.policy(indent, k, v);
      } else if (BARE_LIST_KEYS.has(k)) {
        this.attribute(indent, k, v, true);
      } else if (isObject(v) || (Array.isArray(v) && v.some(isObject))) {
        if (!MAP_KEYS.has(k))
          throw new Error(
            `hcl: ${where}.${k}: unknown nested object (add it to BLOCK_KEYS or MAP_KEYS in synth/hcl.ts)`,
          );
        this.attribute(indent, k, v);
      } else {
        this.attribute(indent, k, v);
      }
    }
  }

  render(): string {
    // Align `=` within each run of consecutive single-line attributes at the same indentation.
    const out: string[] = [];
    let i = 0;
    while (i < this.lines.length) {
      const line = this.lines[i];
      if (line.key === undefined) {
        out.push(line.text ? `${"  ".repeat(line.indent)}${line.text}` : "");
        i++;
        continue;
      }
      let j = i;
      while (j < this.lines.length && this.lines[j].key !== undefined && this.lines[j].indent === line.indent) j++;
      // The run shares one indentation, so aligning the keys with it is aligning the keys alone.
      const pad = "  ".repeat(line.indent);
      for (const l of alignAssignments(this.lines.slice(i, j).map((x) => ({ key: pad + x.key!, value: x.text }))))
        out.push(l);
      i = j;
    }
    return `${out.join("\n").replace(/\n{3,}/g, "\n\n")}\n`;
  }
}

const sortedKeys = (o: JsonObject) => Object.keys(o).filter((k) => k !== "//");

/** Converts a synthesized Terraform JSON document into formatted HCL. */
export function toHcl(doc: JsonObject, opts: HclOptions = {}): string {
  const w = new Writer(opts);
  const first = { done: false };
  const section = () => {
    if (first.done) w.blank();
    first.done = true;
  };
  if (opts.header) {
    for (const l of opts.header.split("\n")) w.raw(0, l ? `# ${l}` : "#");
    w.blank();
  }

  const tf = doc.terraform;
  if (isObject(tf)) {
    section();
    w.raw(0, "terraform {");
    let inner = false;
    for (const k of sortedKeys(tf)) {
      const v = tf[k];
      if (inner) w.blank();
      inner = true;
      if (k === "required_providers" && isObject(v)) {
        w.raw(1, "required_providers {");
        for (const name of Object.keys(v)) w.attribute(2, name, v[name]);
        w.raw(1, "}");
      } else if (k === "cloud" && isObject(v)) {
        // HCP Terraform: `cloud { organization = ..., workspaces { name = ... } }`, a block, not a map.
        w.raw(1, "cloud {");
        w.body(2, v, "terraform.cloud");
        w.raw(1, "}");
      } else if (k === "backend" && isObject(v)) {
        for (const type of Object.keys(v)) {
          const cfg = v[type];
          if (!isObject(cfg)) throw new Error("hcl: terraform.backend is not an object");
          w.raw(1, `backend ${quote(type)} {`);
          w.body(2, cfg, `terraform.backend.${type}`);
          w.raw(1, "}");
        }
      } else {
        w.attribute(1, k, v);
      }
    }
    w.raw(0, "}");
  }

  const providers = doc.provider;
  if (isObject(providers)) {
    for (const name of sortedKeys(providers)) {
      const list = providers[name];
      for (const cfg of Array.isArray(list) ? list : [list]) {
        if (!isObject(cfg)) throw new Error(`hcl: provider.${name} is not an object`);
        section();
        if (!sortedKeys(cfg).length) {
          w.raw(0, `provider ${quote(name)} {}`);
          continue;
        }
        w.raw(0, `provider ${quote(name)} {`);
        w.body(1, cfg, `provider.${name}`);
        w.raw(0, "}");
      }
    }
  }

  const labelled = (kind: "variable" | "output") => {
    const all = doc[kind];
    if (!isObject(all)) return;
    for (const name of sortedKeys(all)) {
      const cfg = all[name];
      if (!isObject(cfg)) throw new Error(`hcl: ${kind}.${name} is not an object`);
      section();
      w.raw(0, `${kind} ${quote(name)} {`);
      w.body(1, cfg, `${kind}.${name}`);
      w.raw(0, "}");
    }
  };
  labelled("variable");

  for (const kind of ["data", "resource"] as const) {
    const all = doc[kind];
    if (!isObject(all)) continue;
    for (const type of sortedKeys(all)) {
      const byName = all[type];
      if (!isObject(byName)) throw new Error(`hcl: ${kind}.${type} is not an object`);
      for (const name of sortedKeys(byName)) {
        const cfg = byName[name];
        if (!isObject(cfg)) throw new Error(`hcl: ${kind}.${type}.${name} is not an object`);
        section();
        const body = sortedKeys(cfg).length;
        if (!body) {
          w.raw(0, `${kind} ${quote(type)} ${quote(name)} {}`);
          continue;
        }
        w.raw(0, `${kind} ${quote(type)} ${quote(name)} {`);
        w.body(1, cfg, `${kind}.${type}.${name}`);
        w.raw(0, "}");
      }
    }
  }
  labelled("output");
  for (const k of Object.keys(doc)) {
    if (!["//", "terraform", "provider", "variable", "data", "resource", "output"].includes(k))
      throw new Error(`hcl: top-level "${k}" is not supported`);
  }
  return w.render();
}
