import * as fs from "node:fs";
import * as path from "node:path";
import { writeFilesAtomic, type PlannedFile } from "../common/atomic-write";
import { recoverInterrupted } from "../common/transaction";
import { InputError } from "../common/errors";
import { EXTERNAL_ID_RE } from "../common/ids";
import type { Logger } from "../common/log";
import type { LoadedConfig } from "../config/load";
import type { ResolvedIntegration } from "../config/resolve";
import { NO_EXTRA_EXCLUSIONS, type ScopeFlags } from "../org/scope-rules";
import { integrationRules, scopeWithChecks } from "../org/scope-rules";
import type { Scope } from "../org/scope";
import { snapshotHash as hashOf, type Snapshot } from "../org/snapshot";
import { computeOuCover } from "../org/targets";
import { consumerDefinition } from "./consumers";
import { buildContext, type ContextExternalId, type TemplateContext } from "./context";
import { unifiedDiff } from "./diff";
import { redactExternalIdFields, REDACTED_EXTERNAL_ID as REDACTED } from "./redact";
import { describeCollision, type Collision } from "./identifiers";
import { createEnvironment, renderTemplate, type OutputFormat } from "./render";
import { staleGeneratedFiles } from "./stale";

export type { TemplateContext } from "./context";
export { APONO_ORG_INTEGRATION, CONSUMER_REGISTRY } from "./consumers";
export { HELPERS } from "./render";

/** What `orgtrust generate` renders and where (cli/generate.ts maps the flags to it; sync and drift build it too). */
export interface GenerateOptions {
  loaded: LoadedConfig;
  snapshot: Snapshot;
  /** The integrations to render (e.g. selectIntegrations(loaded, names)). */
  integrations: ResolvedIntegration[];
  /** Put each integration under outDir/<integration>/ instead of its configured output folder. */
  outDir?: string;
  /** Compare with the files on disk instead of writing. */
  check: boolean;
  /** Write external ID values into the files instead of references. */
  inlineSecrets: boolean;
  /** The run's extra exclusions (--exclude-ou, --exclude-account) and --strict, merged into each integration's (default: none). */
  exclusions?: ScopeFlags;
  log: Logger;
  /** Where external ID values are read from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export type FileStatus = "created" | "changed" | "unchanged" | "removed" | "missing" | "differs" | "stale";

export interface GeneratedFile {
  /** Absolute path. */
  path: string;
  integration: string;
  /** The rendered format; null for a stale file (generated earlier, no longer rendered). */
  format: OutputFormat | null;
  /**
   * Write mode: created / changed / unchanged, or removed (a file an earlier run generated that is no longer
   * rendered). Check mode: unchanged / missing / differs / stale (such a file, still on disk).
   */
  status: FileStatus;
  /** Check mode, when the file differs or is missing: a short unified-style diff (external IDs redacted). */
  diff: string | null;
}

export interface GenerateResult {
  snapshotHash: string;
  check: boolean;
  /** True when files were written (write mode and something changed). */
  wrote: boolean;
  integrations: Array<{
    name: string;
    consumer: string;
    outputDir: string;
    inScope: number;
    excluded: number;
    files: string[];
  }>;
  files: GeneratedFile[];
  /** Identifier collisions resolved (also warned on stderr). */
  collisions: Array<Collision & { integration: string }>;
  /** Check mode: number of files that differ, are missing or are stale (0 = up to date). */
  differences: number;
}

/** One rendered file, in memory. */
export interface RenderedFile {
  path: string;
  integration: string;
  format: OutputFormat;
  content: string;
}

export interface RenderedIntegration {
  integration: ResolvedIntegration;
  context: TemplateContext;
  scope: Scope;
  outputDir: string;
  files: RenderedFile[];
}

/**
 * The external ID as templates see it. By default only a reference (env placeholder / Terraform variable);
 * with inlineSecrets the value: source value -> the value; env -> read from that variable; generate -> read from
 * the integration's variable (the value lives in Secrets Manager, so it cannot be known offline otherwise).
 */
export function externalIdFor(
  i: ResolvedIntegration,
  inline: boolean,
  env: NodeJS.ProcessEnv = process.env,
  literal = false,
): ContextExternalId {
  const x = i.externalId;
  const terraformVariable = x.variable.toLowerCase();
  let value: string | null = null;
  // literal: the consumer's format cannot reference a variable, so the value is written without --inline-secrets.
  const why =
    literal && !inline
      ? `integration ${i.name} (${i.consumer}) writes the external ID into its files, whose format cannot reference a variable:`
      : "--inline-secrets:";
  const orDrop = literal && !inline ? "" : ", or drop --inline-secrets";
  if (inline || literal) {
    if (x.source === "value") value = x.value;
    else if (x.source === "env") {
      value = env[x.env] ?? null;
      if (!value)
        throw new InputError(
          `${why} integration ${i.name} reads its external ID from the environment variable ${x.env}, which is not set (fix: export ${x.env}${orDrop})`,
        );
    } else {
      value = env[x.variable] ?? null;
      if (!value) {
        throw new InputError(
          `${why} integration ${i.name} has a generated external ID, stored in Secrets Manager secret ${x.secretName}; orgtrust cannot know it offline (fix: export ${x.variable}="$(aws secretsmanager get-secret-value --secret-id ${x.secretName} --query SecretString --output text)"${orDrop})`,
        );
      }
    }
    if (!EXTERNAL_ID_RE.test(value)) {
      throw new InputError(
        `${why} the external ID of integration ${i.name} (from ${x.source === "value" ? "the config" : x.source === "env" ? x.env : x.variable}) is not a valid external ID: 2-1,224 characters of letters, digits and + = , . @ : / _ - (fix: correct it)`,
      );
    }
  }
  return {
    source: x.source,
    variable: x.variable,
    terraformVariable,
    secretName: x.secretName,
    prefix: x.source === "generate" ? (x.prefix ?? null) : null,
    inline: inline || literal,
    value,
    placeholder: value ?? `\${${x.variable}}`,
    hcl: value ? JSON.stringify(value) : `var.${terraformVariable}`,
  };
}

/** Where an integration's files go: outDir/<name>/ with --out, else its configured output folder. */
export function outputDirFor(i: ResolvedIntegration, outDir?: string): string {
  return outDir ? path.resolve(outDir, i.name) : i.outputDir;
}

/**
 * Renders every integration in memory (no disk writes). Throws InputError (exit 2) on the first template or
 * option problem, before anything is written. Warnings (unmatched exclusions, collisions) go to `log`.
 */
export function renderIntegrations(
  opts: Omit<GenerateOptions, "check" | "loaded"> & { snapshotHash?: string },
): RenderedIntegration[] {
  const hash = opts.snapshotHash ?? hashOf(opts.snapshot);
  // A global exclusion that matches nothing would otherwise be reported once per integration.
  const seen = new Set<string>();
  const log: Logger = { ...opts.log, warn: (m) => void (seen.has(m) || (seen.add(m), opts.log.warn(m))) };
  const out: RenderedIntegration[] = [];
  const seenPaths = new Map<string, string>();
  const exclusions = opts.exclusions ?? NO_EXTRA_EXCLUSIONS;
  // Integrations with the same rules share one scope and OU cover (both read only): nine consumers of one org
  // computed them nine times. Warnings are the same either way (a repeated one is reported once, above).
  const scopes = new Map<string, { scope: Scope; cover: ReturnType<typeof computeOuCover> }>();
  for (const i of opts.integrations) {
    const rules = integrationRules(i, exclusions);
    const key = JSON.stringify(rules);
    let sc = scopes.get(key);
    if (!sc) {
      const scope = scopeWithChecks(opts.snapshot, rules, exclusions, log, "exclusions");
      sc = { scope, cover: computeOuCover(scope) };
      scopes.set(key, sc);
    }
    const { scope, cover } = sc;
    const def = consumerDefinition(i);
    const externalId = externalIdFor(
      i,
      opts.inlineSecrets && def.usesExternalId !== false,
      opts.env ?? process.env,
      !!def.writesExternalId,
    );
    const context = buildContext(
      { snapshot: opts.snapshot, snapshotHash: hash, integration: i, scope, cover, externalId },
      def.prepare && ((base) => def.prepare!(base, i)),
    );
    for (const c of context.collisions) log.warn(describeCollision(i.name, c));
    const outputDir = outputDirFor(i, opts.outDir);
    const files: RenderedFile[] = [];
    const envs = new Map<string, ReturnType<typeof createEnvironment>>();
    for (const f of def.files(context, i)) {
      const dir = path.dirname(f.template);
      if (!envs.has(dir)) envs.set(dir, createEnvironment(dir));
      const dest = path.resolve(outputDir, f.output);
      const other = seenPaths.get(dest);
      if (other)
        throw new InputError(
          `integrations ${other} and ${i.name} both write ${dest} (fix: give them different output.dir)`,
        );
      seenPaths.set(dest, i.name);
      files.push({
        path: dest,
        integration: i.name,
        format: f.format,
        content: renderTemplate(envs.get(dir)!, f.template, context, f.format, f.output, i.consumer === "custom"),
      });
    }
    out.push({ integration: i, context, scope, outputDir, files });
  }
  return out;
}

/**
 * The --check diff of one file with external IDs redacted on both sides: first every value this run knows, then
 * every external-ID field whatever its value (the file on disk may hold an ID orgtrust no longer knows). When the
 * only difference is in a redacted value, the diff says so instead of showing nothing.
 */
export function checkDiff(
  file: string,
  onDisk: string | null,
  rendered: string,
  format: OutputFormat | null,
  redactKnown: (text: string) => string = (t) => t,
): string {
  const clean = (t: string) => redactExternalIdFields(redactKnown(t), format);
  const diff = unifiedDiff(file, onDisk === null ? null : clean(onDisk), clean(rendered));
  return (
    diff || `--- ${file} (on disk)\n+++ ${file} (generated)\n@@ an external ID value differs (both sides redacted) @@\n`
  );
}

/**
 * The file on disk, or null when there is none. A destination that is not a regular file (a symlink, FIFO, device)
 * is never followed or opened: its content would otherwise show in a --check diff (a link to a credentials file)
 * or block the run (a FIFO); it reads as a placeholder that differs from every rendering, and writing refuses it.
 */
function readIfExists(file: string): string | null {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return null;
  }
  if (st.isSymbolicLink()) return "<a symbolic link, not followed: orgtrust writes regular files only>\n";
  if (!st.isFile()) return "<not a regular file: orgtrust writes regular files only>\n";
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

/** True when a rendered file holds the integration's external ID value (inline, or a custom template that prints it). */
function holdsExternalId(r: RenderedIntegration, content: string): boolean {
  if (r.context.externalId.inline) return true;
  const x = r.integration.externalId;
  return x.source === "value" && !!x.value && content.includes(x.value);
}

/**
 * `orgtrust generate` as a function: renders every integration in memory, then either compares with the disk
 * (check) or writes the files that changed, all or nothing. Never exits the process; prints nothing on stdout.
 */
export async function runGenerate(opts: GenerateOptions): Promise<GenerateResult> {
  const hash = hashOf(opts.snapshot);
  const rendered = renderIntegrations({ ...opts, snapshotHash: hash });
  const secrets = rendered.map((r) => r.context.externalId.value).filter((v): v is string => !!v);
  const redact = (text: string) => secrets.reduce((t, s) => t.split(s).join(REDACTED), text);
  if (opts.inlineSecrets && !opts.check) {
    const names = rendered
      .filter((r) => r.context.externalId.inline && !consumerDefinition(r.integration).writesExternalId)
      .map((r) => r.integration.name);
    if (names.length)
      opts.log.warn(
        `--inline-secrets: the external IDs of ${names.join(", ")} are written into the generated files: keep those files out of version control and readable only by whoever runs the consumer`,
      );
  }
  // A run killed mid-write left a journal: finish or undo it first, so what is compared or replaced is one whole set.
  recoverInterrupted(
    rendered.flatMap((r) => [r.outputDir, ...r.files.map((f) => path.dirname(f.path))]),
    (m) => opts.log.warn(m),
  );
  const files: GeneratedFile[] = [];
  const toWrite: PlannedFile[] = [];
  const toRemove: string[] = [];
  for (const r of rendered) {
    for (const f of r.files) {
      const current = readIfExists(f.path);
      const same = current === f.content;
      if (opts.check) {
        files.push({
          path: f.path,
          integration: f.integration,
          format: f.format,
          status: same ? "unchanged" : current === null ? "missing" : "differs",
          diff: same
            ? null
            : checkDiff(path.relative(process.cwd(), f.path) || f.path, current, f.content, f.format, redact),
        });
      } else {
        files.push({
          path: f.path,
          integration: f.integration,
          format: f.format,
          status: same ? "unchanged" : current === null ? "created" : "changed",
          diff: null,
        });
        // Files holding a secret are written readable by the owner only.
        if (!same)
          toWrite.push({ path: f.path, content: f.content, mode: holdsExternalId(r, f.content) ? 0o600 : 0o644 });
      }
    }
    for (const stale of staleGeneratedFiles(
      r.integration.name,
      r.outputDir,
      r.files.map((f) => f.path),
    )) {
      files.push({
        path: stale,
        integration: r.integration.name,
        format: null,
        status: opts.check ? "stale" : "removed",
        diff: null,
      });
      if (!opts.check) toRemove.push(stale);
    }
  }
  // One transaction: the new files and the removal of the stale ones swap together, or not at all.
  if (toWrite.length || toRemove.length) writeFilesAtomic(toWrite, { remove: toRemove, warn: (m) => opts.log.warn(m) });
  return {
    snapshotHash: hash,
    check: opts.check,
    wrote: toWrite.length + toRemove.length > 0,
    integrations: rendered.map((r) => ({
      name: r.integration.name,
      consumer: r.integration.consumer,
      outputDir: r.outputDir,
      inScope: r.scope.inScope.length,
      excluded: r.scope.excluded.length,
      files: r.files.map((f) => f.path),
    })),
    files,
    collisions: rendered.flatMap((r) => r.context.collisions.map((c) => ({ ...c, integration: r.integration.name }))),
    differences: files.filter((f) => f.status === "missing" || f.status === "differs" || f.status === "stale").length,
  };
}
