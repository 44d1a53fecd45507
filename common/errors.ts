/**
 * Exit codes shared by every command (documented in docs/commands.md, "Exit codes"):
 *   0 ok, 1 drift or a --check difference, 2 invalid input/config/usage, 3 AWS, network or environment failure
 *   (a full disk, a refused rename, a deadline), 4 internal error (a bug in orgtrust: please report it).
 */
export const ExitCode = {
  Ok: 0,
  Difference: 1,
  InvalidInput: 2,
  AwsFailure: 3,
  Internal: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI prints as one line and turns into an exit code, with no stack trace. */
export class OrgtrustError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input: a flag, a config field, a snapshot or a template. Exit 2. */
export class InputError extends OrgtrustError {
  constructor(message: string) {
    super(message, ExitCode.InvalidInput);
  }
}

/** AWS answered with an error we cannot recover from, or the network failed. Exit 3. */
export class AwsFailure extends OrgtrustError {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message, ExitCode.AwsFailure);
  }
}

/** The machine failed under a correct command: a full disk, an I/O error, a refused rename, a deadline. Exit 3. */
export class EnvironmentError extends OrgtrustError {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message, ExitCode.AwsFailure);
  }
}
