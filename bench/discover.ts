/**
 * Discovery benchmark (prints figures, asserts nothing). Builds orgs in moto of a given shape, then for each:
 *  1. `orgtrust discover` through a counting proxy: calls per operation, the documented minimum and the ratio,
 *     wall time, orgtrust's own CPU time (moto dominates wall time at scale; CPU per account is ours), peak memory;
 *  2. the same through the fault proxy with 30% throttled and 5% ConcurrentModification: same snapshot? wall ratio;
 *  3. a serial baseline in the same run: one request at a time, default SDK retry, tags included, the way a simple
 *     script does it (ListAccounts, then ListParents + ListTagsForResource per account, DescribeOrganizationalUnit
 *     + ListParents per OU met): calls and wall time, and orgtrust's speed-up over it.
 *
 * Run:  npm run build && node dist/bench/discover.js [--accounts 200,1000] [--ous 30] [--depth 5] [--tags 2] [--latency 0] [--no-faults]
 *       (--accounts 5000 on request: building it in moto takes about 3 minutes; --adaptive also times the adaptive
 *       retry mode under faults at every size)
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
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
import { runMeasured } from "./measured-run";
import { startFaultProxy, type FaultProxy } from "../test/support/fault-proxy";
import { httpStatus, motoAvailable, startMoto } from "../test/support/moto";
import { buildOrg, syntheticSpec } from "../test/support/org-fixture";

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

const runDiscover = (endpoint: string, out: string, extraEnv: Record<string, string> = {}) => runMeasured(["discover", "--out", out, "--json"], endpoint, extraEnv);

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

async function main(): Promise<void> {
  if (!motoAvailable()) {
    console.error("moto_server is not on PATH: install it with pip install 'moto[server]'");
    process.exit(2);
  }
  const sizes = arg("accounts", "200,1000").split(",").map(Number);
  const depth = Number(arg("depth", "5"));
  const tags = Number(arg("tags", "2"));
  const latency = Number(arg("latency", "0"));
  const moto = await startMoto();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-bench-"));
  console.log(`# orgtrust discovery benchmark (${os.cpus().length} vCPU ${os.cpus()[0]?.model ?? ""}, Node ${process.version}, moto server)`);
  let proxy: FaultProxy | undefined;
  try {
    for (const n of sizes) {
      const ous = Number(arg("ous", String(Math.min(1000, Math.max(30, Math.round(n / 7))))));
      await moto.reset();
      await httpStatus(`${moto.endpoint}/moto-api/seed?a=42`, "POST");
      const buildStart = Date.now();
      const c = awsClients(moto.endpoint);
      await buildOrg(c, syntheticSpec({ accounts: n, ous, depth, tagsPerAccount: tags, suspendEvery: 50 }));
      c.destroy();
      console.log(`\n## ${n} accounts, ${ous} OUs, depth ${depth}, ${tags} tags per account (org built in moto in ${fmt(Date.now() - buildStart)})${latency ? `, ${latency} ms added to every request` : ""}`);

      proxy = await startFaultProxy(moto.endpoint, 1);
      // --latency adds a fixed delay to every request, as a real network round trip to AWS does (moto answers
      // from loopback in a few ms, which hides what concurrency buys).
      if (latency > 0) proxy.addRule({ rate: 1, fault: { kind: "delay", ms: latency } });
      const clean = await runDiscover(proxy.endpoint, path.join(work, `clean-${n}.json`));
      if (clean.code !== 0) throw new Error(`discover failed: ${clean.stderr}`);
      const summary = JSON.parse(clean.stdout);
      console.log("orgtrust discover:");
      for (const [op, count] of [...proxy.forwarded].sort()) console.log(`  ${op.padEnd(34)} ${count}`);
      const onWire = sum(proxy.forwarded);
      console.log(`  calls ${onWire}, minimum for this shape ${summary.calls.minimum}, ratio ${(onWire / summary.calls.minimum).toFixed(2)}`);
      console.log(`  wall ${fmt(clean.wallMs)}, orgtrust CPU ${fmt(clean.cpuMs)} (${(clean.cpuMs / n).toFixed(2)} ms per account), peak RSS ${clean.maxRssMb.toFixed(0)} MB`);
      await proxy.stop();

      // Faults: 30% throttled and 5% ConcurrentModification. Standard retry at every size; the product default
      // (adaptive, whose client-side rate limiter drops to its floor under random throttling) at 200 accounts or
      // with --adaptive, because it takes minutes at larger sizes.
      const modes = process.argv.includes("--no-faults") ? [] : n <= 200 || process.argv.includes("--adaptive") ? ["standard", "adaptive"] : ["standard"];
      for (const mode of modes) {
        proxy = await startFaultProxy(moto.endpoint, 2);
        proxy.addRule({ rate: 0.3, fault: { kind: "error", code: "TooManyRequestsException" } });
        proxy.addRule({ rate: 0.05, fault: { kind: "error", code: "ConcurrentModificationException" } });
        const file = path.join(work, `noisy-${mode}-${n}.json`);
        const noisy = await runDiscover(proxy.endpoint, file, { AWS_RETRY_MODE: mode });
        const same = noisy.code === 0 && fs.readFileSync(file, "utf8") === fs.readFileSync(path.join(work, `clean-${n}.json`), "utf8");
        console.log(`with 30% throttled + 5% ConcurrentModification, ${mode} retry (${sum(proxy.faulted)} faults injected):`);
        console.log(`  exit ${noisy.code}, same snapshot: ${same ? "yes" : "no"}, wall ${fmt(noisy.wallMs)} (${(noisy.wallMs / clean.wallMs).toFixed(1)}x the clean run)`);
        await proxy.stop();
        proxy = undefined;
      }

      proxy = await startFaultProxy(moto.endpoint, 4);
      if (latency > 0) proxy.addRule({ rate: 1, fault: { kind: "delay", ms: latency } });
      const base = await serialBaseline(proxy.endpoint);
      await proxy.stop();
      proxy = undefined;
      console.log(`serial baseline (one request at a time, ListAccounts + ListParents/Tags per account): ${base.calls} calls, wall ${fmt(base.wallMs)}`);
      console.log(`  orgtrust speed-up: ${(base.wallMs / clean.wallMs).toFixed(1)}x wall, ${(base.calls / onWire).toFixed(2)}x fewer calls`);
    }
  } finally {
    await proxy?.stop();
    await moto.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
