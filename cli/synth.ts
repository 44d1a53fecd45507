import * as path from "node:path";
import type { Command } from "commander";
import { InputError } from "../common/errors";
import type { StackResult, SynthResult } from "../synth/synthesize";
import { snapshotPathFrom, addCommonOptions, loadSnapshotFrom, makeLogger, printJson, requireConfig, selectIntegrations, type CommonOptions } from "./common";
import { terminalSafe } from "../common/terminal";

interface SynthFlags extends CommonOptions {
  integration: string[];
  out: string;
  hcl?: boolean;
}

export const DEFAULT_SYNTH_OUT = "cdktf.out";

export function registerSynth(program: Command): Command {
  const cmd = program
    .command("synth")
    .description(
      "Synthesize one Terraform stack per integration (discovery role, member-role StackSet, management-account role, external-ID secret) and print who gets the member role: through the StackSet, directly, or not at all and why. --hcl writes plain Terraform HCL instead of cdk.tf.json.",
    )
    .option("-i, --integration <name>", "only this integration (repeatable; default: all)", (v: string, prev: string[] = []) => [...prev, v], [])
    .option("-o, --out <dir>", "output folder (the cdktf.out layout: stacks/<integration>/...)", DEFAULT_SYNTH_OUT)
    .option("--hcl", "View as Code: write formatted HCL (main.tf + member-role.yaml) for plain Terraform instead of cdk.tf.json");
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    [
      "",
      "Examples:",
      "  orgtrust synth                                   # ./orgtrust.yaml + its snapshot -> cdktf.out/stacks/<integration>/cdk.tf.json",
      "  orgtrust synth --snapshot org.json --integration backstage",
      "  orgtrust synth --hcl --out infra/orgtrust        # plain Terraform: cd infra/orgtrust/stacks/<integration> && terraform init && terraform apply",
      "  orgtrust synth --exclude-ou ou-ab12-cdef3456 --strict --json",
      "",
      "Exclusions (config or --exclude-*) need an org snapshot: run `orgtrust discover --out org.json` first.",
      "External IDs with source env are not read now: each stack declares a sensitive Terraform variable of the same name;",
      "set it when deploying (export TF_VAR_PORT_EXTERNAL_ID=\"$PORT_EXTERNAL_ID\"). No value is written into the output.",
      "Deploy: `cdktf deploy <integration>` (cdktf.json in the repo) or, after --hcl, plain `terraform apply` (Terraform >= 1.11).",
    ].join("\n"),
  );
  return cmd.action(async (flags: SynthFlags) => {
    const log = makeLogger(flags);
    const loaded = requireConfig(flags);
    const snapshot = loadSnapshotFrom(flags, loaded);
    const integrations = selectIntegrations(loaded, flags.integration);
    if (new Set(flags.integration).size !== flags.integration.length) throw new InputError("--integration: the same integration is given twice (fix: list each once)");
    // Loaded on use: cdktf and the provider bindings stay out of every other command's start-up.
    const { runSynth } = await import("../synth/synthesize");
    const result = await runSynth({ loaded, snapshot, integrations, outDir: flags.out, hcl: !!flags.hcl, cli: flags, log });
    if (flags.json) printJson(result);
    else process.stdout.write(terminalSafe(summaryText(result, snapshot ? displayPath(snapshotPathFrom(flags, loaded)!) : undefined)));
  });
}

const MAX_LISTED = 10;

/** A path as the user would type it: relative to the working directory when it lies below it. */
function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : p;
}

function stackLines(s: StackResult): string[] {
  const c = s.coverage;
  const main = s.files.find((f) => f.endsWith("cdk.tf.json") || f.endsWith("main.tf")) ?? s.dir;
  const lines = [`  ${s.integration} (${s.consumer}): ${main}`];
  const targets = c.targets.map((t) => (t.id === t.name ? t.id : `${t.name} (${t.id})`));
  lines.push(`    StackSet targets: ${targets.length ? targets.join(", ") : "none (no instances)"}`);
  const via = c.basis === "root-lookup" ? "every member account (no snapshot: the root is targeted)" : `${c.viaStackSet.length} accounts (--json lists them)`;
  const mgmt = c.direct.filter((a) => a.how === "management-account");
  const viaProvider = c.direct.filter((a) => a.how === "direct-provider");
  const directParts = mgmt.map((a) => `${a.id} ${a.name}`);
  if (viaProvider.length) directParts.push(`${viaProvider.length} account${viaProvider.length === 1 ? "" : "s"} no OU target reaches (DIRECT below)`);
  const direct = directParts.length ? directParts.join(" + ") : "none";
  lines.push(`    through the StackSet: ${via}; directly: ${direct}; not at all: ${c.uncovered.length + c.excluded.length}`);
  for (const d of viaProvider) lines.push(`      ${d.id}  ${d.name.padEnd(24)} DIRECT (own provider, aws.account_${d.id}): ${d.reason ?? "no StackSet target reaches it"}`);
  for (const u of c.uncovered) lines.push(`      ${u.id}  ${u.name.padEnd(24)} UNCOVERED: ${u.reason}`);
  for (const e of c.excluded.slice(0, MAX_LISTED)) lines.push(`      ${e.id}  ${e.name.padEnd(24)} ${e.reasons.join("; ")}`);
  if (c.excluded.length > MAX_LISTED) lines.push(`      ... and ${c.excluded.length - MAX_LISTED} more excluded (--json lists all)`);
  return lines;
}

export function summaryText(result: SynthResult, snapshotFile?: string): string {
  const n = result.stacks.length;
  const format = result.format === "hcl" ? "plain Terraform HCL" : "Terraform JSON for cdktf";
  const from = snapshotFile ? ` using the snapshot ${snapshotFile} (sha256 ${result.stacks[0]?.coverage.snapshotHash})` : " without a snapshot";
  const lines = [`Synthesized ${n} stack${n === 1 ? "" : "s"} (${format}) into ${result.outDir}${from}`];
  for (const s of result.stacks) lines.push(...stackLines(s));
  const uncovered = result.stacks.reduce((a, s) => a + s.coverage.uncovered.length, 0);
  if (uncovered) lines.push(`  ${uncovered} in-scope account(s) get no member role (see UNCOVERED above; recorded in each stack's orgtrust-coverage.json)`);
  const viaProvider = result.stacks.reduce((a, s) => a + s.coverage.direct.filter((d) => d.how === "direct-provider").length, 0);
  if (viaProvider) {
    lines.push(`  ${viaProvider} in-scope account(s) get the member role directly (DIRECT above): accounts that join their OUs later do not get it automatically; re-run discover and synth`);
  }
  const first = result.stacks[0]?.integration ?? "<integration>";
  lines.push(
    result.format === "hcl"
      ? `Next: cd ${result.outDir}/stacks/${first} && terraform init && terraform apply`
      : `Next: cdktf deploy ${first}   (or: cd ${result.outDir}/stacks/${first} && terraform init && terraform apply)`,
  );
  return `${lines.join("\n")}\n`;
}
