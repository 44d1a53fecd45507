import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { awsClients, type AwsClients } from "./aws-clients";
import { runCli } from "./cli";
import { startFaultProxy, type FaultProxy } from "./fault-proxy";
import type { WorkerMoto } from "./moto";
import { buildOrg, type BuiltOrg, type OrgSpec } from "./org-fixture";

/** What a fault-proxy suite shares: filled in by its hooks, read by its tests. */
export interface FaultSuite {
  /** This test's proxy in front of the suite's moto (a new one per test, stopped after it). */
  proxy: FaultProxy;
  /** The suite's scratch folder. */
  dir: string;
  /** The org in moto. */
  org: BuiltOrg;
  /** The snapshot a clean crawl (no proxy) wrote: what every crawl through faults must reproduce byte for byte. */
  clean: string;
}

/**
 * The set-up the discovery-under-faults suites share (call it inside describeWithMoto): build `spec` in moto (plus
 * `extra` set-up), crawl it once without faults for the reference snapshot, and put a fresh fault proxy (seeded) in
 * front of moto for each test.
 */
export function faultSuite(
  moto: () => WorkerMoto,
  opts: { spec: OrgSpec; seed: number; prefix: string; extra?: (c: AwsClients) => Promise<void> },
): FaultSuite {
  const s = {} as FaultSuite;
  beforeAll(async () => {
    const c = awsClients(moto().endpoint);
    try {
      s.org = await buildOrg(c, opts.spec);
      await opts.extra?.(c);
    } finally {
      c.destroy();
    }
    s.dir = fs.mkdtempSync(path.join(os.tmpdir(), opts.prefix));
    const r = await runCli(["discover", "--out", path.join(s.dir, "clean.json")], { endpoint: moto().endpoint });
    if (r.code !== 0) throw new Error(`the clean crawl exited ${r.code}: ${r.stderr}`);
    s.clean = fs.readFileSync(path.join(s.dir, "clean.json"), "utf8");
  });
  beforeEach(async () => {
    s.proxy = await startFaultProxy(moto().endpoint, opts.seed);
  });
  afterEach(async () => {
    await s.proxy.stop();
  });
  return s;
}
