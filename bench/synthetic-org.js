"use strict";
// A synthetic organization for the benchmarks: ACCOUNTS accounts over 250 OUs in chains five deep, tags on
// everything, some suspended accounts, colliding names, and a config with every consumer and a few exclusions.
const path = require("node:path");
const { canonicalize } = require(path.join(__dirname, "..", "dist", "org", "snapshot.js"));

const ACCOUNTS = Number(process.env.ORGTRUST_BENCH_ACCOUNTS || process.argv[2] || 5000);
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
      const ou = {
        id,
        name: `Unit ${i}.${d}`,
        arn: `arn:aws:organizations::${mgmt}:ou/${org}/${id}`,
        parentId: parent ? parent.id : root.id,
        path: pathEntries,
        depth: d,
        tags: { level: String(d) },
      };
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
    organization: {
      id: org,
      arn: `arn:aws:organizations::${mgmt}:organization/${org}`,
      partition: "aws",
      featureSet: "ALL",
      managementAccountId: mgmt,
      managementAccountEmail: "aws@bench.example",
    },
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
  steampipe: { consumer: steampipe, trustedPrincipal: "arn:aws:iam::999999999999:role/s", externalId: { source: value, value: bench-steampipe-0123456789 }, options: { sourceProfile: runner } }
  apono: { consumer: apono, trustedPrincipal: "arn:aws:iam::999999999999:role/a", externalId: { source: env, env: APONO_EXTERNAL_ID }, options: { connectorId: bench-connector } }
  cloudquery: { consumer: cloudquery, trustedPrincipal: "arn:aws:iam::999999999999:role/c" }
  custodian: { consumer: c7n-org, trustedPrincipal: "arn:aws:iam::999999999999:role/x", externalId: { source: value, value: bench-c7n-0123456789 } }
  awscli: { consumer: aws-cli, trustedPrincipal: "arn:aws:iam::999999999999:role/w", externalId: { source: value, value: bench-awscli-0123456789 } }
  terraform: { consumer: terraform, trustedPrincipal: "arn:aws:iam::999999999999:role/t" }
`;

module.exports = { ACCOUNTS, OUS, DEPTH, CONFIG, syntheticSnapshot };
