import { spawn } from "node:child_process";
import * as path from "node:path";
import { TEST_CREDENTIALS } from "./aws-clients";

export const REPO = path.resolve(__dirname, "..", "..");
export const BIN = path.join(REPO, "bin", "orgtrust");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs ./bin/orgtrust as a user would (a child process), pointed at `endpoint` through AWS_ENDPOINT_URL with dummy
 * credentials and no shared config, so nothing on the machine leaks in. Async, so an in-process fault proxy keeps
 * answering while the CLI runs.
 */
export function runCli(
  args: string[],
  opts: { endpoint?: string; cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<CliResult> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_REGION: "us-east-1",
    AWS_CONFIG_FILE: "/nonexistent/orgtrust-test-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/orgtrust-test-credentials",
    AWS_EC2_METADATA_DISABLED: "true",
    ORGTRUST_RETRY_BASE_MS: "5",
    CI: "true",
    ...(opts.endpoint ? { AWS_ENDPOINT_URL: opts.endpoint } : {}),
    ...opts.env,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? REPO,
      env: env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
