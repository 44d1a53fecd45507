import type { Command } from "commander";
import { InputError } from "../common/errors";
import { displayPath } from "../common/paths";
import type { StackResult, SynthResult } from "../synth/synthesize";
import {
  addCommonOptions,
  exclusionsFrom,
  extraExclusionsFrom,
  makeLogger,
  printJson,
  type CommonOptions,
} from "./common";
import { loadInputs } from "../plan/inputs";
import { terminalSafe } from "../common/terminal";

interface SynthFlags extends CommonOptions {
  integration: string[];
  out?: string;
  hcl?: boolean;
  force?: boolean;
}

/** Default --out of `synth` (Terraform JSON). */
export const DEFAULT_SYNTH_OUT = "cdktf.out";
/** Default --out of `synth --hcl`: another folder, so the two formats never overwrite each other by default. */
export const DEFAULT_HCL_OUT = "infra/orgtrust";

export function registerSynth(program: Command): Command {
  const cmd = program
    .command("synth")
    .description(
      "Synthesize one Terraform stack per integration (discovery role, member-role StackSet, management-account role, external-ID secret) and print who gets the member role: through the StackSet, directly, or not at all and why. --hcl writes plain Terraform HCL instead of cdk.tf.json.",
    )
    .option(
      "-i, --integration <name>",
      "only this integration (repeatable; default: all)",
      (v: string, prev: string[] = []) => [...prev, v],
      [],
    )
    .option(
      "-o, --out <dir>",
      `output folder (the cdktf.out layout: stacks/<integration>/...; default ${DEFAULT_SYNTH_OUT}, with --hcl ${DEFAULT_HCL_OUT})`,
    )
    .option(
      "--hcl",
      "View as Code: write formatted HCL (main.tf + member-role.yaml) for plain Terraform instead of cdk.tf.json",
    )
    .option(
      "--force",
      "replace files in a stack folder that synth did not write, and switch a stack folder between JSON and HCL (state and other files still stay)",
    );
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    [
      "",
      "Examples:",
      "  orgtrust synth                                   # ./orgtrust.yaml + its snapshot -> cdktf.out/stacks/<integration>/cdk.tf.json",
      "  orgtrust synth --snapshot org.json --integration backstage",
      "  orgtrust synth --hcl                             # plain Terraform -> infra/orgtrust/stacks/<integration>/main.tf",
      "  orgtrust synth --exclude-ou ou-ab12-cdef3456 --strict --json",
      "",
      "Exclusions (config or --exclude-*) need an org snapshot: run `orgtrust discover --out org.json` first.",
      "External IDs with source env are not read now: each stack declares a sensitive Terraform variable of the same name;",
      'set it when deploying (export TF_VAR_PORT_EXTERNAL_ID="$PORT_EXTERNAL_ID"). No value is written into the output.',
      "Deploy (Terraform >= 1.11): cd <out>/stacks/<integration> && terraform init && terraform apply (Terraform reads",
      "main.tf and cdk.tf.json alike). The state goes where orgtrust.yaml's backend says (default: a local file in that",
      "folder). Synth replaces only the files it wrote: state, .terraform/, the lock file and your own files stay.",
    ].join("\n"),
  );
  return cmd.action(async (flags: SynthFlags) => {
    const log = makeLogger(flags);
    const { loaded, snapshot, snapshotPath, integrations } = loadInputs({
      config: flags.config,
      snapshot: flags.snapshot,
      integrations: flags.integration,
      exclusions: extraExclusionsFrom(flags),
    });
    if (new Set(flags.integration).size !== flags.integration.length)
      throw new InputError("--integration: the same integration is given twice (fix: list each once)");
    // Loaded on use: cdktf and the provider bindings stay out of every other command's start-up.
    const { runSynth } = await import("../synth/synthesize");
    const outDir = flags.out ?? (flags.hcl ? DEFAULT_HCL_OUT : DEFAULT_SYNTH_OUT);
    const result = await runSynth({
      loaded,
      snapshot,
      integrations,
      outDir,
      hcl: !!flags.hcl,
      force: !!flags.force,
      exclusions: exclusionsFrom(flags),
      log,
    });
    if (flags.json) printJson(result);
    else process.stdout.write(terminalSafe(summaryText(result, snapshot ? displayPath(snapshotPath!) : undefined)));
  });
}

const MAX_LISTED = 10;

function stackLines(s: StackResult): string[] {
  const c = s.coverage;
  const main = s.files.find((f) => f.endsWith("cdk.tf.json") || f.endsWith("main.tf")) ?? s.dir;
  const lines = [`  ${s.integration} (${s.consumer}): ${main}`];
  const targets = c.targets.map((t) => (t.id === t.name ? t.id : `${t.name} (${t.id})`));
  lines.push(`    StackSet targets: ${targets.length ? targets.join(", ") : "none (no instances)"}`);
  const via =
    c.basis === "root-lookup"
      ? "every member account (no snapshot: the root is targeted)"
      : `${c.viaStackSet.length} accounts (--json lists them)`;
  const mgmt = c.direct.filter((a) => a.how === "management-account");
  const viaProvider = c.direct.filter((a) => a.how === "direct-provider");
  const directParts = mgmt.map((a) => `${a.id} ${a.name}`);
  if (viaProvider.length)
    directParts.push(
      `${viaProvider.length} account${viaProvider.length === 1 ? "" : "s"} no OU target reaches (DIRECT below)`,
    );
  const direct = directParts.length ? directParts.join(" + ") : "none";
  lines.push(
    `    through the StackSet: ${via}; directly: ${direct}; not at all: ${c.uncovered.length + c.excluded.length}`,
  );
  for (const d of viaProvider)
    lines.push(
      `      ${d.id}  ${d.name.padEnd(24)} DIRECT (own provider, aws.account_${d.id}): ${d.reason ?? "no StackSet target reaches it"}`,
    );
  for (const u of c.uncovered) lines.push(`      ${u.id}  ${u.name.padEnd(24)} UNCOVERED: ${u.reason}`);
  for (const e of c.excluded.slice(0, MAX_LISTED))
    lines.push(`      ${e.id}  ${e.name.padEnd(24)} ${e.reasons.join("; ")}`);
  if (c.excluded.length > MAX_LISTED)
    lines.push(`      ... and ${c.excluded.length - MAX_LISTED} more excluded (--json lists all)`);
  return lines;
}

export function summaryText(result: SynthResult, snapshotFile?: string, opts: { next?: boolean } = {}): string {
  const n = result.stacks.length;
  const format = result.format === "hcl" ? "plain Terraform HCL" : "Terraform JSON for cdktf";
  const from = snapshotFile
    ? ` using the snapshot ${snapshotFile} (sha256 ${result.stacks[0]?.coverage.snapshotHash})`
    : " without a snapshot";
  const lines = [`Synthesized ${n} stack${n === 1 ? "" : "s"} (${format}) into ${result.outDir}${from}`];
  for (const s of result.stacks) lines.push(...stackLines(s));
  const uncovered = result.stacks.reduce((a, s) => a + s.coverage.uncovered.length, 0);
  if (uncovered)
    lines.push(
      `  ${uncovered} in-scope account(s) get no member role (see UNCOVERED above; recorded in each stack's orgtrust-coverage.json)`,
    );
  const viaProvider = result.stacks.reduce(
    (a, s) => a + s.coverage.direct.filter((d) => d.how === "direct-provider").length,
    0,
  );
  if (viaProvider) {
    lines.push(
      `  ${viaProvider} in-scope account(s) get the member role directly (DIRECT above): accounts that join their OUs later do not get it automatically; re-run discover and synth`,
    );
  }
  for (const k of result.kept)
    lines.push(
      `  ${k.dir}: integration ${k.integration} is no longer configured; kept because it holds ${k.foreign.join(", ")} (see the warning)`,
    );
  if (result.syncTrigger)
    lines.push(
      `  sync trigger (EventBridge -> GitHub repository_dispatch, CI role for OIDC): ${result.syncTrigger.files[0]}; set TF_VAR_github_dispatch_token when applying (docs/sync.md)`,
    );
  if (result.written.length === 0) lines.push("  Nothing changed: every file was already up to date.");
  if (opts.next !== false) lines.push(nextLine(result));
  return `${lines.join("\n")}\n`;
}

/**
 * What to run next, for the route the user is on: the stack folder is a Terraform root module in both formats
 * (Terraform reads cdk.tf.json as it is), so the hint is `terraform init && terraform apply` there. Never
 * `cdktf deploy`: that would synthesize the orgtrust checkout's own app (users with a cdktf app of their own deploy
 * it as they always do).
 */
export function nextLine(result: Pick<SynthResult, "outDir" | "stacks" | "format">): string {
  const first = result.stacks[0]?.integration ?? "<integration>";
  const notes = [
    result.format === "json" ? "Terraform reads cdk.tf.json as it is" : "",
    result.stacks.length > 1 ? "the same in each stacks/<integration>" : "",
  ].filter(Boolean);
  return `Next: cd ${result.outDir}/stacks/${first} && terraform init && terraform apply${notes.length ? `   (${notes.join("; ")})` : ""}`;
}
