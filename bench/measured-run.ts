import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TEST_CREDENTIALS } from "../test/support/aws-clients";

const REPO = path.resolve(__dirname, "..", "..");

export interface MeasuredRun {
  code: number;
  wallMs: number;
  /** orgtrust's own CPU time (user + system) and peak RSS, reported by bench/measure-child.js. */
  cpuMs: number;
  maxRssMb: number;
  stdout: string;
  stderr: string;
}

/** A child's environment for the benchmarks: dummy credentials, no shared AWS config, the given endpoint, CI mode. */
export function benchEnv(endpoint: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL: endpoint,
    AWS_CONFIG_FILE: "/nonexistent",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
    AWS_EC2_METADATA_DISABLED: "true",
    CI: "true",
  };
}

/**
 * Runs `orgtrust <args>` in a child process against `endpoint` (moto or the fault proxy) with dummy credentials and
 * no shared AWS config, and measures it from the inside (bench/measure-child.js), so moto's and the proxy's work
 * is not counted as orgtrust's.
 */
export function runMeasured(
  args: string[],
  endpoint: string,
  extraEnv: Record<string, string> = {},
  cpuProfDir?: string,
): Promise<MeasuredRun> {
  const usage = path.join(os.tmpdir(), `orgtrust-bench-usage-${process.pid}.json`);
  const env = { ...benchEnv(endpoint), ORGTRUST_BENCH_USAGE: usage, ...extraEnv };
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        ...(cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`] : []),
        path.join(REPO, "bench", "measure-child.js"),
        ...args,
      ],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => {
      const u = JSON.parse(fs.readFileSync(usage, "utf8")) as { cpuMs: number; maxRssMb: number };
      resolve({ code: code ?? -1, wallMs: Date.now() - started, cpuMs: u.cpuMs, maxRssMb: u.maxRssMb, stdout, stderr });
    });
  });
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/**
 * The top entries of a V8 CPU profile (node --cpu-prof) by self time: each sample's time goes to the function on top
 * of the stack, summed per function (name, file and line); idle time left out. Returns [label, ms, share of the CPU].
 */
export function topSelfTime(profileFile: string, top = 10): Array<[string, number, number]> {
  const prof = JSON.parse(fs.readFileSync(profileFile, "utf8")) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const dt = (prof.timeDeltas[i] ?? 0) / 1000;
    const f = byId.get(id)?.callFrame;
    // Idle time is not CPU.
    if (!f || f.functionName === "(idle)") return;
    const file = f.url
      ? f.url
          .replace(/^file:\/\//, "")
          .replace(/.*\/node_modules\//, "")
          .replace(REPO + "/", "")
      : "";
    const label = `${f.functionName || "(anonymous)"} ${file ? `${file}:${f.lineNumber + 1}` : ""}`.trim();
    self.set(label, (self.get(label) ?? 0) + dt);
    total += dt;
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([l, ms]) => [l, ms, total ? ms / total : 0]);
}
