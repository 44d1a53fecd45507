import * as fs from "node:fs";
import * as path from "node:path";
import { Command, CommanderError } from "commander";
import { z } from "zod";
import { PACKAGE_ROOT } from "../common/paths";
import { ExitCode, OrgtrustError } from "../common/errors";
import { describeErrno } from "../common/transaction";
import { registerDiscover } from "./discover";
import { registerDrift } from "./drift";
import { registerExample } from "./example";
import { registerGenerate } from "./generate";
import { registerInit } from "./init";
import { registerSynth } from "./synth";
import { registerSync } from "./sync";
import { terminalSafe } from "../common/terminal";

// A CLI run checks each schema on one input (the config, the snapshot), on cold code: compiling zod's fast-path
// validators costs more than they save (a 5,000-account snapshot validated in ~75 ms instead of ~115 ms).
z.config({ jitless: true });

/** Commander usage errors, on one line with the fix. */
const usageLine = (str: string) =>
  `${str.split("\n")[0].replace(/^error: /, "orgtrust: error: ")} (fix: see orgtrust <command> --help)\n`;

export function buildProgram(): Command {
  const program = new Command("orgtrust")
    .description(
      "Trust plumbing for AWS Organizations discovery tools: discover the org, synthesize the discovery and member roles, generate each consumer's config, and check drift in CI.\n\nExit codes: 0 ok, 1 drift or a --check difference, 2 invalid input/config/usage, 3 AWS, network or environment failure (a full disk, a deadline), 4 internal error (a bug: please report it).",
    )
    .version(
      (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version,
    )
    .exitOverride()
    .configureOutput({ outputError: (str: string, write: (s: string) => void) => write(usageLine(str)) });
  for (const register of [
    registerInit,
    registerDiscover,
    registerSynth,
    registerGenerate,
    registerDrift,
    registerSync,
    registerExample,
  ]) {
    const cmd = register(program);
    cmd
      .exitOverride()
      .configureOutput({ outputError: (str: string, write: (s: string) => void) => write(usageLine(str)) });
  }
  return program;
}

function report(e: unknown): number {
  if (e instanceof CommanderError) {
    // Help asked for is success; help shown because no command was given is a usage error.
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return ExitCode.Ok;
    if (e.code === "commander.help") return e.exitCode === 0 ? ExitCode.Ok : ExitCode.InvalidInput;
    return ExitCode.InvalidInput;
  }
  if (e instanceof OrgtrustError) {
    // One line per problem (a config with several invalid fields lists each).
    for (const line of e.message.split("\n")) process.stderr.write(`orgtrust: error: ${terminalSafe(line)}\n`);
    return e.exitCode;
  }
  const errno = e as NodeJS.ErrnoException & { dest?: string };
  if (errno?.code && /^E[A-Z]+$/.test(errno.code) && (errno.syscall || errno.path)) {
    // The file system failed under a correct command (a full disk, a refused rename): environment, exit 3.
    const where = errno.path
      ? ` ${terminalSafe(errno.path)}${errno.dest ? ` -> ${terminalSafe(errno.dest)}` : ""}`
      : "";
    process.stderr.write(
      `orgtrust: error: ${errno.syscall ?? "file operation"}${where} failed: ${describeErrno(errno)} (fix: ${errno.code === "ENOSPC" || errno.code === "EDQUOT" ? "free space on that file system" : "check the path, its permissions and the file system"}, then run again)\n`,
    );
    return ExitCode.AwsFailure;
  }
  process.stderr.write(
    `orgtrust: internal error: ${terminalSafe(String((e as Error)?.message ?? e))} (fix: re-run with ORGTRUST_DEBUG=1 and report the stack trace)\n`,
  );
  if (process.env.ORGTRUST_DEBUG) process.stderr.write(`${(e as Error)?.stack}\n`);
  return ExitCode.Internal;
}

/**
 * A reader that goes away (`orgtrust ... | head`) ends the run quietly, as SIGPIPE does for other Unix tools,
 * instead of crashing with an unhandled EPIPE. Files are written synchronously and atomically, so none is left half
 * written.
 */
function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") throw e;
      process.exit(typeof process.exitCode === "number" ? process.exitCode : ExitCode.Ok);
    });
  }
}

export async function main(argv: string[]): Promise<void> {
  exitQuietlyOnClosedPipe();
  let code: number;
  try {
    await buildProgram().parseAsync(argv);
    code = process.exitCode === undefined ? ExitCode.Ok : Number(process.exitCode);
  } catch (e) {
    code = report(e);
  }
  process.exitCode = code;
}
