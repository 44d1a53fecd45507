import * as fs from "node:fs";
import { Option, type Command } from "commander";
import { writeFileAtomic } from "../common/atomic-write";
import { InputError } from "../common/errors";
import { DEFAULT_CONFIG_FILE } from "../config/load";
import { CONSUMERS, type ConsumerName } from "../config/schema";
import { starterConfig } from "../config/starter";

export function registerInit(program: Command): Command {
  return program
    .command("init")
    .description("Write a commented starter orgtrust.yaml for one consumer.")
    .addOption(new Option("--consumer <name>", `consumer to configure: ${CONSUMERS.join(", ")}`).makeOptionMandatory())
    .option("-o, --out <file>", "where to write it", DEFAULT_CONFIG_FILE)
    .option("--force", "overwrite an existing file")
    .addHelpText("after", "\nExample:\n  orgtrust init --consumer backstage")
    .action((flags: { consumer: string; out: string; force?: boolean }) => {
      if (!(CONSUMERS as readonly string[]).includes(flags.consumer)) {
        throw new InputError(`--consumer ${flags.consumer}: unknown consumer (fix: use one of ${CONSUMERS.join(", ")})`);
      }
      if (fs.existsSync(flags.out) && !flags.force) {
        throw new InputError(`--out ${flags.out}: file exists (fix: pass --force to overwrite it, or choose another --out)`);
      }
      writeFileAtomic(flags.out, starterConfig(flags.consumer as ConsumerName));
      process.stdout.write(`Wrote ${flags.out} for ${flags.consumer}. Next: edit the placeholder IDs, then \`orgtrust discover --out org.json\`.\n`);
    });
}
