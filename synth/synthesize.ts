import * as fs from "node:fs";
import * as path from "node:path";
import { App } from "cdktf";
import { invokeAspects } from "cdktf/lib/synthesize/synthesizer";
import type { CommonOptions } from "../cli/common";
import { assertWritable } from "../common/atomic-write";
import { InputError } from "../common/errors";
import type { Logger } from "../common/log";
import type { LoadedConfig } from "../config/load";
import type { ResolvedIntegration } from "../config/resolve";
import { IntegrationStack } from "../constructs/integration-stack";
import { memberRoleTemplateBody } from "../constructs/member-role-policy";
import type { Snapshot } from "../org/snapshot";
import { toHcl } from "./hcl";
import { integrationStackProps } from "./stack-props";
import { checkInputs, planIntegration, type Coverage, type IntegrationPlan } from "./plan";

/**
 * `orgtrust synth`: config + snapshot -> one cdktf stack per integration, written as Terraform JSON (cdk.tf.json, what
 * `cdktf deploy` uses) or, with hcl, as plain formatted HCL (main.tf) for an existing Terraform repository.
 *
 * Layout of outDir (the cdktf.out layout):
 *   manifest.json
 *   stacks/<integration>/cdk.tf.json | main.tf (+ member-role.yaml, read by main.tf through file())
 *   stacks/<integration>/orgtrust-coverage.json   accounts reached through the StackSet, directly, or not at all
 *
 * Everything is synthesized into a temporary directory beside outDir first; each stack directory is then swapped into
 * place by rename. A run that fails (bad input, a construct error) leaves the previous output untouched. No absolute
 * path and no timestamp is written, so identical input gives byte-identical output on every machine.
 */

export interface SynthOptions {
  loaded: LoadedConfig;
  /** The org snapshot; without one, only integrations without OU/account exclusions can be synthesized (root target). */
  snapshot?: Snapshot;
  /** The integrations to synthesize (resolved, presets applied). */
  integrations: ResolvedIntegration[];
  outDir: string;
  /** Plain HCL (main.tf) instead of Terraform JSON (cdk.tf.json). */
  hcl: boolean;
  cli: CommonOptions;
  log: Logger;
}

export interface StackResult {
  integration: string;
  consumer: string;
  stackName: string;
  /** Stack directory relative to outDir, e.g. "stacks/backstage". */
  dir: string;
  /** Files written, relative to outDir, sorted. */
  files: string[];
  coverage: Coverage;
  warnings: string[];
}

export interface SynthResult {
  outDir: string;
  format: "json" | "hcl";
  stacks: StackResult[];
}

export const COVERAGE_FILE = "orgtrust-coverage.json";
export const MEMBER_ROLE_TEMPLATE_FILE = "member-role.yaml";
export const COVERAGE_SCHEMA_VERSION = 1;

/** Adds one IntegrationStack per plan to an app (main.ts uses this with a normal cdktf App). */
export function buildStacks(app: App, plans: IntegrationPlan[]): IntegrationStack[] {
  return plans.map((p) => new IntegrationStack(app, p.integration.name, integrationStackProps(p)));
}

/** Plans every integration (all input errors surface here, before anything is built or written). */
export function planAll(opts: Pick<SynthOptions, "snapshot" | "integrations" | "cli" | "log">): IntegrationPlan[] {
  if (opts.integrations.length === 0) throw new InputError("integrations: the config has no integration to synthesize (fix: add one, see `orgtrust init --help`)");
  // Input errors first (exclusions without a snapshot, an unusable variable name), before any warning is printed.
  for (const integration of opts.integrations) checkInputs(integration, { snapshot: opts.snapshot, cli: opts.cli });
  return opts.integrations.map((integration) => planIntegration(integration, { snapshot: opts.snapshot, cli: opts.cli, log: opts.log }));
}

/** JSON with object keys sorted at every level (what cdktf writes), 2-space indented, newline-terminated. */
export function stableJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === "object") {
      return Object.fromEntries(
        Object.keys(v as object)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return `${JSON.stringify(sort(value), null, 2)}\n`;
}

function coverageDocument(plan: IntegrationPlan): unknown {
  const i = plan.integration;
  return {
    schemaVersion: COVERAGE_SCHEMA_VERSION,
    integration: i.name,
    consumer: i.consumer,
    stackSetName: i.stackSet.name,
    memberRole: { name: i.memberRole.name, path: i.memberRole.path },
    managementRole: plan.managementRole,
    ...plan.coverage,
  };
}

function hclHeader(plan: IntegrationPlan): string {
  const i = plan.integration;
  return [
    `orgtrust integration "${i.name}" (${i.consumer}): discovery role, member-role StackSet, management-account role, external-ID secret${plan.directAccounts.length ? `, member role created directly in ${plan.directAccounts.length} account(s) no StackSet target reaches` : ""}.`,
    "Generated by `orgtrust synth --hcl`; re-run it after changing orgtrust.yaml or the org snapshot instead of editing by hand.",
    "Needs Terraform >= 1.11 (write-only secret_string_wo). Coverage: orgtrust-coverage.json beside this file.",
  ].join("\n");
}

/** Renders every stack into `stage/stacks/<name>/` and returns the per-stack results. */
function renderStacks(stage: string, plans: IntegrationPlan[], hcl: boolean): { results: StackResult[]; version: string } {
  const app = new App({ outdir: path.join(stage, ".cdktf-app"), stackTraces: false });
  const version = String(app.node.tryGetContext("cdktfVersion") ?? "0.21.0");
  const stacks = buildStacks(app, plans);
  for (const s of stacks) s.prepareStack();
  const results = stacks.map((stack, n) => {
    const plan = plans[n];
    invokeAspects(stack);
    stack.runAllValidations();
    const doc = stack.toTerraform() as Record<string, unknown>;
    const name = plan.integration.name;
    const dir = `stacks/${name}`;
    const abs = path.join(stage, "stacks", name);
    fs.mkdirSync(abs, { recursive: true });
    const files: Record<string, string> = { [COVERAGE_FILE]: stableJson(coverageDocument(plan)) };
    if (hcl) {
      const template = memberRoleTemplateBody();
      files["main.tf"] = toHcl(doc as never, { header: hclHeader(plan), files: new Map([[template, MEMBER_ROLE_TEMPLATE_FILE]]) });
      files[MEMBER_ROLE_TEMPLATE_FILE] = template;
    } else {
      files["cdk.tf.json"] = stableJson(doc);
    }
    for (const [f, content] of Object.entries(files)) fs.writeFileSync(path.join(abs, f), content);
    return {
      integration: name,
      consumer: plan.integration.consumer,
      stackName: name,
      dir,
      files: Object.keys(files)
        .sort()
        .map((f) => `${dir}/${f}`),
      coverage: plan.coverage,
      warnings: plan.warnings,
    };
  });
  return { results, version };
}

interface ManifestStack {
  name: string;
  constructPath: string;
  workingDirectory: string;
  synthesizedStackPath: string;
  stackMetadataPath: string;
  annotations: unknown[];
  dependencies: string[];
}

function readManifest(file: string): Record<string, ManifestStack> {
  try {
    const m = JSON.parse(fs.readFileSync(file, "utf8")) as { stacks?: Record<string, ManifestStack> };
    return m && typeof m.stacks === "object" && m.stacks ? m.stacks : {};
  } catch {
    return {};
  }
}

function manifestEntry(name: string, hcl: boolean): ManifestStack {
  return {
    name,
    constructPath: name,
    workingDirectory: `stacks/${name}`,
    synthesizedStackPath: `stacks/${name}/${hcl ? "main.tf" : "cdk.tf.json"}`,
    stackMetadataPath: `stacks/${name}/metadata.json`,
    annotations: [],
    dependencies: [],
  };
}

/** Moves staged stacks into outDir: each stack directory swapped by rename; the old one restored if a swap fails. */
function commit(stage: string, outDir: string, results: StackResult[], hcl: boolean, prune: boolean, version: string): void {
  const stacksDir = path.join(outDir, "stacks");
  fs.mkdirSync(stacksDir, { recursive: true });
  const trash = path.join(stage, ".old");
  fs.mkdirSync(trash);
  const manifestFile = path.join(outDir, "manifest.json");
  const manifest = readManifest(manifestFile);
  const names = new Set(results.map((r) => r.integration));
  const swapped: Array<{ dest: string; old?: string }> = [];
  try {
    if (prune) {
      // Stacks of integrations no longer in the config (recognised by their coverage file) go too.
      for (const d of fs.readdirSync(stacksDir)) {
        if (names.has(d) || !fs.existsSync(path.join(stacksDir, d, COVERAGE_FILE))) continue;
        fs.renameSync(path.join(stacksDir, d), path.join(trash, `pruned-${d}`));
        delete manifest[d];
      }
    }
    for (const r of results) {
      const dest = path.join(stacksDir, r.integration);
      let old: string | undefined;
      if (fs.existsSync(dest)) {
        old = path.join(trash, r.integration);
        fs.renameSync(dest, old);
      }
      swapped.push({ dest, old });
      fs.renameSync(path.join(stage, "stacks", r.integration), dest);
      manifest[r.integration] = manifestEntry(r.integration, hcl);
    }
    const ordered = Object.fromEntries(Object.keys(manifest).sort().map((k) => [k, manifest[k]]));
    const tmpManifest = path.join(stage, "manifest.json");
    fs.writeFileSync(tmpManifest, stableJson({ version, stacks: ordered }));
    fs.renameSync(tmpManifest, manifestFile);
  } catch (e) {
    for (const s of swapped.reverse()) {
      fs.rmSync(s.dest, { recursive: true, force: true });
      if (s.old) fs.renameSync(s.old, s.dest);
    }
    throw new InputError(`--out ${outDir}: could not write the synthesized stacks (${(e as Error).message}); the previous output was kept`);
  }
}

/** Synthesizes the integrations into outDir. Side effects: files under outDir (and a temp dir beside it) only. */
export async function runSynth(opts: SynthOptions): Promise<SynthResult> {
  const plans = planAll(opts);
  const outDir = path.resolve(opts.outDir);
  if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) throw new InputError(`--out ${opts.outDir}: is a file (fix: give a directory)`);
  assertWritable([path.join(outDir, "manifest.json")]);
  const parent = path.dirname(outDir);
  fs.mkdirSync(parent, { recursive: true });
  const stage = fs.mkdtempSync(path.join(parent, `.${path.basename(outDir)}.orgtrust-synth-`));
  try {
    const { results, version } = renderStacks(stage, plans, opts.hcl);
    const all = opts.integrations.length === Object.keys(opts.loaded.config.integrations).length;
    commit(stage, outDir, results, opts.hcl, all, version);
    return { outDir: opts.outDir, format: opts.hcl ? "hcl" : "json", stacks: results };
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}
