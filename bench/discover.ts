/**
 * Discovery benchmark (prints figures, asserts nothing). Builds an org in moto (default 1,000 accounts), then runs
 * `orgtrust discover` through a loopback proxy in three models of AWS, side by side in one run so machine speed
 * cancels out of the ratios:
 *  A. 50 ms added to every answer (a real round trip): orgtrust against a serial crawl (one request at a time, the
 *     SDK's default retry, ListAccounts then ListParents + ListTagsForResource per account and
 *     DescribeOrganizationalUnit + ListParents per OU, the way a simple script does it) and against the physical
 *     limit calls x RTT / concurrency, where RTT is the added 50 ms plus moto's own answer time (measured by the
 *     clean run), and never below the clean run;
 *  B. a token bucket of 20 calls/s, burst 5 (a service quota): against the physical limit calls / 20;
 *  C. 30% of calls throttled + 5% ConcurrentModificationException at random, no latency: against the same proxy
 *     without faults (the floor is about 1 / (1 - 0.35) = 1.5x).
 * For each: wall time, calls (logical, and HTTP attempts), throttled calls, same snapshot as the clean run, and
 * orgtrust's own CPU per account; then the SDK floor (a bare SDK client making the clean run's number of calls,
 * bench/sdk-floor.js) and the top 10 functions by self time of a CPU profile of the clean run.
 *
 * Run:  npm run build && node dist/bench/discover.js [--accounts 1000] [--ous 100] [--depth 5] [--tags 2]
 *       [--models A,B,C] [--sdk-modes] (also times the SDK's standard and adaptive retry modes in model C)
 *       [--keep-profile <file>] (keeps the clean run's .cpuprofile, e.g. for Chrome DevTools)
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  DescribeOrganizationalUnitCommand,
  ListAccountsCommand,
  ListParentsCommand,
  ListTagsForResourceCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { awsClients, TEST_CREDENTIALS } from "../test/support/aws-clients";
import { benchEnv, runMeasured, topSelfTime } from "./measured-run";
import { startFaultProxy, type FaultProxy } from "../test/support/fault-proxy";
import { httpStatus, motoAvailable, startMoto } from "../test/support/moto";
import { buildOrg, syntheticSpec } from "../test/support/org-fixture";

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

const runDiscover = (endpoint: string, out: string, extraEnv: Record<string, string> = {}) =>
  runMeasured(["discover", "--out", out, "--json"], endpoint, extraEnv);

/** What a simple script does: serial, default retry, DescribeOrganizationalUnit + ListParents to rebuild paths. */
async function serialBaseline(endpoint: string): Promise<{ calls: number; wallMs: number; accounts: number }> {
  const client = new OrganizationsClient({ region: "us-east-1", endpoint, credentials: TEST_CREDENTIALS });
  let calls = 0;
  const started = Date.now();
  const accounts: string[] = [];
  let token: string | undefined;
  do {
    const out = await client.send(new ListAccountsCommand({ MaxResults: 20, NextToken: token }));
    calls++;
    accounts.push(...(out.Accounts ?? []).map((a) => a.Id!));
    token = out.NextToken;
  } while (token);
  const ouSeen = new Map<string, string>();
  for (const id of accounts) {
    await client.send(new ListTagsForResourceCommand({ ResourceId: id }));
    calls++;
    let child = id;
    for (;;) {
      const p = await client.send(new ListParentsCommand({ ChildId: child }));
      calls++;
      const parent = p.Parents?.[0];
      if (!parent || parent.Type === "ROOT" || ouSeen.has(parent.Id!)) break;
      const d = await client.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: parent.Id! }));
      calls++;
      ouSeen.set(parent.Id!, d.OrganizationalUnit?.Name ?? "");
      child = parent.Id!;
    }
  }
  client.destroy();
  return { calls, wallMs: Date.now() - started, accounts: accounts.length };
}

const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

interface ModelRun {
  name: string;
  wallMs: number;
  cpuMs: number;
  calls: number;
  attempts: number;
  throttled: number;
  same: boolean;
  reference: string;
  referenceMs: number;
  ratio: number;
  goal: string;
}

/** Runs bench/sdk-floor.js in a child (same credentials-free environment as the measured runs). */
function sdkFloor(
  endpoint: string,
  calls: number,
  concurrency: number,
): Promise<{ calls: number; cpuMs: number } | undefined> {
  return new Promise((resolve) => {
    const env = benchEnv(endpoint);
    execFile(
      process.execPath,
      [path.join(__dirname, "..", "..", "bench", "sdk-floor.js"), endpoint, String(calls), String(concurrency)],
      { env, cwd: path.join(__dirname, "..", "..") },
      (err, stdout, stderr) => {
        if (err) {
          console.log(`  SDK floor: failed: ${stderr.trim() || err.message}`);
          resolve(undefined);
        } else resolve(JSON.parse(stdout) as { calls: number; cpuMs: number });
      },
    );
  });
}

async function main(): Promise<void> {
  if (!motoAvailable()) {
    console.error("moto_server is not on PATH: install it with pip install 'moto[server]'");
    process.exit(2);
  }
  const n = Number(arg("accounts", "1000"));
  const ous = Number(arg("ous", String(Math.min(1000, Math.max(30, Math.round(n / 10))))));
  const depth = Number(arg("depth", "5"));
  const tags = Number(arg("tags", "2"));
  const models = arg("models", "A,B,C").split(",");
  const concurrency = 4;
  const moto = await startMoto();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-bench-"));
  console.log(
    `# orgtrust discovery benchmark (${os.cpus().length} vCPU ${os.cpus()[0]?.model ?? ""}, load average ${os.loadavg()[0].toFixed(1)}, Node ${process.version}, moto server)`,
  );
  let proxy: FaultProxy | undefined;
  const withProxy = async <T>(
    seed: number,
    setup: (p: FaultProxy) => void,
    fn: (p: FaultProxy) => Promise<T>,
  ): Promise<T> => {
    proxy = await startFaultProxy(moto.endpoint, seed);
    setup(proxy);
    try {
      return await fn(proxy);
    } finally {
      await proxy.stop();
      proxy = undefined;
    }
  };
  const discover = async (name: string, p: FaultProxy, env: Record<string, string> = {}) => {
    const file = path.join(work, `${name}.json`);
    const r = await runDiscover(p.endpoint, file, env);
    if (r.code !== 0) console.log(`  ${name}: exit ${r.code}: ${r.stderr.trim()}`);
    const summary =
      r.code === 0
        ? (JSON.parse(r.stdout) as {
            calls: { total: number; attempts: number; minimum: number; byOperation: Record<string, number> };
          })
        : undefined;
    return { ...r, file, summary, throttled: sum(p.throttled) + (p.faulted.get("") ?? 0) };
  };
  try {
    await moto.reset();
    await httpStatus(`${moto.endpoint}/moto-api/seed?a=42`, "POST");
    const buildStart = Date.now();
    const c = awsClients(moto.endpoint);
    await buildOrg(c, syntheticSpec({ accounts: n, ous, depth, tagsPerAccount: tags, suspendEvery: 50 }));
    c.destroy();
    console.log(
      `\n## ${n} accounts, ${ous} OUs, depth ${depth}, ${tags} tags per account (org built in moto in ${fmt(Date.now() - buildStart)})`,
    );

    // The clean run: the proxy without faults or latency.
    const clean = await withProxy(
      1,
      () => {},
      (p) => discover("clean", p),
    );
    if (!clean.summary) throw new Error("the clean run failed");
    const cleanSnapshot = fs.readFileSync(clean.file, "utf8");
    const minimum: number = clean.summary.calls.minimum;
    console.log(
      `clean run: ${clean.summary.calls.total} calls (minimum for this shape ${minimum}, ratio ${(clean.summary.calls.total / minimum).toFixed(2)}), wall ${fmt(clean.wallMs)}, orgtrust CPU ${fmt(clean.cpuMs)} (${(clean.cpuMs / n).toFixed(2)} ms per account), peak RSS ${clean.maxRssMb.toFixed(0)} MB`,
    );
    for (const [op, count] of Object.entries(clean.summary.calls.byOperation))
      console.log(`  ${op.padEnd(34)} ${count}`);

    const rows: ModelRun[] = [];
    const row = (
      name: string,
      r: Awaited<ReturnType<typeof discover>>,
      faults: number,
      reference: string,
      referenceMs: number,
      goal: string,
    ) =>
      rows.push({
        name,
        wallMs: r.wallMs,
        cpuMs: r.cpuMs,
        calls: r.summary?.calls.total ?? 0,
        attempts: r.summary?.calls.attempts ?? 0,
        throttled: faults,
        same: r.code === 0 && fs.readFileSync(r.file, "utf8") === cleanSnapshot,
        reference,
        referenceMs,
        ratio: r.wallMs / referenceMs,
        goal,
      });

    if (models.includes("A")) {
      const rtt = 50;
      const delay = (p: FaultProxy) => p.addRule({ rate: 1, fault: { kind: "delay", ms: rtt } });
      const a = await withProxy(2, delay, (p) => discover("latency", p));
      const serial = await withProxy(3, delay, (p) => serialBaseline(p.endpoint));
      // The round trip is the added 50 ms plus moto's own answer time (the clean run's wall / calls: moto answers one
      // request at a time), so the limit is calls x (50 ms + moto's time) / concurrency, and never below the clean run.
      const service = clean.wallMs / clean.summary.calls.total;
      const limit = Math.max((minimum * (rtt + service)) / concurrency, clean.wallMs);
      row(
        `A. ${rtt} ms round trip`,
        a,
        0,
        `physical limit calls x (${rtt} + ${service.toFixed(1)} ms moto) / ${concurrency} ${fmt(limit)}`,
        limit,
        "<= 1.2x",
      );
      console.log(
        `A: serial crawl ${base(serial)}: ${fmt(serial.wallMs)} for ${serial.calls} calls = ${(serial.wallMs / a.wallMs).toFixed(1)}x orgtrust's wall time; calls x RTT / concurrency = ${fmt((minimum * rtt) / concurrency)}`,
      );
    }
    if (models.includes("B")) {
      const b = await withProxy(
        4,
        (p) => p.setTokenBucket({ rate: 20, burst: 5 }),
        async (p) => {
          const r = await discover("bucket", p);
          return { ...r, throttled: sum(p.throttled) };
        },
      );
      row(
        "B. token bucket 20 calls/s, burst 5",
        b,
        b.throttled,
        `physical limit calls / 20 ${fmt((minimum / 20) * 1000)}`,
        (minimum / 20) * 1000,
        "<= 1.10x, throttled <= 2%",
      );
    }
    if (models.includes("C")) {
      const modes = process.argv.includes("--sdk-modes") ? ["orgtrust", "standard", "adaptive"] : ["orgtrust"];
      for (const mode of modes) {
        const faults = (p: FaultProxy) => {
          p.addRule({ rate: 0.3, fault: { kind: "error", code: "TooManyRequestsException" } });
          p.addRule({ rate: 0.05, fault: { kind: "error", code: "ConcurrentModificationException" } });
        };
        const r = await withProxy(5, faults, async (p) => {
          const out = await discover(`noisy-${mode}`, p, mode === "orgtrust" ? {} : { AWS_RETRY_MODE: mode });
          return { ...out, throttled: sum(p.faulted) };
        });
        row(
          `C. 30% throttled + 5% CME${mode === "orgtrust" ? "" : ` (SDK ${mode} mode)`}`,
          r,
          r.throttled,
          `clean run ${fmt(clean.wallMs)}`,
          clean.wallMs,
          "<= 2x",
        );
      }
    }

    console.log(
      "\n| model | orgtrust wall | reference | ratio | goal | calls (HTTP attempts) | throttled / faults | same snapshot | CPU per account |",
    );
    console.log("|---|---|---|---|---|---|---|---|---|");
    for (const r of rows) {
      const share = r.attempts ? ` (${((r.throttled / r.attempts) * 100).toFixed(1)}% of attempts)` : "";
      console.log(
        `| ${r.name} | ${fmt(r.wallMs)} | ${r.reference} | ${r.ratio.toFixed(2)}x | ${r.goal} | ${r.calls} (${r.attempts}) | ${r.throttled}${share} | ${r.same ? "yes" : "NO"} | ${(r.cpuMs / n).toFixed(2)} ms |`,
      );
    }
    console.log(
      `| clean run (no faults, no latency) | ${fmt(clean.wallMs)} | | | | ${clean.summary.calls.total} (${clean.summary.calls.attempts}) | 0 | yes | ${(clean.cpuMs / n).toFixed(2)} ms |`,
    );

    // The floor: a bare SDK client (no orgtrust code) making the clean run's number of calls through the same proxy,
    // measured the same way (start-up included). orgtrust's CPU per account can go no lower than this.
    const floor = await withProxy(
      1,
      () => {},
      (p) => sdkFloor(p.endpoint, clean.summary!.calls.total, concurrency),
    );
    if (floor) {
      console.log(
        `\nSDK floor: a bare @aws-sdk/client-organizations client making the same ${floor.calls} calls (${concurrency} at a time, start-up included): CPU ${fmt(floor.cpuMs)} = ${(floor.cpuMs / n).toFixed(2)} ms per account (${(floor.cpuMs / floor.calls).toFixed(2)} ms per call); orgtrust's clean run ${(clean.cpuMs / n).toFixed(2)} ms per account = ${(clean.cpuMs / floor.cpuMs).toFixed(2)}x the floor`,
      );
    }

    // Where orgtrust's CPU goes: the clean run once more under node --cpu-prof (a run of its own: the profiler's
    // overhead stays out of the figures above).
    const profDir = path.join(work, "cpu-prof");
    fs.mkdirSync(profDir);
    const profiled = await withProxy(
      1,
      () => {},
      (p) => runMeasured(["discover", "--out", path.join(work, "profiled.json"), "--json"], p.endpoint, {}, profDir),
    );
    const profile = fs.readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
    if (profiled.code === 0 && profile) {
      console.log(
        `\nCPU profile of the clean run (node --cpu-prof; ${fmt(profiled.cpuMs)} CPU with the profiler on), top 10 by self time:`,
      );
      console.log("\n| function | self time | share |\n|---|---|---|");
      const keep = arg("keep-profile", "");
      if (keep) fs.copyFileSync(path.join(profDir, profile), keep);
      for (const [label, ms, share] of topSelfTime(path.join(profDir, profile), 10))
        console.log(`| ${label.replace(/\|/g, "\\|")} | ${ms.toFixed(0)} ms | ${(share * 100).toFixed(1)}% |`);
    }
  } finally {
    await proxy?.stop();
    await moto.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

const base = (s: { accounts: number }) => `(${s.accounts} accounts, one request at a time)`;

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
