import * as fs from "node:fs";
import * as path from "node:path";
import { Option, type Command } from "commander";
import { writeFileAtomic, writeFilesAtomic } from "../common/atomic-write";
import { InputError } from "../common/errors";
import { DEFAULT_CONFIG_FILE } from "../config/load";
import { CONSUMERS, type ConsumerName } from "../config/schema";
import { starterConfig } from "../config/starter";
import { loadOptionalConfig } from "./common";

export function registerInit(program: Command): Command {
  return program
    .command("init")
    .description(
      "Write a commented starter orgtrust.yaml for one consumer (--consumer), or the GitHub Actions workflows that keep the repository in sync (--ci github).",
    )
    .addOption(new Option("--consumer <name>", `consumer to configure: ${CONSUMERS.join(", ")}`))
    .option("-o, --out <file>", "where to write the starter config", DEFAULT_CONFIG_FILE)
    .addOption(
      new Option(
        "--ci <provider>",
        "write the CI workflows: .github/workflows/orgtrust-sync.yml and orgtrust-drift.yml",
      ).choices(["github"]),
    )
    .option(
      "-c, --config <file>",
      "with --ci: the config the workflows use (default ./orgtrust.yaml); its sync section fills in the CI role",
    )
    .option(
      "--github-app",
      "with --ci: open the sync pull request with a GitHub App token (it triggers other workflows) instead of GITHUB_TOKEN",
    )
    .option("--force", "overwrite existing files")
    .addHelpText(
      "after",
      "\nExamples:\n  orgtrust init --consumer backstage\n  orgtrust init --ci github            # after configuring sync: in orgtrust.yaml (docs/sync.md)",
    )
    .action(
      async (flags: {
        consumer?: string;
        out: string;
        ci?: string;
        config?: string;
        githubApp?: boolean;
        force?: boolean;
      }) => {
        if (!flags.consumer && !flags.ci)
          throw new InputError(
            "init: nothing to write (fix: pass --consumer <name> for a starter config, or --ci github for the workflows)",
          );
        if (flags.consumer) {
          if (!(CONSUMERS as readonly string[]).includes(flags.consumer)) {
            throw new InputError(
              `--consumer ${flags.consumer}: unknown consumer (fix: use one of ${CONSUMERS.join(", ")})`,
            );
          }
          if (fs.existsSync(flags.out) && !flags.force) {
            throw new InputError(
              `--out ${flags.out}: file exists (fix: pass --force to overwrite it, or choose another --out)`,
            );
          }
        }
        let ciFiles: Array<{ path: string; content: string }> = [];
        if (flags.ci) {
          const { ciWorkflowFiles } = await import("../sync/init-ci");
          ciFiles = ciWorkflowFiles(loadOptionalConfig(flags), !!flags.githubApp);
          for (const f of ciFiles)
            if (fs.existsSync(f.path) && !flags.force)
              throw new InputError(`--ci: ${f.path} exists (fix: pass --force to overwrite it)`);
        }
        if (flags.consumer) {
          writeFileAtomic(flags.out, starterConfig(flags.consumer as ConsumerName));
          process.stdout.write(
            `Wrote ${flags.out} for ${flags.consumer}. Next: edit the placeholder IDs, then \`orgtrust discover --out org.json\`.\n`,
          );
        }
        if (ciFiles.length) {
          writeFilesAtomic(ciFiles);
          process.stdout.write(
            `Wrote ${ciFiles.map((f) => path.normalize(f.path)).join(" and ")}. Next: docs/sync.md, "Set-up in order".\n`,
          );
        }
      },
    );
}
