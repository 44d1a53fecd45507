import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
// The runtime only: every template is run from its compiled form (hb.template). The compiler, about 25 ms more to load,
// is loaded by \`precompile\` below when a template has no compiled form yet (custom ones, or a built-in edited since
// templates/precompiled.json was written).
import Handlebars from "handlebars/runtime";
import { parseAllDocuments } from "yaml";
import { InputError } from "../common/errors";
import { accountRootArn, iamRoleArn } from "../common/ids";
import { PACKAGE_ROOT, TEMPLATES_DIR } from "../common/paths";
import type { TemplateContext } from "./context";
import {
  COMMENT_PLAIN,
  envName,
  envValue,
  hclIdentifier,
  hclString,
  hclValue,
  iniKey,
  iniValue,
  isPlain,
  jsonValue,
  yamlList,
  yamlScalar,
} from "./escape";
import { alignHcl } from "../common/hcl-format";
import { slugify } from "./identifiers";

/** Output formats: they decide the comment syntax of the header, post-processing and validation. */
export type OutputFormat = "yaml" | "json" | "hcl" | "ini" | "env" | "text";

/** The comment prefix of each format (null: the format has no comments). */
export const COMMENT_PREFIX: Record<OutputFormat, string | null> = {
  yaml: "#",
  json: null,
  hcl: "#",
  ini: "#",
  env: "#",
  text: "#",
};

/** Guesses the format of a custom template's output from its file name. */
export function formatFromFileName(file: string): OutputFormat {
  const base = path.basename(file).toLowerCase();
  if (/\.(ya?ml)$/.test(base)) return "yaml";
  if (/\.json$/.test(base)) return "json";
  if (/\.(tf|hcl|spc)$/.test(base)) return "hcl";
  if (/\.(ini|cfg|conf)$/.test(base) || base === "config" || base === "credentials") return "ini";
  if (base === ".env" || base.endsWith(".env")) return "env";
  return "text";
}

/** A template failure: always exit 2, naming the template file, the line and the helper. */
class TemplateFailure extends Error {
  templateFile?: string;
  constructor(
    message: string,
    readonly helper?: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

interface HelperOptions {
  hash: Record<string, unknown>;
  data: { root: TemplateContext };
  loc?: { start: { line: number; column: number } };
}

type HelperFn = (...args: unknown[]) => unknown;
type CompileOptions = Parameters<typeof Handlebars.compile>[1];

/** The helpers every template gets. docs/generate.md ("Helpers") lists them; keep the two in step. */
export const HELPERS: Record<string, (args: unknown[], options: HelperOptions) => unknown> = {
  /** {{yaml v}}: a YAML scalar, quoted when needed. */
  yaml: ([v]) => yamlScalar(v),
  /** {{yamlList list}}: a YAML flow sequence ["a", "b"]. */
  yamlList: ([v]) => yamlList(v),
  /** {{json v}} or {{json v indent=2}}: JSON. */
  json: ([v], o) => jsonValue(v, typeof o.hash.indent === "number" ? o.hash.indent : undefined),
  /** {{hcl v}}: an HCL literal (quoted string with ${ and %{ escaped, number, bool, or a one-line list). */
  hcl: ([v]) => hclValue(v),
  /** {{hclString v}}: an HCL quoted string even for numbers. */
  hclString: ([v]) => hclString(String(v)),
  /** {{hclIdent v}}: checks an HCL identifier (provider alias, variable name). */
  hclIdent: ([v]) => hclIdentifier(v),
  /** {{ini v}}: an INI / AWS config value (refuses what the format cannot hold). */
  ini: ([v]) => iniValue(v),
  /** {{iniKey v}}: an INI section or key name. */
  iniKey: ([v]) => iniKey(v),
  /** {{env v}}: a dotenv value (quoted when needed, never expanded). */
  env: ([v]) => envValue(v),
  /** {{envName v}}: checks an environment variable name. */
  envName: ([v]) => envName(v),
  /** {{slug name}} kebab-case [a-z0-9-]; {{slug name "snake"}} [a-z0-9_]; {{slug name "backstage"}}. */
  slug: ([v, style]) => {
    if (typeof v !== "string") throw new Error(`slug expects a string, got ${typeof v}`);
    const s = typeof style === "string" ? style : "kebab";
    if (s !== "kebab" && s !== "snake" && s !== "backstage")
      throw new Error(`slug style must be kebab, snake or backstage, got ${JSON.stringify(s)}`);
    return slugify(v, s);
  },
  /** {{roleArn accountId roleName [path]}}: an IAM role ARN in the org's partition. */
  roleArn: ([account, name, rolePath], o) => {
    if (typeof account !== "string" || typeof name !== "string")
      throw new Error("roleArn expects an account ID and a role name");
    return iamRoleArn(o.data.root.partition, account, name, typeof rolePath === "string" ? rolePath : "/");
  },
  /** {{accountRootArn accountId}}: arn:<partition>:iam::<id>:root. */
  accountRootArn: ([account], o) => {
    if (typeof account !== "string") throw new Error("accountRootArn expects an account ID");
    return accountRootArn(o.data.root.partition, account);
  },
  /** {{externalIdRef "yaml"|"env"|"hcl"|"json"}}: the external ID reference (or value with --inline-secrets) in that format. */
  externalIdRef: ([format], o) => {
    const x = o.data.root.externalId;
    switch (format) {
      case "yaml":
        return yamlScalar(x.placeholder);
      case "json":
        return JSON.stringify(x.placeholder);
      case "hcl":
        return x.hcl;
      case "env":
        return x.inline ? envValue(x.value) : `\${${x.variable}}`;
      default:
        throw new Error(`externalIdRef format must be yaml, json, hcl or env, got ${JSON.stringify(format)}`);
    }
  },
  /** {{header "#"}}: the standard "generated by orgtrust" header, each line starting with the given comment prefix. */
  header: ([prefix], o) => {
    if (typeof prefix !== "string" || !prefix) throw new Error('header expects a comment prefix such as "#"');
    return headerLines(o.data.root)
      .map((l) => `${prefix} ${l}`)
      .join("\n");
  },
  /** {{comment text}}: text made safe inside a one-line comment (line breaks and control characters become spaces). */
  // YAML 1.1 also breaks lines at NEL, and PyYAML refuses DEL, C1 controls and U+FFFE/U+FFFF even in a comment.
  // Printable ASCII has none of them and is returned as it is (no regular expression pass: tens of thousands of calls).
  comment: ([v]) => {
    const s = String(v);
    return isPlain(s, COMMENT_PLAIN)
      ? s
      : s.replace(
          /(?:[\r\n\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff])+/g,
          " ",
        );
  },
  /** {{concat a b ...}}: the arguments joined into one string. */
  concat: (args) => args.map(String).join(""),
  /** {{join list ", "}} */
  join: ([list, sep]) => {
    if (!Array.isArray(list)) throw new Error("join expects a list");
    return list.join(typeof sep === "string" ? sep : ", ");
  },
  eq: ([a, b]) => a === b,
  ne: ([a, b]) => a !== b,
  not: ([a]) => !a,
  and: (args) => args.every(Boolean),
  or: (args) => args.some(Boolean),
  lower: ([v]) => String(v).toLowerCase(),
  upper: ([v]) => String(v).toUpperCase(),
};

/** The header every generated file starts with: no time, so a second run changes nothing. */
export function headerLines(ctx: TemplateContext): string[] {
  const consumer = ctx.integration.consumer === "custom" ? "custom template" : `consumer ${ctx.integration.consumer}`;
  return [
    `Generated by orgtrust for integration "${ctx.integration.name}" (${consumer}). Do not edit by hand:`,
    "change orgtrust.yaml and re-run `orgtrust generate` (`orgtrust generate --check` in CI).",
    `Org snapshot sha256:${ctx.snapshot.hash} (organization ${ctx.organization.id}): ${ctx.accounts.length} accounts in scope, ${ctx.excluded.length} excluded.`,
  ];
}

function registerHelpers(hb: typeof Handlebars): void {
  for (const [name, impl] of Object.entries(HELPERS)) {
    const wrapped: HelperFn = function (...args: unknown[]) {
      const options = args.pop() as HelperOptions;
      try {
        return impl(args, options);
      } catch (e) {
        if (e instanceof TemplateFailure) throw e;
        throw new TemplateFailure((e as Error).message, name, options?.loc?.start.line);
      }
    };
    hb.registerHelper(name, wrapped);
  }
  registerChunkedEach(hb);
}

/** How many {{#each}} iterations are joined into one flat string (see registerChunkedEach). */
const EACH_CHUNK = 64;

/**
 * {{#each}} as handlebars has it, with the iterations' output joined every EACH_CHUNK items, for speed. Handlebars
 * appends each iteration to one growing string: for 5,000 accounts a rope of about a million pieces that stays
 * alive until the file is written, which every young-generation GC copies (about a third of generate's GC time).
 * Joined in chunks, the pieces die young. The output is the same: each calls fn once per item, in order, and returns
 * the concatenation of what fn returned, or the inverse block's output when there is no item. Any other use (no
 * block, no argument) and any list of at most EACH_CHUNK items goes to handlebars' own helper unchanged, errors
 * included.
 */
function registerChunkedEach(hb: typeof Handlebars): void {
  const each = hb.helpers.each as (...args: unknown[]) => unknown;
  hb.registerHelper("each", function (this: unknown, ...args: unknown[]) {
    const [context, options] = args as [unknown, Handlebars.HelperOptions | undefined];
    // A short list (an account's tags, an OU's connections) makes no long rope: handlebars' own helper runs it,
    // without the closure and the copy of the options below (thousands of such lists per file).
    if (
      args.length !== 2 ||
      typeof options?.fn !== "function" ||
      (Array.isArray(context) && context.length <= EACH_CHUNK)
    )
      return each.apply(this, args);
    const fn = options.fn;
    const chunks: string[] = [];
    let parts: string[] = [];
    const collect = (item: unknown, runtime?: Handlebars.RuntimeOptions) => {
      parts.push(fn(item, runtime));
      if (parts.length === EACH_CHUNK) {
        chunks.push(parts.join(""));
        parts = [];
      }
      return "";
    };
    const rest = each.call(this, context, { ...options, fn: collect }) as string;
    chunks.push(parts.join(""));
    return chunks.join("") + rest;
  });
}

/**
 * Compile options of custom templates: strict (an unknown field or helper fails, naming its line), as
 * docs/generate.md promises. Every helper is declared to the compiler, so a call to one compiles to a direct call
 * instead of a look-up with a run-time fallback (the same helpers are registered, so the output is the same).
 */
const COMPILE_OPTIONS = {
  strict: true,
  noEscape: true,
  preventIndent: false,
  knownHelpers: Object.fromEntries(Object.keys(HELPERS).map((name) => [name, true])),
} as const;

/**
 * Built-in templates also compile with knownHelpersOnly, for speed: a name that is not a helper is compiled as a
 * field look-up (still strict) instead of a run-time "helper or field?" test. Custom templates keep that test, so
 * a misspelt helper there still fails with the one-line "unknown variable or helper" message.
 */
const BUILT_IN_COMPILE_OPTIONS = { ...COMPILE_OPTIONS, knownHelpersOnly: true } as const;

/** A template's name inside orgtrust's own templates/ ("aws-cli/aws-config.hbs"), or undefined for any other file. */
function builtInName(file: string): string | undefined {
  const rel = path.relative(TEMPLATES_DIR, file);
  return !rel.startsWith("..") && !path.isAbsolute(rel) ? rel.split(path.sep).join("/") : undefined;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * templates/precompiled.json: the built-in templates compiled ahead of time, for speed (compiling the twelve of them
 * cost 100-200 ms of a cold generate run, as much as rendering 5,000 accounts through some of them). Each entry
 * holds the sha256 of the source it was compiled from and is used only for exactly that source, with the same
 * handlebars version: a template edited without re-running `node scripts/precompile-templates.js` is compiled as
 * before, so the file can make a run slower, never different. A unit test keeps it current.
 */
const PRECOMPILED_FILE = path.join(TEMPLATES_DIR, "precompiled.json");

interface PrecompiledFile {
  handlebars: string;
  templates: Record<string, { sha256: string; spec: string }>;
}

let precompiledEntries: PrecompiledFile["templates"] | null | undefined;

/** The entry of templates/precompiled.json for exactly this built-in template source, if there is one. */
function precompiledEntry(name: string, hash: string): string | undefined {
  if (precompiledEntries === undefined) {
    try {
      const f = JSON.parse(fs.readFileSync(PRECOMPILED_FILE, "utf8")) as PrecompiledFile;
      precompiledEntries = f.handlebars === Handlebars.VERSION ? f.templates : null;
    } catch {
      precompiledEntries = null;
    }
  }
  const entry = precompiledEntries?.[name];
  return entry?.sha256 === hash ? entry.spec : undefined;
}

let compiler: typeof Handlebars | undefined;

/** Handlebars' compiled code for a template (its precompile writes into the options it is given: a copy each time). */
function precompile(source: string, options: CompileOptions): string {
  // Loaded on first use, synchronously (rendering is synchronous): see the import of the runtime above.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  compiler ??= (require("handlebars") as { default: typeof Handlebars }).default;
  return compiler.precompile(source, { ...options }) as unknown as string;
}

/** Compiled templates by source and options, so a template used by several integrations is compiled once. */
const specs = new Map<string, TemplateSpecification>();

/**
 * A template's (or a partial's) compiled form, what hb.template() runs in an environment: a built-in template's from
 * templates/precompiled.json when that holds its source, else compiled here; either is kept for the process.
 */
function templateSpec(file: string, source: string): TemplateSpecification {
  const name = builtInName(file);
  const hash = sha256(source);
  const key = `${name ?? "custom"}\0${hash}`;
  let spec = specs.get(key);
  if (!spec) {
    const code =
      (name !== undefined ? precompiledEntry(name, hash) : undefined) ??
      precompile(source, name !== undefined ? BUILT_IN_COMPILE_OPTIONS : COMPILE_OPTIONS);
    // Code that handlebars generated from a template, evaluated as its own compile() does.
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const evaluate = new Function(`return ${code};`) as () => TemplateSpecification;
    spec = evaluate();
    specs.set(key, spec);
  }
  return spec;
}

/** The text of templates/precompiled.json for the built-in templates as they are (see PRECOMPILED_FILE). */
export function precompiledTemplates(): string {
  const templates: PrecompiledFile["templates"] = {};
  for (const dir of fs.readdirSync(TEMPLATES_DIR).sort()) {
    if (!fs.statSync(path.join(TEMPLATES_DIR, dir)).isDirectory()) continue;
    for (const f of fs.readdirSync(path.join(TEMPLATES_DIR, dir)).sort()) {
      if (!f.endsWith(".hbs") || f.startsWith("_")) continue; // partials are compiled by their environment
      const source = fs.readFileSync(path.join(TEMPLATES_DIR, dir, f), "utf8");
      const spec = precompile(source, BUILT_IN_COMPILE_OPTIONS);
      templates[`${dir}/${f}`] = { sha256: sha256(source), spec };
    }
  }
  const note =
    "Generated by scripts/precompile-templates.js from the .hbs templates in the folders beside it (do not edit): orgtrust uses an entry only for the template source whose sha256 it holds.";
  return `${JSON.stringify({ note, handlebars: Handlebars.VERSION, templates }, null, 2)}\n`;
}

function readTemplate(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    throw new InputError(
      `template ${displayPath(file)}: not found or unreadable (fix: check the integration's consumer path)`,
    );
  }
}

/** Template paths in messages: relative to the orgtrust package for built-ins, else to the working directory. */
export function displayPath(file: string): string {
  const rel = path.relative(PACKAGE_ROOT, file);
  if (!rel.startsWith("..") && !path.isAbsolute(rel)) return rel;
  return path.relative(process.cwd(), file) || file;
}

/**
 * An isolated handlebars environment for one template folder: the helpers, and every `_name.hbs` beside the
 * template as partial `name` (so `{{> name}}` works). Partials are compiled with the same strict options.
 */
export function createEnvironment(templateDir: string): typeof Handlebars {
  const hb = Handlebars.create();
  registerHelpers(hb);
  let entries: string[];
  try {
    entries = fs.readdirSync(templateDir);
  } catch {
    entries = [];
  }
  for (const f of entries.sort()) {
    const m = /^_(.+)\.hbs$/.exec(f);
    if (!m) continue;
    const file = path.join(templateDir, f);
    let compiled: HandlebarsTemplateDelegate | undefined;
    hb.registerPartial(m[1], ((context: unknown, options: Handlebars.RuntimeOptions) => {
      try {
        compiled ??= hb.template(templateSpec(file, readTemplate(file)));
        return compiled(context, options);
      } catch (e) {
        (e as TemplateFailure).templateFile ??= file;
        throw e;
      }
    }) as unknown as Handlebars.Template);
  }
  return hb;
}

/** Turns any error out of handlebars into one line: "template F:LINE: problem (helper "x") (fix: ...)". */
function describeTemplateError(e: unknown, file: string): InputError {
  const err = e as Error & { templateFile?: string; lineNumber?: number };
  const where = displayPath(err.templateFile ?? file);
  if (e instanceof TemplateFailure) {
    return new InputError(
      `template ${where}${e.line ? `:${e.line}` : ""}: helper "${e.helper}": ${e.message} (fix: correct the helper call or the value passed to it)`,
    );
  }
  const msg = String(err.message ?? e);
  const parse = /^Parse error on line (\d+):\n[^\n]*\n[^\n]*\n(.*)$/s.exec(msg);
  if (parse)
    return new InputError(
      `template ${where}:${parse[1]}: syntax error: ${parse[2].split("\n")[0]} (fix: correct the handlebars syntax at that line)`,
    );
  const undef = /^"(.+)" not defined in .* - (\d+):(\d+)$/s.exec(msg);
  if (undef) {
    return new InputError(
      `template ${where}:${undef[2]}: unknown variable or helper "${undef[1]}" (fix: use a field of the template context or a helper listed in docs/generate.md, "Helpers")`,
    );
  }
  const partial = /^The partial (.+) could not be found/.exec(msg);
  if (partial)
    return new InputError(
      `template ${where}: partial "${partial[1]}" not found (fix: create _${partial[1]}.hbs beside the template)`,
    );
  const line = err.lineNumber ?? /line (\d+)/.exec(msg)?.[1];
  return new InputError(
    `template ${where}${line ? `:${line}` : ""}: ${msg.split("\n")[0]} (fix: correct the template)`,
  );
}

/** Makes text end with exactly one newline, with "\n" line ends and no trailing spaces. */
function tidy(text: string): string {
  // Built-in templates render text that is already tidy: a few native substring searches prove it (no regex over
  // the multi-megabyte text) and the text is returned as it is, not copied. The multi-line "$" also matches before
  // U+2028/U+2029, hence those two searches. Otherwise one multi-line pass for trailing blanks: splitting
  // multi-megabyte renders into lines cost more than rendering.
  const last = text.charCodeAt(text.length - 1);
  const clean =
    !text.includes("\r") &&
    !text.includes(" \n") &&
    !text.includes("\t\n") &&
    !text.includes("\n\n\n") &&
    !text.includes("\u2028") &&
    !text.includes("\u2029") &&
    last !== 32 &&
    last !== 9;
  const body = clean
    ? text
    : (text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text).replace(/[ \t]+$/gm, "").replace(/\n{3,}/g, "\n\n");
  let start = 0;
  let end = body.length;
  while (start < end && body.charCodeAt(start) === 10) start++;
  while (end > start && body.charCodeAt(end - 1) === 10) end--;
  if (start === 0 && end === body.length - 1) return body; // already ends with exactly one "\n"
  return `${body.slice(start, end)}\n`;
}

/**
 * Renders one template file with the context and post-processes by format. With `validate` (custom templates,
 * whose authors may not quote every value), YAML and JSON output must parse. Built-in templates quote through the
 * helpers and are checked by the tests with real parsers; parsing multi-megabyte YAML again on every run would
 * cost seconds at 5,000 accounts.
 */
export function renderTemplate(
  hb: typeof Handlebars,
  file: string,
  ctx: TemplateContext,
  format: OutputFormat,
  outputName: string,
  validate = true,
): string {
  let text: string;
  try {
    text = hb.template(templateSpec(file, readTemplate(file)))(ctx);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw describeTemplateError(e, file);
  }
  text = tidy(text);
  if (format === "hcl") text = alignHcl(text);
  if (validate && format === "yaml") {
    const docs = parseAllDocuments(text, { uniqueKeys: true });
    const err = (Array.isArray(docs) ? docs : [docs]).flatMap((d) => d.errors)[0];
    if (err)
      throw new InputError(
        `template ${displayPath(file)}: its output ${outputName} is not valid YAML: ${err.message.split("\n")[0].replace(/:$/, "")} (fix: quote values with {{yaml ...}})`,
      );
  }
  if (validate && format === "json") {
    try {
      JSON.parse(text);
    } catch (e) {
      throw new InputError(
        `template ${displayPath(file)}: its output ${outputName} is not valid JSON: ${(e as Error).message} (fix: write values with {{json ...}})`,
      );
    }
  }
  return text;
}
