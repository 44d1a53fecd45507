import { InputError } from "../common/errors";
import type { AwsTuning } from "../aws/options";

/**
 * The environment knobs for tests and benchmarks, read here and nowhere else (the engine takes them as
 * AwsOptions.tuning): ORGTRUST_MAX_ATTEMPTS (SDK attempts per try, default 5), ORGTRUST_RETRY_BASE_MS (a fixed
 * backoff base), ORGTRUST_REQUEST_TIMEOUT_MS (the socket request timeout, default 30000), ORGTRUST_ROLE_SESSION_SECONDS
 * (assumed-role sessions, default 3600), ORGTRUST_RATE_DEBUG=1 (the rate controller's decisions on stderr), and
 * AWS_RETRY_MODE=standard|adaptive (the SDK's own retry strategies, for comparison).
 */
export function awsTuningFromEnv(env: NodeJS.ProcessEnv = process.env): AwsTuning {
  const num = (name: string, min: number): number | undefined => {
    const v = env[name];
    if (v === undefined || v === "") return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min)
      throw new InputError(
        `${name} ${v}: must be a number of at least ${min} (fix: correct or unset the environment variable)`,
      );
    return n;
  };
  const mode = env.AWS_RETRY_MODE;
  return {
    maxAttempts: num("ORGTRUST_MAX_ATTEMPTS", 1),
    retryBaseMs: num("ORGTRUST_RETRY_BASE_MS", 0),
    socketTimeoutMs: num("ORGTRUST_REQUEST_TIMEOUT_MS", 1),
    roleSessionSeconds: num("ORGTRUST_ROLE_SESSION_SECONDS", 1),
    rateDebug: env.ORGTRUST_RATE_DEBUG === "1",
    sdkRetryMode: mode === "standard" || mode === "adaptive" ? mode : undefined,
  };
}
