/**
 * Escaping for each output format. Every function returns a complete literal (quotes included where the format
 * needs them) or throws an Error saying what it cannot represent; the template helpers wrap these.
 */

type Scalar = string | number | boolean | null;

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "a list" : typeof v === "object" ? "an object" : typeof v;
}

function expectScalar(v: unknown, what: string): Scalar {
  if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  throw new Error(`${what} expects a string, number or boolean, got ${typeName(v)}`);
}

/** Words YAML 1.1 readers (PyYAML: c7n-org; Go yaml.v2) take as booleans or null, and merge/value keys. */
const YAML11_SPECIAL =
  /^(?:[yYnN]|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~|=|<<)$/;
/** [A-Za-z0-9_./@+=-]: a plain-safe YAML scalar's characters besides ":" and single spaces, and what follows a space. */
function isYamlWordChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || // a-z
    (c >= 65 && c <= 90) || // A-Z
    (c >= 45 && c <= 57) || // - . / 0-9
    c === 95 || // _
    c === 64 || // @
    c === 43 || // +
    c === 61 // =
  );
}

/**
 * Plain-safe in block and flow context for YAML 1.1 and 1.2 readers alike: ASCII letters, digits and a few
 * punctuation marks ([A-Za-z0-9_./@+=:-]), starting with [A-Za-z_/], single spaces between words, no ": " (a key)
 * and no trailing ":". Everything else is quoted. One pass over the char codes, no regular expression: it runs on
 * tens of thousands of values per generate.
 */
function isYamlPlainSafe(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  const first = s.charCodeAt(0);
  if (!((first >= 65 && first <= 90) || (first >= 97 && first <= 122) || first === 95 || first === 47)) return false;
  for (let i = 1; i < n; i++) {
    const c = s.charCodeAt(i);
    if (isYamlWordChar(c)) continue;
    const next = i + 1 < n ? s.charCodeAt(i + 1) : -1;
    if (c === 58 /* : */ && next !== -1 && next !== 32) continue;
    if (c === 32 /* space */ && isYamlWordChar(next)) continue;
    return false;
  }
  return true;
}

/**
 * Characters a YAML double-quoted scalar must carry as an escape. YAML 1.1 readers (PyYAML: c7n-org) refuse any
 * non-printable character anywhere in the stream (PyYAML reader.py NON_PRINTABLE: C0 but tab/LF/CR, DEL, C1 but
 * NEL, unpaired surrogates, U+FFFE/U+FFFF; characters beyond the BMP are printable and stay as they are), and both YAML 1.1 and 1.2 fold line breaks inside quotes, where YAML 1.1 also
 * counts NEL (U+0085), LS (U+2028) and PS (U+2029) as line breaks. The BOM is escaped so no reader strips it.
 */
const YAML_MUST_ESCAPE =
  /[\\"\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Line breaks (NEL and U+2028/9 included), controls, BOM, U+FFFE/U+FFFF and unpaired surrogates. */
const UNREPRESENTABLE_IN_LINE =
  /[\r\n\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The printable ASCII characters (U+0020-U+007E) but `except`, as a table by char code. An escaper tests the common
 * value (names, IDs, ARNs, e-mail addresses) against its table in one loop and writes it as it is, instead of
 * running a chain of regular expressions, for speed: tens of thousands of values per generate.
 */
function plainAscii(except: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let c = 0x20; c <= 0x7e; c++) if (!except.includes(String.fromCharCode(c))) table[c] = 1;
  return table;
}

/** True when every character of `s` is in `table` (see plainAscii). */
export function isPlain(s: string, table: Uint8Array): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7e || table[c] === 0) return false;
  }
  return true;
}

/** Printable ASCII: nothing a one-line comment must replace (see the comment helper). */
export const COMMENT_PLAIN = plainAscii("");
/** What a YAML double-quoted scalar holds unescaped. */
const YAML_QUOTED_PLAIN = plainAscii('"\\');
/** What an INI value may hold anywhere (its first and last characters have further rules). */
const INI_PLAIN = plainAscii(";#\\");
/** What an HCL quoted string holds unescaped: no backslash or ", no $ or % (they could start a template sequence). */
const HCL_PLAIN = plainAscii('"$%\\');

/** A YAML double-quoted scalar holding exactly `s`, read the same by YAML 1.1 and 1.2 readers. */
export function yamlQuoted(s: string): string {
  if (isPlain(s, YAML_QUOTED_PLAIN)) return `"${s}"`; // nothing to escape: no regular expression pass
  return `"${s.replace(YAML_MUST_ESCAPE, (c) => (c === "\\" ? "\\\\" : c === '"' ? '\\"' : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`))}"`;
}

/**
 * A YAML scalar that reads back as exactly `v` in block or flow context, for YAML 1.2 and YAML 1.1 readers
 * (strings that 1.1 would read as booleans, null or numbers, such as "yes" or "12:30", are quoted). Only the
 * plain-safe ASCII subset goes unquoted; anything else becomes a double-quoted scalar with every character a
 * reader could take as a line break, refuse, or strip written as an escape.
 */
export function yamlScalar(v: unknown): string {
  const s = expectScalar(v, "yaml");
  if (typeof s !== "string") {
    if (typeof s === "number" && !Number.isFinite(s)) throw new Error(`yaml cannot represent ${s}`);
    return s === null ? "null" : String(s);
  }
  if (isYamlPlainSafe(s) && (s.length > 5 || !YAML11_SPECIAL.test(s))) return s; // every special word is <= 5 long
  return yamlQuoted(s);
}

/** A YAML flow sequence of scalars: ["a", "b"]. */
export function yamlList(v: unknown): string {
  if (!Array.isArray(v)) throw new Error(`yamlList expects a list, got ${typeName(v)}`);
  return `[${v.map((x) => (typeof x === "string" ? yamlQuoted(x) : yamlScalar(x))).join(", ")}]`;
}

/** A JSON value (compact, or indented by `indent`). */
export function jsonValue(v: unknown, indent?: number): string {
  if (v === undefined) throw new Error("json got undefined");
  return JSON.stringify(v, null, indent);
}

const HCL_ESCAPES: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * An HCL quoted string: JSON-like escapes, with `${` and `%{` doubled so they are not template sequences
 * (HCL native syntax spec, "Template Literals": `$${` and `%%{` are the literal escapes). The replacements are
 * functions: a replacement *string* "$${" is read by String.replace as "$" + "{", which left `${` live.
 * HCL readers (Terraform, Steampipe) normalise every string literal to Unicode NFC, escapes included, so a string
 * that is not in NFC cannot be written so that it reads back as itself: it is refused instead of silently changed.
 */
export function hclString(s: string): string {
  // Printable ASCII without \ " $ % needs no escape (and is NFC): most names, IDs and ARNs, written as they are.
  if (isPlain(s, HCL_PLAIN)) return `"${s}"`;
  if (s.normalize("NFC") !== s)
    throw new Error(
      `hcl cannot represent a string that is not in Unicode NFC (HCL readers normalise it): ${JSON.stringify(s.slice(0, 40))}`,
    );
  const body = s
    .replace(
      /[\\"\n\r\t]|[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
      (c) => HCL_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    )
    .replace(/\$\{/g, () => "$${")
    .replace(/%\{/g, () => "%%{");
  return `"${body}"`;
}

/** An HCL literal: a quoted string, a number, a bool, or a one-line list ["a", "b"] of those. */
export function hclValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => hclValue(expectScalar(x, "hcl list item"))).join(", ")}]`;
  const s = expectScalar(v, "hcl");
  if (s === null) return "null";
  if (typeof s === "string") return hclString(s);
  if (typeof s === "number" && !Number.isFinite(s)) throw new Error(`hcl cannot represent ${s}`);
  return String(s);
}

/** An HCL identifier (block label-free names such as provider aliases and variable names). */
export function hclIdentifier(v: unknown): string {
  if (typeof v !== "string" || !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(v))
    throw new Error(`hclIdent expects an HCL identifier ([A-Za-z_][A-Za-z0-9_-]*), got ${JSON.stringify(v)}`);
  return v;
}

/**
 * An INI / AWS config file value. These formats have no quoting or escaping: a value must be one line without
 * leading or trailing spaces, and must not start a comment. Anything else is refused rather than mangled.
 */
export function iniValue(v: unknown): string {
  const s = expectScalar(v, "ini");
  const str = s === null ? "" : String(s);
  // The common value passes every rule below at once: printable ASCII without ; # \, no edge space, no quote first.
  const first = str.charCodeAt(0);
  if (isPlain(str, INI_PLAIN) && first !== 32 && first !== 34 && first !== 39 && str.charCodeAt(str.length - 1) !== 32)
    return str;
  if (UNREPRESENTABLE_IN_LINE.test(str))
    throw new Error(
      `ini cannot represent a value with a line break or control character (${JSON.stringify(str.slice(0, 40))})`,
    );
  if (str !== str.trim())
    throw new Error(`ini cannot represent a value with leading or trailing spaces (${JSON.stringify(str)})`);
  if (/^["']/.test(str))
    throw new Error(`ini cannot represent a value starting with ${str[0]} (${JSON.stringify(str)})`);
  // Readers disagree on comments inside a value: botocore's configparser keeps "a#b", the ini package (and others)
  // cut it at the # or ;. A value that one reader would cut is refused.
  if (/[;#]/.test(str))
    throw new Error(
      `ini cannot represent a value holding ; or # (some readers take the rest as a comment) (${JSON.stringify(str)})`,
    );
  // The ini package reads \\ as one backslash (npm/ini lib/ini.js unsafe(), v5.0.0); configparser keeps both.
  if (str.includes("\\\\"))
    throw new Error(
      `ini cannot represent a value holding two backslashes in a row (readers disagree on them) (${JSON.stringify(str)})`,
    );
  return str;
}

/** An INI section or key name: no brackets, "=", line breaks or surrounding spaces. */
export function iniKey(v: unknown): string {
  const s = iniValue(v);
  if (!s || /[[\]=]/.test(s)) throw new Error(`iniKey cannot use ${JSON.stringify(s)} as a section or key name`);
  return s;
}

/**
 * A dotenv value. Safe characters go unquoted; otherwise single quotes. python-dotenv (what pydantic settings in Port
 * Ocean read a .env with) expands `${NAME}` in every value, single-quoted or not, and reads `\\` and `\'` inside
 * single quotes as escapes (theskumar/python-dotenv v1.2.2: src/dotenv/main.py resolve_variables, parser.py
 * `_single_quote_escapes`). So a value holding `${` is refused, and one holding a single quote or a backslash goes
 * in double quotes with `\` and `"` escaped.
 */
export function envValue(v: unknown): string {
  const s = expectScalar(v, "env");
  const str = s === null ? "" : String(s);
  if (UNREPRESENTABLE_IN_LINE.test(str))
    throw new Error(`env cannot represent a value with a line break or control character`);
  if (/^[\w./:@,+=-]*$/.test(str)) return str;
  if (str.includes("${"))
    throw new Error(`env cannot represent a value holding \${ (dotenv loaders expand it, quoted or not)`);
  if (!str.includes("'") && !str.includes("\\")) return `'${str}'`;
  return `"${str.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** An environment variable name. */
export function envName(v: unknown): string {
  if (typeof v !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v))
    throw new Error(`envName expects an environment variable name, got ${JSON.stringify(v)}`);
  return v;
}
