#!/usr/bin/env node
"use strict";
// Synth and generate benchmark through the CLI: `orgtrust synth`, `orgtrust synth --hcl` and `orgtrust generate`
// on the bundled example and on a synthetic 5,000-account snapshot with exclusions. Prints wall time, orgtrust's
// CPU time and peak memory for each, and for the synthetic org the top entries of a CPU profile of `synth` and
// `generate` (a second run under node --cpu-prof, so the timed runs carry no profiler); asserts nothing. Each row is
// the median of ORGTRUST_BENCH_RUNS runs (default 5), each into a fresh output folder, with the fastest beside it.
// Run: npm run build && node bench/synth.js [accounts]
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { CONFIG, syntheticSnapshot } = require("./synthetic-org");
const { serializeSnapshot } = require(path.join(__dirname, "..", "dist", "org", "snapshot.js"));
const { printTop, readProfileDir } = require("./cpu-profile");

const REPO = path.join(__dirname, "..");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-bench-synth-"));
// synth never reads external-ID variables (env sources become Terraform variables); generate needs a generated one
// only for a consumer whose format cannot reference a variable (aws-cli): a stand-in, as `orgtrust example` does.
const env = { ...process.env, CI: "true" };
for (const name of [
  "awscli",
  "custodian",
  "steampipe",
  "backstage",
  "cloudquery",
  "terraform",
  "pipes",
  "port",
  "apono",
])
  env[`ORGTRUST_${name.toUpperCase()}_EXTERNAL_ID`] ??= `bench-only-${name}-external-id`;

function measure(args, profileDir) {
  const usage = path.join(work, "usage.json");
  const started = process.hrtime.bigint();
  const prof = profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : [];
  const r = spawnSync(process.execPath, [...prof, path.join(__dirname, "measure-child.js"), ...args], {
    cwd: REPO,
    env: { ...env, ORGTRUST_BENCH_USAGE: usage },
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`orgtrust ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return { wallMs, ...JSON.parse(fs.readFileSync(usage, "utf8")) };
}

// Each row is the median (by wall time) of RUNS runs, with the fastest beside it: one run of a command varies by up to
// 2x on a shared 2-vCPU machine. ORGTRUST_BENCH_RUNS=1 for a quick look.
const RUNS = Math.max(1, Number(process.env.ORGTRUST_BENCH_RUNS || 5));
function measureMedian(args) {
  // A fresh output folder for each run ("{run}" in an argument), so every run writes what the first one did.
  const runs = Array.from({ length: RUNS }, (_, n) => measure(args.map((a) => a.replace("{run}", String(n))))).sort(
    (a, b) => a.wallMs - b.wallMs,
  );
  return { ...runs[Math.floor((RUNS - 1) / 2)], minWallMs: runs[0].wallMs };
}

function row(label, m, targetMs) {
  const target =
    targetMs === undefined ? "" : `   target ${targetMs / 1000} s: ${m.wallMs <= targetMs ? "met" : "MISSED"}`;
  const fastest = RUNS > 1 ? ` (fastest ${(m.minWallMs / 1000).toFixed(2)} s)` : "";
  const loads = m.heavy
    ? `   loads AWS SDK clients: ${m.heavy.awsSdk ? "yes" : "no"}, cdktf: ${m.heavy.cdktf ? "yes" : "no"}`
    : "";
  console.log(
    `  ${label.padEnd(34)} wall ${(m.wallMs / 1000).toFixed(2).padStart(6)} s${fastest}   CPU ${(m.cpuMs / 1000).toFixed(2).padStart(6)} s   peak RSS ${m.maxRssMb.toFixed(0).padStart(5)} MB${target}${loads}`,
  );
}

const snapshot = syntheticSnapshot();
fs.writeFileSync(path.join(work, "org.json"), serializeSnapshot(snapshot));
fs.writeFileSync(path.join(work, "orgtrust.yaml"), CONFIG);
const example = path.join(REPO, "examples", "orgtrust.yaml");
console.log(
  `# orgtrust synth/generate benchmark (${os.cpus().length} vCPU ${os.cpus()[0] ? os.cpus()[0].model : ""}, Node ${process.version})`,
);
// Issue 3 asks for each synth of the example in under 3 s; the example rows say whether that target is met. Issue 14
// asks for generate of the synthetic org in under 1 s; its row says whether that is met.
for (const [label, cfg, snap, synthTargetMs] of [
  ["example (30 accounts, 9 integrations)", example, path.join(REPO, "examples", "org.json"), 3000],
  [
    `synthetic (${snapshot.accounts.length} accounts, ${snapshot.organizationalUnits.length} OUs, 9 integrations)`,
    path.join(work, "orgtrust.yaml"),
    path.join(work, "org.json"),
    undefined,
  ],
]) {
  console.log(`\n${label}`);
  row(
    "orgtrust synth",
    measureMedian(["synth", "--config", cfg, "--snapshot", snap, "--out", path.join(work, "synth-{run}")]),
    synthTargetMs,
  );
  row(
    "orgtrust synth --hcl",
    measureMedian(["synth", "--hcl", "--config", cfg, "--snapshot", snap, "--out", path.join(work, "hcl-{run}")]),
    synthTargetMs,
  );
  row(
    "orgtrust generate (all consumers)",
    measureMedian(["generate", "--config", cfg, "--snapshot", snap, "--out", path.join(work, "gen-{run}")]),
    synthTargetMs === undefined ? 1000 : undefined,
  );
  row(
    "orgtrust generate --check",
    measureMedian(["generate", "--check", "--config", cfg, "--snapshot", snap, "--out", path.join(work, "gen-0")]),
  );
  if (synthTargetMs !== undefined) continue;
  for (const [what, args] of [
    ["orgtrust synth", ["synth", "--config", cfg, "--snapshot", snap, "--out", path.join(work, "synth-prof")]],
    ["orgtrust generate", ["generate", "--config", cfg, "--snapshot", snap, "--out", path.join(work, "gen-prof")]],
  ]) {
    const dir = fs.mkdtempSync(path.join(work, "prof-"));
    measure(args, dir);
    printTop(what, readProfileDir(dir));
  }
}
fs.rmSync(work, { recursive: true, force: true });
