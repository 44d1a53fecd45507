#!/usr/bin/env node
"use strict";
// Generate benchmark: a synthetic 5,000-account org (built in memory), every built-in consumer rendered, times
// printed. Prints figures; asserts nothing. Needs the build: `npm run build && node bench/generate.js [accounts]`.
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const dist = path.join(__dirname, "..", "dist");
const { parseConfig } = require(path.join(dist, "config", "load.js"));
const { resolveAll } = require(path.join(dist, "config", "resolve.js"));
const { canonicalize, snapshotHash } = require(path.join(dist, "org", "snapshot.js"));
const { renderIntegrations, runGenerate } = require(path.join(dist, "generate", "index.js"));

const ACCOUNTS = Number(process.argv[2] || 5000);
const OUS = 250;
const DEPTH = 5;

function pad(n, w) {
  return String(n).padStart(w, "0");
}

/** An org of ACCOUNTS accounts over OUS OUs in chains DEPTH deep, tags on everything, some suspended. */
function syntheticSnapshot() {
  const org = "o-bench00001";
  const mgmt = "100000000000";
  const root = { id: "r-bnch", name: "Root" };
  const ous = [];
  for (let i = 0; ous.length < OUS; i++) {
    let parent = null;
    for (let d = 1; d <= DEPTH && ous.length < OUS; d++) {
      const id = `ou-bnch-${pad(ous.length, 8)}`;
      const pathEntries = parent ? [...parent.path, { id: parent.id, name: parent.name }] : [root];
      const ou = { id, name: `Unit ${i}.${d}`, arn: `arn:aws:organizations::${mgmt}:ou/${org}/${id}`, parentId: parent ? parent.id : root.id, path: pathEntries, depth: d, tags: { level: String(d) } };
      ous.push(ou);
      parent = ou;
    }
  }
  const accounts = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    const id = i === 0 ? mgmt : pad(200000000000 + i, 12);
    const parent = i === 0 || i % 10 === 9 ? null : ous[i % ous.length];
    const pathEntries = parent ? [...parent.path, { id: parent.id, name: parent.name }] : [root];
    // Every 100th name repeats another's, so identifiers collide as they do in real orgs.
    const twin = i % 100 === 0 ? i - 1 : i;
    const name = i === 0 ? "Management" : `Team ${twin} ${["Prod", "Staging", "Dev"][twin % 3]}`;
    accounts.push({
      id,
      name,
      email: `aws+${id}@bench.example`,
      arn: `arn:aws:organizations::${mgmt}:account/${org}/${id}`,
      state: i % 97 === 96 ? "SUSPENDED" : "ACTIVE",
      parentId: parent ? parent.id : root.id,
      path: pathEntries,
      tags: { owner: `team-${i % 40}`, "cost-center": `cc-${i % 7}` },
      joinedTimestamp: null,
      joinedMethod: "CREATED",
      isManagementAccount: i === 0,
    });
  }
  return canonicalize({
    schemaVersion: 1,
    organization: { id: org, arn: `arn:aws:organizations::${mgmt}:organization/${org}`, partition: "aws", featureSet: "ALL", managementAccountId: mgmt, managementAccountEmail: "aws@bench.example" },
    root: { id: root.id, name: root.name, arn: `arn:aws:organizations::${mgmt}:root/${org}/${root.id}`, tags: {} },
    tagsIncluded: true,
    organizationalUnits: ous,
    accounts,
  });
}

const CONFIG = `version: 1
organization: { managementAccountId: "100000000000", partition: aws, homeRegion: us-east-1 }
exclusions:
  organizationalUnits: [ou-bnch-00000003, ou-bnch-00000010]
  accounts: ["200000000013"]
integrations:
  backstage: { consumer: backstage, trustedPrincipal: "arn:aws:iam::999999999999:role/b" }
  port: { consumer: port-ocean, trustedPrincipal: "arn:aws:iam::999999999999:role/p", externalId: { source: env, env: PORT_EXTERNAL_ID } }
  pipes: { consumer: turbot-pipes, externalId: { source: generate, prefix: o_bench }, options: { organizationHandle: bench } }
  steampipe: { consumer: steampipe, trustedPrincipal: "arn:aws:iam::999999999999:role/s", options: { sourceProfile: runner } }
  apono: { consumer: apono, trustedPrincipal: "arn:aws:iam::999999999999:role/a", externalId: { source: env, env: APONO_EXTERNAL_ID } }
  cloudquery: { consumer: cloudquery, trustedPrincipal: "arn:aws:iam::999999999999:role/c" }
  custodian: { consumer: c7n-org, trustedPrincipal: "arn:aws:iam::999999999999:role/x" }
  awscli: { consumer: aws-cli, trustedPrincipal: "arn:aws:iam::999999999999:role/w" }
  terraform: { consumer: terraform, trustedPrincipal: "arn:aws:iam::999999999999:role/t" }
`;

async function main() {
  const t0 = process.hrtime.bigint();
  const snapshot = syntheticSnapshot();
  const hash = snapshotHash(snapshot);
  const t1 = process.hrtime.bigint();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-bench-generate-"));
  const config = parseConfig(CONFIG, "bench.yaml", dir);
  const integrations = resolveAll(config, dir, "bench.yaml");
  const quiet = { info() {}, warn() {}, progress() {}, done() {} };
  const cli = { excludeOu: [], excludeAccount: [] };
  const ms = (a, b) => Number(b - a) / 1e6;

  console.log(`orgtrust generate benchmark: ${snapshot.accounts.length} accounts, ${snapshot.organizationalUnits.length} OUs (depth ${DEPTH}), snapshot sha256:${hash}`);
  console.log(`  build + hash snapshot      ${ms(t0, t1).toFixed(0).padStart(7)} ms`);
  let total = 0;
  let bytes = 0;
  for (const i of integrations) {
    const a = process.hrtime.bigint();
    const [r] = renderIntegrations({ snapshot, snapshotHash: hash, integrations: [i], inlineSecrets: false, cli, log: quiet });
    const b = process.hrtime.bigint();
    total += ms(a, b);
    const size = r.files.reduce((n, f) => n + Buffer.byteLength(f.content), 0);
    bytes += size;
    console.log(
      `  render ${i.name.padEnd(11)} ${ms(a, b).toFixed(0).padStart(7)} ms   ${r.scope.inScope.length} in scope, ${r.files.length} file(s), ${(size / 1024).toFixed(0)} KiB, ${r.context.collisions.length} collisions`,
    );
  }
  console.log(`  render all (sum)           ${total.toFixed(0).padStart(7)} ms   ${(bytes / 1024 / 1024).toFixed(1)} MiB of config`);
  const a = process.hrtime.bigint();
  await runGenerate({ loaded: { config, file: path.join(dir, "bench.yaml"), baseDir: dir }, snapshot, integrations, outDir: path.join(dir, "out"), check: false, inlineSecrets: false, cli, log: quiet });
  const b = process.hrtime.bigint();
  await runGenerate({ loaded: { config, file: path.join(dir, "bench.yaml"), baseDir: dir }, snapshot, integrations, outDir: path.join(dir, "out"), check: true, inlineSecrets: false, cli, log: quiet });
  const c = process.hrtime.bigint();
  console.log(`  runGenerate (render+write) ${ms(a, b).toFixed(0).padStart(7)} ms`);
  console.log(`  runGenerate --check        ${ms(b, c).toFixed(0).padStart(7)} ms`);
  console.log(`  peak RSS                   ${(process.resourceUsage().maxRSS / 1024).toFixed(0).padStart(7)} MiB`);
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
