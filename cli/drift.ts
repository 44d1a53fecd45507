import type { Command } from "commander";

export function registerDrift(program: Command): Command {
  return program.command("drift").description("(not yet implemented)");
}
