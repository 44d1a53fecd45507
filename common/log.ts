import { terminalSafe, terminalSafeLine } from "./terminal";

/**
 * stderr logging. Progress lines only on a TTY and never in CI or --json mode; warnings always (they are
 * part of the contract: an exclusion that matches nothing, an account the StackSet cannot cover).
 */
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  progress(msg: string): void;
  done(): void;
}

export function isQuietEnvironment(json: boolean): boolean {
  return json || !process.stderr.isTTY || process.env.CI === "true" || process.env.CI === "1";
}

export function createLogger(opts: { json?: boolean; quiet?: boolean } = {}): Logger {
  const showProgress = !isQuietEnvironment(!!opts.json);
  let progressShown = false;
  let lastProgress = 0;
  return {
    info(msg) {
      if (!opts.quiet && !opts.json) process.stderr.write(`${terminalSafe(msg)}\n`);
    },
    warn(msg) {
      if (progressShown) process.stderr.write("\r\x1b[2K");
      process.stderr.write(`warning: ${terminalSafe(msg)}\n`);
    },
    progress(msg) {
      if (!showProgress) return;
      const now = Date.now();
      if (now - lastProgress < 100) return;
      lastProgress = now;
      progressShown = true;
      process.stderr.write(`\r\x1b[2K${terminalSafeLine(msg)}`);
    },
    done() {
      if (progressShown) process.stderr.write("\r\x1b[2K");
      progressShown = false;
    },
  };
}
