import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { InputError } from "../common/errors";
import { EACH_ACCOUNT, partitionOfArn, policyArnAccount } from "../common/ids";
import { withExclusions, type ExtraExclusions } from "./exclusions";
import { resolveIntegration, type ResolvedIntegration } from "./resolve";
import { integrationRuleIssues } from "./rules";
import {
  CONSUMERS,
  CONSUMER_OPTIONS,
  configSchema,
  globalExclusionsSchema,
  integrationSchema,
  isTemplatePath,
  type ConsumerName,
  type IntegrationConfig,
  type OrgtrustConfig,
} from "./schema";
import { compareStrings } from "../common/compare";

export interface LoadedConfig {
  /** The validated config with defaults filled in (and the command's extra exclusions merged in). */
  config: OrgtrustConfig;
  /** Absolute path of the file it came from. */
  file: string;
  /** Directory relative paths in the file are resolved against. */
  baseDir: string;
  /**
   * Every integration with its defaults and consumer preset applied, sorted by name: resolved once, here, and read
   * by every command (selectIntegrations picks from it; nothing resolves again).
   */
  integrations: ResolvedIntegration[];
}

/** A config read and checked completely: the validated file and its resolved integrations. */
export interface ReadConfig {
  config: OrgtrustConfig;
  integrations: ResolvedIntegration[];
}

export type { ExtraExclusions };

export const DEFAULT_CONFIG_FILE = "orgtrust.yaml";

/** The keys an object schema accepts at `at` inside `schema` (through defaults, optionals, records, arrays). */
function keysAt(schema: z.ZodType | undefined, at: PropertyKey[]): string[] {
  type Def = {
    type?: string;
    innerType?: z.ZodType;
    in?: z.ZodType;
    valueType?: z.ZodType;
    element?: z.ZodType;
    shape?: Record<string, z.ZodType>;
  };
  const def = (s: z.ZodType | undefined) => (s as unknown as { _zod?: { def: Def } })?._zod?.def;
  const unwrap = (s: z.ZodType | undefined): z.ZodType | undefined => {
    for (let i = 0; i < 10 && s; i++) {
      const d = def(s);
      if (d?.innerType) s = d.innerType;
      else if (d?.type === "pipe" && d.in) s = d.in;
      else break;
    }
    return s;
  };
  let s = unwrap(schema);
  for (const p of at) {
    const d = def(s);
    if (d?.type === "object") s = (s as unknown as { shape: Record<string, z.ZodType> }).shape[String(p)];
    else if (d?.type === "record") s = d.valueType;
    else if (d?.type === "array") s = d.element;
    else return [];
    s = unwrap(s);
  }
  return def(s)?.type === "object" ? Object.keys((s as unknown as { shape: Record<string, z.ZodType> }).shape) : [];
}

/** Levenshtein distance, for "did you mean" on unknown keys. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

/** The known key an unknown one was probably meant to be: same letters in another case, or at most 2 edits away. */
export function closestKey(key: string, known: string[]): string | undefined {
  const same = known.find((k) => k.toLowerCase() === key.toLowerCase());
  if (same) return same;
  const ranked = known
    .map((k) => [k, distance(key.toLowerCase(), k.toLowerCase())] as const)
    .sort((x, y) => x[1] - y[1]);
  return ranked[0] && ranked[0][1] <= Math.min(2, Math.floor(key.length / 3)) ? ranked[0][0] : undefined;
}

/**
 * Every zod issue as one line each, "file: a.b.c: problem (fix: ...)": unknown keys first, with the key they were
 * probably meant to be; a required key missing beside its own misspelling is reported once, as the misspelling.
 */
export function describeIssues(
  source: string,
  issues: readonly z.core.$ZodIssue[],
  schema?: z.ZodType,
  prefix: PropertyKey[] = [],
): string {
  const meant = new Set<string>();
  const lines: string[] = [];
  const at = <T extends z.core.$ZodIssue>(issue: T): T => ({ ...issue, path: [...prefix, ...issue.path] });
  for (const issue of issues) {
    if (issue.code !== "unrecognized_keys") continue;
    const known = keysAt(schema, issue.path);
    for (const key of issue.keys) {
      const guess = closestKey(key, known);
      if (guess) meant.add([...issue.path.map(String), guess].join("."));
      lines.push(describeIssue(source, at({ ...issue, keys: [key] }), guess));
    }
  }
  const seen = new Set<string>();
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") continue;
    const where = issue.path.map(String).join(".");
    if (meant.has(where) || seen.has(where)) continue;
    seen.add(where);
    lines.push(describeIssue(source, at(issue)));
  }
  return lines.join("\n");
}

/** Turns a zod issue into "file: a.b.c: problem (fix: ...)". */
export function describeIssue(source: string, issue: z.core.$ZodIssue, meant?: string): string {
  const where = issue.path.length ? issue.path.map(String).join(".") : "(top level)";
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => `"${k}"`).join(", ");
    if (meant)
      return `${source}: ${where}: unknown key ${keys} (fix: rename it to "${meant}", see docs/config.md, "Config file reference")`;
    return `${source}: ${where}: unknown key ${keys} (fix: remove it or correct its spelling, see docs/config.md, "Config file reference")`;
  }
  if (issue.code === "invalid_union") {
    // "Invalid input" says nothing: name what the most specific alternative wanted (e.g. a known region or "*").
    const inner = issue.errors.flat().find((i) => i.code === "custom" || i.code === "invalid_format");
    if (inner)
      return `${source}: ${where}: ${inner.message} (fix: correct the value, see docs/config.md, "Config file reference")`;
  }
  if (issue.code === "invalid_type" && issue.message.includes("received undefined")) {
    return `${source}: ${where}: is required (fix: add it, see docs/config.md, "Config file reference")`;
  }
  if (issue.message.includes("(fix:")) return `${source}: ${where}: ${issue.message}`;
  return `${source}: ${where}: ${issue.message} (fix: correct the value, see docs/config.md, "Config file reference")`;
}

export { isTemplatePath };

/**
 * Parses, validates and resolves config text. Every problem is reported at once, one line each naming the field and
 * the fix (the schema's issues, then the rules across fields, integration by integration): InputError, exit 2.
 * `extra` (the --exclude-* flags) is merged into the global exclusions before the integrations are resolved.
 */
export function readConfig(text: string, source: string, baseDir: string, extra?: ExtraExclusions): ReadConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const line = e.linePos?.[0];
    throw new InputError(
      `${source}${line ? `:${line.line}:${line.col}` : ""}: YAML syntax error: ${e.message.split("\n")[0]} (fix: correct the YAML at that line)`,
    );
  }
  let data: unknown;
  try {
    // The yaml library refuses alias expansion past its limit (maxAliasCount 100: "billion laughs").
    data = doc.toJS();
  } catch (e) {
    throw new InputError(
      `${source}: YAML anchors and aliases expand too far (${(e as Error).message.split("\n")[0]}) (fix: write the values out instead of repeating them through aliases)`,
    );
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new InputError(
      `${source}: is empty or not a YAML mapping (fix: run \`orgtrust init --consumer <name>\` for a starter file)`,
    );
  }
  const issues: string[] = [];
  const parsed = configSchema.safeParse(data);
  let config: OrgtrustConfig | undefined;
  if (parsed.success) config = parsed.data;
  else {
    issues.push(...describeIssues(source, parsed.error.issues, configSchema).split("\n"));
    // The parts that did validate are still checked across fields, so one run lists every problem.
    config = validParts(data as Record<string, unknown>, parsed.error.issues);
  }
  let integrations: ResolvedIntegration[] = [];
  if (config) {
    config = withExclusions(config, extra);
    integrations = checkAndResolve(config, source, baseDir, issues);
  }
  if (issues.length) throw new InputError([...new Set(issues)].join("\n"));
  return { config: config!, integrations };
}

/** Parses and validates config text (readConfig without the resolved integrations). Throws InputError (exit 2). */
export function parseConfig(text: string, source: string, baseDir: string): OrgtrustConfig {
  return readConfig(text, source, baseDir).config;
}

/**
 * When the schema refused the file: the organization, the global exclusions and each integration the schema had no
 * issue with, for the rules across fields; undefined when the organization or the exclusions themselves are invalid.
 */
function validParts(data: Record<string, unknown>, issues: readonly z.core.$ZodIssue[]): OrgtrustConfig | undefined {
  const organization = configSchema.shape.organization.safeParse(data.organization);
  const exclusions = globalExclusionsSchema.safeParse(data.exclusions ?? {});
  const raw = data.integrations;
  if (!organization.success || !exclusions.success || !raw || typeof raw !== "object" || Array.isArray(raw))
    return undefined;
  const broken = new Set(issues.filter((i) => i.path[0] === "integrations").map((i) => String(i.path[1])));
  const integrations: Record<string, IntegrationConfig> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (broken.has(name) || broken.has("undefined")) continue;
    const r = integrationSchema.safeParse(value);
    if (r.success) integrations[name] = r.data;
  }
  return { version: 1, organization: organization.data, exclusions: exclusions.data, integrations };
}

/** Every integration checked (consumer, options, ARNs, policies, preset rules, rules across fields) and resolved. */
function checkAndResolve(
  config: OrgtrustConfig,
  source: string,
  baseDir: string,
  issues: string[],
): ResolvedIntegration[] {
  const resolved: ResolvedIntegration[] = [];
  for (const name of Object.keys(config.integrations)) {
    const before = issues.length;
    const usable = checkSemantics(config, name, source, baseDir, issues);
    if (!usable) continue;
    const integration = resolveIntegration(config, name, baseDir, source, issues);
    // The rules across fields read the resolved integration; they only run on one that resolved cleanly.
    if (issues.length === before) issues.push(...integrationRuleIssues(integration, `${source}: integrations.${name}`));
    resolved.push(integration);
  }
  return resolved.sort((a, b) => compareStrings(a.name, b.name));
}

/** The checks of one integration against the rest of the file. False when it cannot be resolved at all. */
function checkSemantics(
  config: OrgtrustConfig,
  name: string,
  source: string,
  baseDir: string,
  issues: string[],
): boolean {
  const p = config.organization.partition;
  const integ = config.integrations[name];
  const at = `${source}: integrations.${name}`;
  if (isTemplatePath(integ.consumer)) {
    const tpl = path.resolve(baseDir, integ.consumer);
    if (!fs.existsSync(tpl)) {
      issues.push(
        `${at}.consumer: template ${integ.consumer} not found (fix: give a path to a .hbs file, relative to ${source})`,
      );
      return false;
    }
  } else if (!(CONSUMERS as readonly string[]).includes(integ.consumer)) {
    issues.push(
      `${at}.consumer: unknown consumer "${integ.consumer}" (fix: use one of ${CONSUMERS.join(", ")}, or a path to a .hbs template)`,
    );
    return false;
  } else {
    const r = CONSUMER_OPTIONS[integ.consumer as ConsumerName].safeParse(integ.options);
    if (!r.success) {
      issues.push(
        ...describeIssues(source, r.error.issues, CONSUMER_OPTIONS[integ.consumer as ConsumerName], [
          "integrations",
          name,
          "options",
        ]).split("\n"),
      );
      return false;
    }
    integ.options = r.data;
  }
  const arns: Array<[string, string | undefined]> = [
    ["trustedPrincipal", integ.trustedPrincipal],
    ["discoveryRole.permissionsBoundary", integ.discoveryRole.permissionsBoundary],
    ["memberRole.permissionsBoundary", integ.memberRole.permissionsBoundary],
    ...(integ.memberRole.policyArns ?? []).map((a, i): [string, string] => [`memberRole.policyArns.${i}`, a]),
  ];
  for (const [field, value] of arns) {
    if (value && partitionOfArn(value) !== p) {
      issues.push(
        `${at}.${field}: ARN partition "${partitionOfArn(value)}" does not match organization.partition "${p}" (fix: use arn:${p}:... or correct organization.partition)`,
      );
    }
  }
  if (integ.discoveryRole.account === "delegatedAdmin" && !config.organization.delegatedAdminAccountId) {
    issues.push(
      `${at}.discoveryRole.account: is delegatedAdmin but organization.delegatedAdminAccountId is not set (fix: set organization.delegatedAdminAccountId)`,
    );
    return false;
  }
  checkPolicyAccounts(
    at,
    integ,
    integ.discoveryRole.account === "delegatedAdmin"
      ? config.organization.delegatedAdminAccountId!
      : config.organization.managementAccountId,
    issues,
  );
  return true;
}

/**
 * A managed policy is attachable only in its own account. The discovery role lives in one account, so its boundary
 * is that account's policy or an AWS managed one. The member role is created in every member account (and the
 * management account), so its policies are AWS managed and its boundary is AWS managed or names the same policy in
 * each account with the account part ${AWS::AccountId}.
 */
function checkPolicyAccounts(at: string, integ: IntegrationConfig, discoveryAccount: string, issues: string[]): void {
  const db = integ.discoveryRole.permissionsBoundary;
  const dbAccount = db && policyArnAccount(db);
  if (db && dbAccount !== "aws" && dbAccount !== discoveryAccount) {
    issues.push(
      `${at}.discoveryRole.permissionsBoundary: ${db} is not a policy of account ${discoveryAccount}, where the discovery role is (fix: use arn:${partitionOfArn(db)}:iam::${discoveryAccount}:policy/<name> or an AWS managed policy)`,
    );
  }
  const mb = integ.memberRole.permissionsBoundary;
  const mbAccount = mb && policyArnAccount(mb);
  if (mb && mbAccount !== "aws" && mbAccount !== EACH_ACCOUNT) {
    const each = mb.replace(`::${mbAccount}:`, `::${EACH_ACCOUNT}:`);
    issues.push(
      `${at}.memberRole.permissionsBoundary: ${mb} exists only in account ${mbAccount}, but the member role is created in every member account (fix: write ${each} for a policy of that name in every account, or use an AWS managed policy)`,
    );
  }
  (integ.memberRole.policyArns ?? []).forEach((a, i) => {
    const account = policyArnAccount(a);
    if (account !== "aws") {
      const where =
        account === EACH_ACCOUNT ? "a customer managed policy in each account" : `a policy of account ${account} only`;
      issues.push(
        `${at}.memberRole.policyArns.${i}: ${a} is ${where}; the StackSet attaches the same ARNs in every member account, so only AWS managed policies work (fix: use arn:${partitionOfArn(a)}:iam::aws:policy/<name>, and narrow access with memberRole.permissionsBoundary or denyDataReads)`,
      );
    }
  });
}

/**
 * Reads orgtrust.yaml (or the given file), checks it completely and resolves its integrations once. A missing file is
 * exit 2 with the command that writes one. `opts.exclusions` (the --exclude-* flags) adds to the config's exclusions.
 */
export function loadConfig(file = DEFAULT_CONFIG_FILE, opts: { exclusions?: ExtraExclusions } = {}): LoadedConfig {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, "utf8");
  } catch {
    throw new InputError(
      `--config ${file}: file not found (fix: run \`orgtrust init --consumer <name>\` or pass --config)`,
    );
  }
  const baseDir = path.dirname(abs);
  return { ...readConfig(text, file, baseDir, opts.exclusions), file: abs, baseDir };
}
