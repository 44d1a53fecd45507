import {
  MOTO_VARIANTS,
  motoAvailable,
  startMoto,
  WORKER_SERVERS_ENV,
  type MotoServer,
  type WorkerServers,
} from "./moto";

/** The servers the set-up started, for the teardown (same process) to stop by PID. */
export const STARTED = Symbol.for("orgtrust.test.motoServers");
type WithServers = typeof globalThis & { [STARTED]?: MotoServer[] };

/**
 * The integration project's global set-up (jest.config.js: a project option, so jest runs it only when an integration
 * suite runs; the unit and e2e projects never start moto). A missing moto_server is a loud skip locally and a failure
 * in CI. Otherwise it starts, for every jest worker (JEST_WORKER_ID 1..maxWorkers), one moto_server per configuration
 * on a free loopback port, and tells the workers where through the environment they inherit.
 */
export default async function globalSetup(globalConfig: { maxWorkers: number }): Promise<void> {
  if (!motoAvailable()) {
    const msg =
      "moto_server is not installed: the AWS integration tests cannot run (install: pip install 'moto[server]').";
    if (process.env.CI === "true") throw new Error(`${msg} CI=true, so this is a failure.`);
    console.warn(`\n\n*** ${msg} They will be SKIPPED. ***\n\n`);
    return;
  }
  const workers = Math.max(1, globalConfig.maxWorkers);
  const started: MotoServer[] = [];
  (globalThis as WithServers)[STARTED] = started;
  const servers: WorkerServers = {};
  const starting = Array.from({ length: workers }, (_, i) => String(i + 1)).flatMap((worker) =>
    MOTO_VARIANTS.map(async (variant) => {
      const server = await startMoto({ managedPolicies: variant === "managedPolicies" });
      started.push(server);
      servers[worker] = {
        ...servers[worker],
        [variant]: { endpoint: server.endpoint, port: server.port, pid: server.pid },
      };
    }),
  );
  const results = await Promise.allSettled(starting);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    // jest runs no teardown after a failed set-up: stop what did start.
    await Promise.all(started.map((s) => s.stop()));
    throw failed.reason;
  }
  process.env[WORKER_SERVERS_ENV] = JSON.stringify(servers);
}
