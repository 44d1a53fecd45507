import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/**
 * moto_server harness. The integration project's global set-up (test/support/global-setup.ts) starts, for every jest worker, its own
 * servers on 127.0.0.1 on free ports (so parallel workers never share state), one per moto configuration a suite can
 * ask for; suites reset their worker's server before they start and between tests; the global teardown stops every
 * server by PID. When moto_server is missing the suites are skipped with a loud message, except under CI=true where
 * the global set-up fails the run. Benchmarks start their own server with startMoto.
 */
export interface MotoServer {
  endpoint: string;
  port: number;
  pid: number;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export function motoAvailable(): boolean {
  // env passed explicitly: inside a jest test process.env is the sandbox's copy, which child_process does not read.
  return spawnSync("sh", ["-c", "command -v moto_server"], { encoding: "utf8", env: process.env }).status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** One HTTP request without keep-alive (so no socket outlives the suite). Resolves with the status code. */
export function httpStatus(url: string, method = "GET"): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

async function waitReady(endpoint: string, child: ChildProcess, logFile: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(
        `moto_server exited early (code ${child.exitCode}); log: ${fs.readFileSync(logFile, "utf8").slice(-2000)}`,
      );
    try {
      if ((await httpStatus(`${endpoint}/moto-api/`)) === 200) return;
    } catch {
      /* not yet listening */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms`);
}

export async function startMoto(opts: { managedPolicies?: boolean } = {}): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const logFile = path.join(os.tmpdir(), `orgtrust-moto-${port}.log`);
  const log = fs.openSync(logFile, "w");
  const env = { ...process.env };
  delete env.MOTO_ACCOUNT_ID; // pins every request to one account and breaks AssumeRole routing
  if (opts.managedPolicies) env.MOTO_IAM_LOAD_MANAGED_POLICIES = "true";
  const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], {
    env,
    stdio: ["ignore", log, log],
    detached: false,
  });
  fs.closeSync(log);
  await waitReady(endpoint, child, logFile);
  const pid = child.pid!;
  return {
    endpoint,
    port,
    pid,
    async reset() {
      const status = await httpStatus(`${endpoint}/moto-api/reset`, "POST");
      if (status !== 200) throw new Error(`moto reset failed: HTTP ${status}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      process.kill(pid, "SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 8000)))]);
      clearTimeout(timer);
      if (child.exitCode === null) process.kill(pid, "SIGKILL");
      fs.rmSync(logFile, { force: true });
    },
  };
}

/** The moto configurations a suite can ask for; the global set-up starts one server of each per worker. */
export type MotoVariant = "plain" | "managedPolicies";
export const MOTO_VARIANTS: readonly MotoVariant[] = ["plain", "managedPolicies"];

/** A worker's server as a suite sees it: the global teardown, not the suite, stops it. */
export type WorkerMoto = Omit<MotoServer, "stop">;

/** Where the global set-up tells the workers (which inherit its environment) about their servers. */
export const WORKER_SERVERS_ENV = "ORGTRUST_TEST_MOTO_SERVERS";
/** Worker id (JEST_WORKER_ID) -> variant -> server. */
export type WorkerServers = Record<string, Record<MotoVariant, { endpoint: string; port: number; pid: number }>>;

/** POSTs a body to a moto API path (no keep-alive). Resolves with the status code. */
function httpPost(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * Turns moto's IAM identity-policy enforcement on or off (POST /moto-api/reset-auth with the number of requests left
 * unauthenticated: 0 enforces from now, inf never). Enforced, every request needs credentials moto issued (an
 * AssumeRole session or an IAM user's key) whose policies allow the action: a missing action is 403 AccessDenied.
 * The worker server's reset() turns it off again, so no suite inherits it.
 */
export async function enforceIam(endpoint: string, on: boolean): Promise<void> {
  const status = await httpPost(`${endpoint}/moto-api/reset-auth`, on ? "0" : "inf");
  if (status !== 200) throw new Error(`moto reset-auth failed: HTTP ${status}`);
}

function workerMoto(variant: MotoVariant): WorkerMoto {
  const worker = process.env.JEST_WORKER_ID ?? "1";
  const all = JSON.parse(process.env[WORKER_SERVERS_ENV] ?? "{}") as WorkerServers;
  const server = all[worker]?.[variant];
  if (!server)
    throw new Error(
      `no ${variant} moto_server for jest worker ${worker}: ${WORKER_SERVERS_ENV} is not set by test/support/global-setup.ts (run the tests with jest's config, npm test)`,
    );
  return {
    ...server,
    async reset() {
      await enforceIam(server.endpoint, false);
      const status = await httpStatus(`${server.endpoint}/moto-api/reset`, "POST");
      if (status !== 200) throw new Error(`moto reset failed: HTTP ${status}`);
    },
  };
}

const missingMessage =
  "\n*** moto_server is not on PATH: the AWS integration tests are SKIPPED. Install it with `pip install 'moto[server]'` to run them. ***\n";

/**
 * `describe` for suites that need moto: uses this worker's server (MOTO_IAM_LOAD_MANAGED_POLICIES on with
 * managedPolicies), resets it before the suite and, unless resetEachTest is false, before each test. Skipped loudly
 * when moto_server is missing (the global set-up fails the run under CI=true).
 */
export function describeWithMoto(
  name: string,
  fn: (moto: () => WorkerMoto) => void,
  opts: { managedPolicies?: boolean; resetEachTest?: boolean } = {},
): void {
  if (!motoAvailable()) {
    console.warn(missingMessage);
    describe.skip(name, () => fn(() => undefined as never));
    return;
  }
  describe(name, () => {
    const server = workerMoto(opts.managedPolicies ? "managedPolicies" : "plain");
    beforeAll(async () => {
      await server.reset();
    });
    if (opts.resetEachTest !== false) {
      beforeEach(async () => {
        await server.reset();
      });
    }
    fn(() => server);
  });
}
