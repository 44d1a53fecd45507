import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCli } from "../support/cli";
import { faultSuite } from "../support/fault-suite";
import { describeWithMoto } from "../support/moto";
import { syntheticSpec } from "../support/org-fixture";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-rate-"));
const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

describeWithMoto(
  "rate control (aws/rate.ts) through the fault proxy",
  (moto) => {
    const env = faultSuite(moto, {
      spec: syntheticSpec({ accounts: 40, ous: 8, depth: 4 }),
      seed: 7,
      prefix: "orgtrust-rate-",
    });

    test("under a token bucket (20 calls/s, burst 5) few calls are throttled and the snapshot is byte-identical", async () => {
      env.proxy.setTokenBucket({ rate: 20, burst: 5 });
      const out = path.join(env.dir, "bucket.json");
      const r = await runCli(["discover", "--out", out, "--json"], { endpoint: env.proxy.endpoint });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(fs.readFileSync(out, "utf8")).toBe(env.clean);
      const served = total(env.proxy.forwarded);
      const throttled = total(env.proxy.throttled);
      expect(served).toBeGreaterThan(60);
      // The rate is learned from the throttles: a handful while it finds the bucket's rate, not a storm. (A crawl at
      // its unpaced speed against this bucket has most of its calls throttled; being slower, e.g. on a loaded
      // machine, only lowers the count.)
      expect(throttled).toBeLessThanOrEqual(Math.ceil(served * 0.15));
      // Throttles the controller saw are reported in the summary.
      expect(JSON.parse(r.stdout).calls.attempts).toBe(served + throttled);
    });

    test("--max-rate is honoured: the calls the env.proxy sees take at least (calls - 1) / max-rate seconds", async () => {
      const maxRate = 15;
      const out = path.join(env.dir, "capped.json");
      const started = Date.now();
      const r = await runCli(["discover", "--out", out, "--max-rate", String(maxRate)], {
        endpoint: env.proxy.endpoint,
      });
      const elapsed = Date.now() - started;
      expect(r.code).toBe(0);
      expect(fs.readFileSync(out, "utf8")).toBe(env.clean);
      const calls = env.proxy.arrivals.length;
      expect(calls).toBeGreaterThan(60);
      // Requests are spaced 1/max-rate apart from the process's start, so the run cannot be shorter than this
      // (a lower bound only: a loaded machine makes it longer, never shorter).
      expect(elapsed).toBeGreaterThanOrEqual(((calls - 1) / maxRate) * 1000);
      // The same from the config's organization.maxRate.
      const cfg = path.join(env.dir, "orgtrust.yaml");
      const snapshot = JSON.parse(env.clean);
      fs.writeFileSync(
        cfg,
        `version: 1\norganization:\n  managementAccountId: "${snapshot.organization.managementAccountId}"\n  homeRegion: us-east-1\n  maxRate: 20\nintegrations: {}\n`,
      );
      env.proxy.resetCounts();
      const t0 = Date.now();
      const viaConfig = await runCli(["discover", "--config", cfg, "--out", path.join(env.dir, "cfg.json")], {
        endpoint: env.proxy.endpoint,
      });
      const took = Date.now() - t0;
      expect(viaConfig.stderr).toBe("");
      expect(viaConfig.code).toBe(0);
      expect(took).toBeGreaterThanOrEqual(((env.proxy.arrivals.length - 1) / 20) * 1000);
    });

    test("30% throttled + 5% ConcurrentModification: byte-identical snapshot, no call given up", async () => {
      env.proxy.addRule({ rate: 0.3, fault: { kind: "error", code: "TooManyRequestsException" } });
      env.proxy.addRule({ rate: 0.05, fault: { kind: "error", code: "ConcurrentModificationException" } });
      const out = path.join(env.dir, "noisy.json");
      const r = await runCli(["discover", "--out", out], {
        endpoint: env.proxy.endpoint,
        env: { ORGTRUST_RETRY_BASE_MS: "20" },
      });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(total(env.proxy.faulted)).toBeGreaterThan(10);
      expect(fs.readFileSync(out, "utf8")).toBe(env.clean);
    });
  },
  { resetEachTest: false },
);

describe("--max-rate bad input", () => {
  test.each(["0", "-1", "abc", "1e9", "", "2000"])("--max-rate %p: exit 2, one line naming the flag", async (v) => {
    const r = await runCli(["discover", "--max-rate", v], { endpoint: "http://127.0.0.1:9" });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(
      /--max-rate .*must be a number of calls per second from 0\.1 to 1000 \(fix: pass e\.g\. --max-rate 10\)/,
    );
  });

  test("organization.maxRate out of range in the config: exit 2 naming the field", async () => {
    const dir = tmp();
    const cfg = path.join(dir, "orgtrust.yaml");
    fs.writeFileSync(
      cfg,
      `version: 1\norganization:\n  managementAccountId: "123456789012"\n  homeRegion: us-east-1\n  maxRate: 0\nintegrations: {}\n`,
    );
    const r = await runCli(["discover", "--config", cfg], { endpoint: "http://127.0.0.1:9" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/organization\.maxRate/);
  });
});
