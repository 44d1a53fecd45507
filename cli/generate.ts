import type { Command } from "commander";

export function registerGenerate(program: Command): Command {
  return program.command("generate").description("(not yet implemented)");
}
