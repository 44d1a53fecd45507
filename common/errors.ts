/**
 * Exit codes shared by every command (documented in README):
 *   0 ok, 1 drift or a --check difference, 2 invalid input/config/usage, 3 AWS or network failure.
 */
export const ExitCode = {
  Ok: 0,
  Difference: 1,
  InvalidInput: 2,
  AwsFailure: 3,
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

/** Builds the one-line message "<field>: <problem> (fix: <remedy>)". */
export function fieldError(field: string, problem: string, fix?: string): InputError {
  return new InputError(`${field}: ${problem}${fix ? ` (fix: ${fix})` : ""}`);
}
