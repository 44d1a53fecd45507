#!/usr/bin/env node
"use strict";
// Generate benchmark: a synthetic 5,000-account org (built in memory), every built-in consumer rendered, times
// printed, then the top entries of a CPU profile of one more runGenerate (node:inspector, so the timed runs carry no
// profiler). Prints figures; asserts nothing. Needs the build: `npm run build && node bench/generate.js [accounts]`.
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const dist = path.join(__dirname, "..", "dist");
const { readConfig } = require(path.join(dist, "config", "load.js"));
const { snapshotHash } = require(path.join(dist, "org", "snapshot.js"));
const { renderIntegrations, runGenerate } = require(path.join(dist, "generate", "index.js"));

const { CONFIG, DEPTH, syntheticSnapshot } = require("./synthetic-org");
const inspector = require("node:inspector");
const { printTop } = require("./cpu-profile");

/** Runs fn under the V8 CPU profiler and returns the profile. */
async function profiled(fn) {
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (err, r) => (err ? reject(err) : resolve(r))));
  await post("Profiler.enable");
  await post("Profiler.start");
  try {
    await fn();
  } finally {
    var { profile } = await post("Profiler.stop");
    session.disconnect();
  }
  return profile;
}

async function main() {
  const t0 = process.hrtime.bigint();
  const snapshot = syntheticSnapshot();
  const hash = snapshotHash(snapshot);
  const t1 = process.hrtime.bigint();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-bench-generate-"));
  const { config, integrations } = readConfig(CONFIG, "bench.yaml", dir);
  const quiet = { info() {}, warn() {}, progress() {}, done() {} };
  const exclusions = { excludeOu: [], excludeAccount: [] };
  const ms = (a, b) => Number(b - a) / 1e6;

  console.log(
    `orgtrust generate benchmark: ${snapshot.accounts.length} accounts, ${snapshot.organizationalUnits.length} OUs (depth ${DEPTH}), snapshot sha256:${hash}`,
  );
  console.log(`  build + hash snapshot      ${ms(t0, t1).toFixed(0).padStart(7)} ms`);
  // The CLI's start-up, in a fresh process: loading dist/cli/main.js (every command registered, none run), and
  // whether that loads the AWS SDK's clients or cdktf (it should not: commands load their engines when they run).
  const startup = require("node:child_process").spawnSync(
    process.execPath,
    [
      "-e",
      `const t = process.hrtime.bigint(); require(${JSON.stringify(path.join(dist, "cli", "main.js"))}); const ms = Number(process.hrtime.bigint() - t) / 1e6;
       const f = Object.keys(require.cache); console.log(JSON.stringify({ ms, aws: f.some((x) => /@aws-sdk[\\/]client-/.test(x)), cdktf: f.some((x) => /node_modules[\\/](cdktf|@cdktf[\\/]provider-aws)[\\/]/.test(x)) }));`,
    ],
    { encoding: "utf8" },
  );
  const st = JSON.parse(startup.stdout);
  console.log(
    `  CLI start-up (load main)   ${st.ms.toFixed(0).padStart(7)} ms   loads AWS SDK clients: ${st.aws ? "yes" : "no"}, cdktf: ${st.cdktf ? "yes" : "no"}`,
  );
  let total = 0;
  let bytes = 0;
  for (const i of integrations) {
    const a = process.hrtime.bigint();
    const [r] = renderIntegrations({
      snapshot,
      snapshotHash: hash,
      integrations: [i],
      inlineSecrets: false,
      exclusions,
      log: quiet,
    });
    const b = process.hrtime.bigint();
    total += ms(a, b);
    const size = r.files.reduce((n, f) => n + Buffer.byteLength(f.content), 0);
    bytes += size;
    console.log(
      `  render ${i.name.padEnd(11)} ${ms(a, b).toFixed(0).padStart(7)} ms   ${r.scope.inScope.length} in scope, ${r.files.length} file(s), ${(size / 1024).toFixed(0)} KiB, ${r.context.collisions.length} collisions`,
    );
  }
  console.log(
    `  render all (sum)           ${total.toFixed(0).padStart(7)} ms   ${(bytes / 1024 / 1024).toFixed(1)} MiB of config`,
  );
  const a = process.hrtime.bigint();
  await runGenerate({
    loaded: { config, integrations, file: path.join(dir, "bench.yaml"), baseDir: dir },
    snapshot,
    integrations,
    outDir: path.join(dir, "out"),
    check: false,
    inlineSecrets: false,
    exclusions,
    log: quiet,
  });
  const b = process.hrtime.bigint();
  await runGenerate({
    loaded: { config, integrations, file: path.join(dir, "bench.yaml"), baseDir: dir },
    snapshot,
    integrations,
    outDir: path.join(dir, "out"),
    check: true,
    inlineSecrets: false,
    exclusions,
    log: quiet,
  });
  const c = process.hrtime.bigint();
  console.log(`  runGenerate (render+write) ${ms(a, b).toFixed(0).padStart(7)} ms`);
  console.log(`  runGenerate --check        ${ms(b, c).toFixed(0).padStart(7)} ms`);
  console.log(`  peak RSS                   ${(process.resourceUsage().maxRSS / 1024).toFixed(0).padStart(7)} MiB`);
  const profile = await profiled(() =>
    runGenerate({
      loaded: { config, file: path.join(dir, "bench.yaml"), baseDir: dir },
      snapshot,
      integrations,
      outDir: path.join(dir, "out-prof"),
      check: false,
      inlineSecrets: false,
      exclusions,
      log: quiet,
    }),
  );
  printTop("runGenerate (render+write)", profile);
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
