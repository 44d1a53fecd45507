import * as path from "node:path";
import type { Command } from "commander";
import { createLogger } from "../common/log";
import { EXAMPLES_DIR } from "../common/paths";
import { computeScope } from "../org/scope";
import { globalRules, NO_EXTRA_EXCLUSIONS } from "../org/scope-rules";
import { loadInputs } from "../plan/inputs";
import { summaryText as discoverSummary } from "./discover";
import { resultText as generateSummary } from "./generate";
import { summaryText as synthSummary } from "./synth";
import { terminalSafe } from "../common/terminal";

/** The recommended route from the example to a deployment (the HCL export + plain Terraform in each stack folder). */
export const NEXT_STEPS = [
  "orgtrust init --consumer <name>                  # a commented orgtrust.yaml",
  "orgtrust discover --out org.json                 # the snapshot (credentials for the management account)",
  "orgtrust synth --hcl                             # -> infra/orgtrust/stacks/<integration>/main.tf",
  "cd infra/orgtrust/stacks/<integration> && terraform init && terraform apply",
  "orgtrust generate                                # each consumer's config",
  "With a cdktf app of your own, use orgtrust's constructs there and deploy it as usual (docs/synth-and-deploy.md).",
  "",
].join("\n");

/**
 * The main job on the embedded default: the bundled example org (examples/org.json) and its config
 * (examples/orgtrust.yaml). No AWS account needed: scope summary, synth (Terraform JSON and HCL) and generate.
 */
export function registerExample(program: Command): Command {
  return program
    .command("example")
    .description(
      "Run the main job on the bundled example org (no AWS account needed): scope summary, synth, HCL export and generate.",
    )
    .option("-o, --out <dir>", "output folder", "out/example")
    .addHelpText(
      "after",
      "\nExample:\n  orgtrust example --out out/example   # then look at out/example/{cdktf.out,hcl,generated}",
    )
    .action(async (flags: { out: string }) => {
      // Loaded here, not at start-up: cdktf and the provider bindings cost every other command ~0.4 s.
      const { runSynth } = await import("../synth/synthesize");
      const { runGenerate } = await import("../generate");
      const log = createLogger();
      // The same input loader as `orgtrust synth --config examples/orgtrust.yaml --snapshot examples/org.json`.
      const inputs = loadInputs({
        config: path.join(EXAMPLES_DIR, "orgtrust.yaml"),
        snapshot: path.join(EXAMPLES_DIR, "org.json"),
      });
      const { loaded, integrations } = inputs;
      const snapshot = inputs.snapshot!;

      const scope = computeScope(snapshot, globalRules(NO_EXTRA_EXCLUSIONS, loaded));
      const out = (title: string, body: string) => process.stdout.write(terminalSafe(`\n== ${title}\n${body}`));
      out("discover (the bundled snapshot examples/org.json)", discoverSummary(snapshot, scope, undefined));
      const synth = await runSynth({
        loaded,
        snapshot,
        integrations,
        outDir: path.join(flags.out, "cdktf.out"),
        hcl: false,
        log,
      });
      // No "Next:" here: the bundled org is not one to deploy to; the route for a real org is printed at the end.
      out(
        `synth (Terraform JSON for cdktf into ${path.join(flags.out, "cdktf.out")})`,
        synthSummary(synth, "examples/org.json", { next: false }),
      );
      const hcl = await runSynth({
        loaded,
        snapshot,
        integrations,
        outDir: path.join(flags.out, "hcl"),
        hcl: true,
        log,
      });
      out(`synth --hcl (plain Terraform into ${path.join(flags.out, "hcl")})`, `${hcl.stacks.length} stacks written\n`);
      // The AWS CLI, Steampipe and c7n-org files carry the external ID itself; the example org's generated IDs exist
      // nowhere, so those integrations get a stand-in value unless their variable is set.
      const env = { ...process.env };
      for (const i of integrations)
        if (i.externalId.source === "generate" && !env[i.externalId.variable])
          env[i.externalId.variable] = `example-only-${i.name}-external-id`;
      const gen = await runGenerate({
        loaded,
        snapshot,
        integrations,
        outDir: path.join(flags.out, "generated"),
        check: false,
        inlineSecrets: false,
        log,
        env,
      });
      out(`generate (every consumer's config into ${path.join(flags.out, "generated")})`, generateSummary(gen));
      out("next, for your own organization", NEXT_STEPS);
    });
}
