import type { Command } from "commander";

export function registerSynth(program: Command): Command {
  return program.command("synth").description("(not yet implemented)");
}
