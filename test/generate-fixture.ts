import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * The generator's fixture org (test/fixtures/generate-org.json) and a config over it. Shared by the
 * generate*.test.ts files (not a test itself: jest only runs *.test.ts).
 *
 * Shape:  Root: Management (mgmt), Billing (excluded account)
 *         Security: Audit, Log Archive, Default (its profile name would be the reserved "default")
 *         Sandbox (excluded OU, shallow): Sandbox Alice, Sandbox Bob (also SUSPENDED)
 *         Workloads/Prod: Payments Prod + payments-prod (same slug), Search "Prod" & Co: #1 ${x} (hostile name)
 *         Workloads/Prod/Regulated (excluded OU, deep): Regulated Ledger; .../Regulated/Vault: Regulated Vault
 *         Workloads/Dev: Dev Tools, 42 Labs (slug starts with a digit), Dev Suspended, Dev Pending (PENDING_CLOSURE)
 *         Workloads/Empty: no accounts
 */
export const FIXTURE = path.join(__dirname, "fixtures", "generate-org.json");

export const IN_SCOPE = ["111111111111", "300000000001", "300000000002", "300000000003", "500000000001", "500000000002", "500000000003", "700000000001", "700000000004"];
export const OUT_OF_SCOPE = ["222222222222", "400000000001", "400000000002", "600000000001", "600000000002", "700000000002", "700000000003"];
export const INACTIVE = ["400000000002", "700000000002", "700000000003"];
export const OU = {
  security: "ou-fx01-security",
  sandbox: "ou-fx01-sandbox1",
  workloads: "ou-fx01-workload",
  prod: "ou-fx01-prod0001",
  regulated: "ou-fx01-regulatd",
  vault: "ou-fx01-vault001",
  dev: "ou-fx01-dev00001",
  empty: "ou-fx01-emptyou1",
};

/**
 * External ID values given in the config (source: value) or the environment: none may reach a file by default,
 * except in the files whose format cannot reference a variable (LITERAL_FILES).
 */
export const SECRETS = {
  cloudquery: "cq-Secret-Value-0123456789",
  custodian: "c7n-Secret-Value-0123456789",
  awscli: "cli-Secret-Value-0123456789",
  steampipe: "sp-Secret-Value-0123456789",
  terraform: "tf-Secret-Value-0123456789",
  PORT_EXT: "port-Secret-Env-0123456789",
  APONO_EXT: "apono-Secret-Env-0123456789",
  ORGTRUST_BACKSTAGE_EXTERNAL_ID: "bs-Secret-Generated-0123456789abcdef0123456789abcdef",
  ORGTRUST_PIPES_EXTERNAL_ID: "o_fixture1:Ab3dE5gH",
  ORGTRUST_STEAMPIPE_EXTERNAL_ID: "sp-Secret-Generated-0123456789abcdef0123456789abcdef",
};

/** Files that always carry their integration's external ID (AWS config files, c7n-org's accounts.yml), mode 0600. */
export const LITERAL_FILES: Record<string, string> = { "steampipe/aws-config": "steampipe", "awscli/aws-config": "awscli", "custodian/accounts.yml": "custodian" };

/** Every environment variable the fixture config reads with --inline-secrets. */
export const SECRET_ENV: Record<string, string> = {
  PORT_EXT: SECRETS.PORT_EXT,
  APONO_EXT: SECRETS.APONO_EXT,
  ORGTRUST_BACKSTAGE_EXTERNAL_ID: SECRETS.ORGTRUST_BACKSTAGE_EXTERNAL_ID,
  ORGTRUST_PIPES_EXTERNAL_ID: SECRETS.ORGTRUST_PIPES_EXTERNAL_ID,
  ORGTRUST_STEAMPIPE_EXTERNAL_ID: SECRETS.ORGTRUST_STEAMPIPE_EXTERNAL_ID,
};

export interface ConfigOptions {
  snapshot?: string;
  partition?: string;
  homeRegion?: string;
  exclusionsYaml?: string;
  /** Extra integrations (YAML, indented by 2 under integrations:). */
  extraIntegrations?: string;
  /** Replace the integrations entirely. */
  integrationsYaml?: string;
}

export const DEFAULT_EXCLUSIONS = `exclusions:
  organizationalUnits: [${OU.sandbox}, ${OU.regulated}]
  accounts: ["222222222222"]
  skipInactiveAccounts: true`;

/** Turbot Pipes, in the aws partition only (Pipes cannot assume roles in aws-us-gov / aws-cn: refused there). */
const PIPES = `  pipes:
    consumer: turbot-pipes
    externalId: { source: generate, prefix: o_fixture1 }
    options: { organizationHandle: acme }
`;

export function allIntegrations(partition = "aws"): string {
  const p = (role: string) => `arn:${partition}:iam::999999999999:role/${role}`;
  return `  backstage:
    consumer: backstage
    trustedPrincipal: ${p("backstage")}
    externalId: { source: generate }
  port:
    consumer: port-ocean
    trustedPrincipal: ${p("port")}
    externalId: { source: env, env: PORT_EXT }
${partition === "aws" ? PIPES : ""}  steampipe:
    consumer: steampipe
    trustedPrincipal: ${p("steampipe")}
    externalId: { source: value, value: ${SECRETS.steampipe} }
    options: { sourceProfile: runner }
  apono:
    consumer: apono
    trustedPrincipal: ${p("apono")}
    externalId: { source: env, env: APONO_EXT }
    options: { connectorId: fixture-connector }
  cloudquery:
    consumer: cloudquery
    trustedPrincipal: ${p("cloudquery")}
    externalId: { source: value, value: ${SECRETS.cloudquery} }
    regions: [us-east-1, eu-west-1]
  custodian:
    consumer: c7n-org
    trustedPrincipal: ${p("custodian")}
    externalId: { source: value, value: ${SECRETS.custodian} }
    regions: [us-east-1, eu-west-1]
  awscli:
    consumer: aws-cli
    trustedPrincipal: ${p("awscli")}
    externalId: { source: value, value: ${SECRETS.awscli} }
    options: { sourceProfile: platform }
  terraform:
    consumer: terraform
    trustedPrincipal: ${p("terraform")}
    externalId: { source: value, value: ${SECRETS.terraform} }
`;
}

export function configText(o: ConfigOptions = {}): string {
  return `version: 1
organization:
  managementAccountId: "111111111111"
  partition: ${o.partition ?? "aws"}
  homeRegion: ${o.homeRegion ?? "us-east-1"}
snapshot: ${JSON.stringify(o.snapshot ?? FIXTURE)}
${o.exclusionsYaml ?? DEFAULT_EXCLUSIONS}
integrations:
${o.integrationsYaml ?? allIntegrations(o.partition)}${o.extraIntegrations ?? ""}`;
}

export function tmpDir(prefix = "orgtrust-generate-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Writes orgtrust.yaml into a fresh folder; returns the folder and the config path. */
export function writeConfig(o: ConfigOptions = {}, dir = tmpDir()): { dir: string; config: string } {
  const config = path.join(dir, "orgtrust.yaml");
  fs.writeFileSync(config, configText(o));
  return { dir, config };
}

/** Reads every file under a folder: relative path -> content. */
export function readTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(root, p)] = fs.readFileSync(p, "utf8");
    }
  };
  if (fs.existsSync(root)) walk(root);
  return out;
}

/** The fixture snapshot moved to another partition (ARNs rewritten), written to `file`. */
export function writePartitionSnapshot(file: string, partition: string): void {
  const text = fs.readFileSync(FIXTURE, "utf8").replace(/arn:aws:/g, `arn:${partition}:`);
  const data = JSON.parse(text);
  data.organization.partition = partition;
  fs.writeFileSync(file, JSON.stringify(data, null, 2));
}
