import * as path from "node:path";
import type { Command } from "commander";
import { ExitCode } from "../common/errors";
import { runGenerate, type GenerateResult } from "../generate";
import {
  addAwsOptions,
  addCommonOptions,
  exclusionsFrom,
  makeLogger,
  orgFrom,
  printJson,
  repeatable,
  requireConfig,
  type AwsCliOptions,
  type CommonOptions,
} from "./common";
import { selectIntegrations } from "../config/resolve";
import { terminalSafe } from "../common/terminal";

interface GenerateFlags extends CommonOptions, AwsCliOptions {
  integration: string[];
  out?: string;
  check?: boolean;
  inlineSecrets?: boolean;
}

export function registerGenerate(program: Command): Command {
  const cmd = program
    .command("generate")
    .description(
      "Render each integration's consumer config (Backstage, Port Ocean, Turbot Pipes, Steampipe, Apono, CloudQuery, c7n-org, AWS CLI, Terraform, or a custom template) from the org snapshot, honouring the exclusions. Atomic: every file is rendered first; if one fails, nothing is written.",
    )
    .option("-i, --integration <name>", "only this integration (repeatable; default: all)", repeatable, [])
    .option("-o, --out <dir>", "write each integration to <dir>/<integration>/ instead of its output.dir")
    .option(
      "--check",
      "compare with the files on disk instead of writing: exit 0 when identical, 1 with a diff when not",
    )
    .option(
      "--inline-secrets",
      "write external ID values into the files instead of references (a warning; keep the files secret)",
    );
  addCommonOptions(cmd);
  addAwsOptions(cmd);
  cmd.addHelpText(
    "after",
    "\nExamples:\n  orgtrust generate --config examples/orgtrust.yaml --out out/example\n  orgtrust generate --integration backstage --integration steampipe\n  orgtrust generate --check                      # in CI: exit 1 and a diff when the committed files are stale\n  orgtrust generate --snapshot org.json --out generated",
  );
  return cmd.action(async (flags: GenerateFlags) => {
    const log = makeLogger(flags);
    const loaded = requireConfig(flags);
    const { snapshot } = await orgFrom(flags, loaded, log, { tags: true, configSnapshot: true });
    const integrations = selectIntegrations(loaded, [...new Set(flags.integration)]);
    const result = await runGenerate({
      loaded,
      snapshot,
      integrations,
      outDir: flags.out,
      check: !!flags.check,
      inlineSecrets: !!flags.inlineSecrets,
      exclusions: exclusionsFrom(flags),
      log,
    });
    if (flags.json) printJson(result);
    else process.stdout.write(terminalSafe(resultText(result)));
    if (result.check && result.differences > 0) process.exitCode = ExitCode.Difference;
  });
}

const rel = (p: string) => path.relative(process.cwd(), p) || p;

export function resultText(r: GenerateResult): string {
  const lines: string[] = [];
  if (r.check) {
    for (const f of r.files) {
      if (f.status === "unchanged") continue;
      lines.push(
        `${f.status}: ${rel(f.path)}${f.status === "stale" ? " (generated earlier, no longer rendered: `orgtrust generate` removes it)" : ""}`,
      );
      if (f.diff) lines.push(f.diff.replace(/\n$/, ""));
    }
    lines.push(
      r.differences
        ? `${r.differences} of ${r.files.length} generated files are missing, differ or are stale against snapshot sha256:${r.snapshotHash} (fix: run \`orgtrust generate\` with the same flags and commit the result)`
        : `${r.files.length} generated files are up to date (snapshot sha256:${r.snapshotHash})`,
    );
  } else {
    for (const f of r.files) lines.push(`${f.status.padEnd(9)} ${rel(f.path)}`);
    const removed = r.files.filter((f) => f.status === "removed").length;
    const total = r.files.length - removed;
    const written = r.files.filter((f) => f.status === "created" || f.status === "changed").length;
    lines.push(
      `${r.integrations.length} integrations, ${total} files (${written} written, ${total - written} unchanged${removed ? `, ${removed} stale removed` : ""}) from snapshot sha256:${r.snapshotHash}`,
    );
  }
  if (r.collisions.length)
    lines.push(`${r.collisions.length} identifier collisions resolved by suffixing the ID (see the warnings)`);
  return `${lines.join("\n")}\n`;
}
