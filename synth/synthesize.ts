import * as fs from "node:fs";
import * as path from "node:path";
import { App } from "cdktf";
import { invokeAspects } from "cdktf/lib/synthesize/synthesizer";
import { type ScopeFlags } from "../org/scope-rules";
import { assertWritable } from "../common/atomic-write";
import { stableJson } from "../common/canonical-json";
import { InputError } from "../common/errors";
import type { Logger } from "../common/log";
import { stackBackend, type BackendConfig } from "../config/backend";
import type { LoadedConfig } from "../config/load";
import type { ResolvedIntegration } from "../config/resolve";
import { IntegrationStack } from "../constructs/integration-stack";
import { memberRoleTemplateBody } from "../constructs/member-role-policy";
import type { Snapshot } from "../org/snapshot";
import { applyBackend } from "./backend";
import { commitStacks, HCL_MARKER, JSON_MARKER_KEY, RestoreFailed, type KeptStack, type StackFiles } from "./commit";
import { renderSyncTrigger } from "../sync/trigger-synth";
import { toHcl } from "./hcl";
import { integrationStackProps } from "./stack-props";
import { COVERAGE_FILE, coverageDocument } from "../plan/coverage-file";
import { planIntegrations, type IntegrationPlan } from "../plan/integration";
import type { Coverage } from "../plan/member-role";

/**
 * `orgtrust synth`: config + snapshot -> one cdktf stack per integration, written as Terraform JSON (cdk.tf.json,
 * which Terraform reads as it is) or, with hcl, as plain formatted HCL (main.tf) for an existing Terraform repository.
 *
 * Layout of outDir (the cdktf.out layout):
 *   manifest.json                                  the stacks, and which files in each synth wrote
 *   stacks/<integration>/cdk.tf.json | main.tf (+ member-role.yaml, read by main.tf through file())
 *   stacks/<integration>/orgtrust-coverage.json   accounts reached through the StackSet, directly, or not at all
 *
 * A stack directory is also Terraform's working directory (local state, .terraform/, the lock file) and may hold the
 * user's own files: synth replaces only the files it generated, all or nothing (synth/commit.ts). Every stack gets
 * the backend configured in orgtrust.yaml (default: a local state file, terraform.<integration>.tfstate, relative to
 * the stack directory). A run that fails (bad input, a construct error, a write error) leaves the previous output
 * untouched. No absolute path and no timestamp is written, so identical input gives byte-identical output on every
 * machine, and a re-run with nothing changed writes nothing.
 */

/** What `orgtrust synth` builds and where (cli/synth.ts maps the flags to it; main.ts, example and sync build it too). */
export interface SynthOptions {
  loaded: LoadedConfig;
  /** The org snapshot; without one, only integrations without OU/account exclusions can be synthesized (root target). */
  snapshot?: Snapshot;
  /** The integrations to synthesize (resolved, presets applied). */
  integrations: ResolvedIntegration[];
  outDir: string;
  /** Plain HCL (main.tf) instead of Terraform JSON (cdk.tf.json). */
  hcl: boolean;
  /** Replace files synth does not recognise as its own, and switch a stack directory between JSON and HCL. */
  force?: boolean;
  /** The run's extra exclusions (--exclude-ou, --exclude-account) and --strict, merged into each integration's (default: none). */
  exclusions?: ScopeFlags;
  /** Warnings (unmatched exclusions, accounts the member role misses) and progress go here. */
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
  /** Integrations no longer configured whose stack directories were kept: they hold files synth did not write (state). */
  kept: KeptStack[];
  /** Files changed or added by this run, relative to outDir (empty when nothing changed). */
  written: string[];
  /** The sync trigger stack (stacks/orgtrust-sync), when the config has a sync section (docs/sync.md). */
  syncTrigger?: { dir: string; files: string[] };
}

export const MEMBER_ROLE_TEMPLATE_FILE = "member-role.yaml";

/** Adds one IntegrationStack per plan to an app (main.ts uses this with a normal cdktf App). */
export function buildStacks(app: App, plans: IntegrationPlan[]): IntegrationStack[] {
  return plans.map((p) => new IntegrationStack(app, p.integration.name, integrationStackProps(p)));
}

/** JSON with object keys sorted at every level (what cdktf writes), 2-space indented, newline-terminated. */
export { stableJson } from "../common/canonical-json";

function hclHeader(plan: IntegrationPlan): string {
  const i = plan.integration;
  return [
    `orgtrust integration "${i.name}" (${i.consumer}): discovery role, member-role StackSet, management-account role, external-ID secret${plan.directAccounts.length ? `, member role created directly in ${plan.directAccounts.length} account(s) no StackSet target reaches` : ""}.`,
    `${HCL_MARKER}; re-run it after changing orgtrust.yaml or the org snapshot instead of editing by hand.`,
    "Needs Terraform >= 1.11 (write-only secret_string_wo). Coverage: orgtrust-coverage.json beside this file.",
  ].join("\n");
}

/** Renders every stack (in memory) and returns the per-stack results with their files. */
function renderStacks(
  stage: string,
  plans: IntegrationPlan[],
  hcl: boolean,
  backend: BackendConfig | undefined,
): { results: StackResult[]; files: StackFiles[]; version: string } {
  const app = new App({ outdir: path.join(stage, ".cdktf-app"), stackTraces: false });
  const version = String(app.node.tryGetContext("cdktfVersion") ?? "0.21.0");
  const stacks = buildStacks(app, plans);
  stacks.forEach((s, n) => applyBackend(s, stackBackend(backend, plans[n].integration.name)));
  for (const s of stacks) s.prepareStack();
  const out: StackFiles[] = [];
  const results = stacks.map((stack, n) => {
    const plan = plans[n];
    invokeAspects(stack);
    stack.runAllValidations();
    const doc = stack.toTerraform() as Record<string, unknown>;
    const name = plan.integration.name;
    const dir = `stacks/${name}`;
    const files: Record<string, string> = { [COVERAGE_FILE]: stableJson(coverageDocument(plan)) };
    if (hcl) {
      const template = memberRoleTemplateBody();
      files["main.tf"] = toHcl(doc as never, {
        header: hclHeader(plan),
        files: new Map([[template, MEMBER_ROLE_TEMPLATE_FILE]]),
      });
      files[MEMBER_ROLE_TEMPLATE_FILE] = template;
    } else {
      // Terraform ignores a top-level "//" property (cdktf keeps its metadata there): orgtrust's marker goes beside it.
      const comment = (doc["//"] ?? {}) as Record<string, unknown>;
      doc["//"] = {
        ...comment,
        [JSON_MARKER_KEY]: {
          generatedBy: "orgtrust synth",
          integration: name,
          note: "re-run `orgtrust synth` after changing orgtrust.yaml or the org snapshot instead of editing by hand",
        },
      };
      files["cdk.tf.json"] = stableJson(doc);
    }
    out.push({ integration: name, files, secret: plan.integration.externalId.source === "value" });
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
  return { results, files: out, version };
}

/** Synthesizes the integrations into outDir. Side effects: files under outDir (and a temp dir beside it) only. */
export async function runSynth(opts: SynthOptions): Promise<SynthResult> {
  // Every input error surfaces here, before anything is built or written; warnings are printed as they arise.
  const plans = planIntegrations(opts.integrations, opts.snapshot, {
    exclusions: opts.exclusions,
    onWarning: (m) => opts.log.warn(m),
  });
  const outDir = path.resolve(opts.outDir);
  if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory())
    throw new InputError(`--out ${opts.outDir}: is a file (fix: give a directory)`);
  assertWritable([path.join(outDir, "manifest.json")]);
  const parent = path.dirname(outDir);
  fs.mkdirSync(parent, { recursive: true });
  const stage = fs.mkdtempSync(path.join(parent, `.${path.basename(outDir)}.orgtrust-synth-`));
  let keepStage = false;
  try {
    const { results, files, version } = renderStacks(stage, plans, opts.hcl, opts.loaded.config.backend);
    const all = opts.integrations.length === Object.keys(opts.loaded.config.integrations).length;
    const trigger = all ? renderSyncTrigger(stage, opts.loaded, opts.hcl, stableJson) : undefined;
    const committed = commitStacks({
      outDir,
      label: opts.outDir,
      stage,
      stacks: trigger ? [...files, trigger] : files,
      format: opts.hcl ? "hcl" : "json",
      prune: all,
      force: !!opts.force,
      cdktfVersion: version,
      coverageFile: COVERAGE_FILE,
      memberRoleFile: MEMBER_ROLE_TEMPLATE_FILE,
      log: opts.log,
    });
    return {
      outDir: opts.outDir,
      format: opts.hcl ? "hcl" : "json",
      stacks: results,
      kept: committed.kept,
      written: committed.written,
      ...(trigger ? { syncTrigger: { dir: trigger.dir, files: trigger.paths } } : {}),
    };
  } catch (e) {
    // The staging directory then holds the only copy of what could not be restored: it stays.
    if (e instanceof RestoreFailed) keepStage = true;
    throw e;
  } finally {
    if (!keepStage) fs.rmSync(stage, { recursive: true, force: true });
  }
}
