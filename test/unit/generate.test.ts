import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseHcl } from "@cdktf/hcl2json";
import { ConfigReader } from "@backstage/config";
import { DefaultAwsCredentialsManager } from "@backstage/integration-aws-node";
import Ajv from "ajv";
import * as ini from "ini";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { selectIntegrations } from "../../config/resolve";
import type { Logger } from "../../common/log";
import { loadConfig } from "../../config/load";
import { APONO_ORG_INTEGRATION, renderIntegrations, runGenerate, type GenerateResult } from "../../generate";
import { computeScope } from "../../org/scope";
import { loadSnapshot } from "../../org/snapshot";
import {
  IN_SCOPE,
  LITERAL_FILES,
  OU,
  OUT_OF_SCOPE,
  SECRETS,
  readTree,
  tmpDir,
  writeConfig,
  writePartitionSnapshot,
} from "../fixtures/generate";

function capture(): { log: Logger; warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, log: { info() {}, warn: (m) => void warnings.push(m), progress() {}, done() {} } };
}

async function generate(
  config: string,
  outDir: string,
  extra: { check?: boolean; inlineSecrets?: boolean; names?: string[] } = {},
) {
  const loaded = loadConfig(config);
  const snapshot = loadSnapshot(path.resolve(loaded.baseDir, loaded.config.snapshot!));
  const { log, warnings } = capture();
  const result = await runGenerate({
    loaded,
    snapshot,
    integrations: selectIntegrations(loaded, extra.names ?? []),
    outDir,
    check: !!extra.check,
    inlineSecrets: !!extra.inlineSecrets,
    log,
  });
  return { result, warnings, loaded };
}

const EXCLUDED_NAMES = [
  "Billing",
  "Sandbox Alice",
  "Sandbox Bob",
  "Regulated Vault",
  "Regulated Ledger",
  "Dev Suspended",
  "Dev Pending",
];
const arn = (id: string, role: string, p = "aws") => `arn:${p}:iam::${id}:role/${role}`;
const hclObjectBody = async (expr: string): Promise<any> => {
  // hcl2json leaves jsonencode({...}) unevaluated: parse the object's body as HCL attributes.
  const m = /^\$\{jsonencode\(\{([\s\S]*)\}\)\}$/.exec(expr);
  if (!m) throw new Error(`not a jsonencode({...}) expression: ${expr.slice(0, 60)}`);
  return parseHcl("config.tf", m[1]);
};

let out: string;
let files: Record<string, string>;
let first: GenerateResult;
let firstWarnings: string[];
let configFile: string;

beforeAll(async () => {
  // Environment-sourced values are set: they must still not be read into files without --inline-secrets.
  for (const k of ["PORT_EXT", "APONO_EXT"] as const) process.env[k] = SECRETS[k];
  const w = writeConfig();
  configFile = w.config;
  out = path.join(w.dir, "out");
  const r = await generate(configFile, out);
  first = r.result;
  firstWarnings = r.warnings;
  files = readTree(out);
});

afterAll(() => {
  delete process.env.PORT_EXT;
  delete process.env.APONO_EXT;
});

describe("the fixture scope", () => {
  test("computeScope agrees with the fixture's expectations (shallow and deep OU exclusions, account, inactive)", () => {
    const loaded = loadConfig(configFile);
    const snapshot = loadSnapshot(path.resolve(loaded.baseDir, loaded.config.snapshot!));
    const scope = computeScope(snapshot, {
      organizationalUnits: [OU.sandbox, OU.regulated],
      accounts: ["222222222222"],
      skipInactiveAccounts: true,
      managementAccount: false,
    });
    expect(scope.inScope.map((a) => a.id)).toEqual(IN_SCOPE);
    expect(scope.excluded.map((e) => e.account.id)).toEqual(OUT_OF_SCOPE);
  });
});

describe("generate over the fixture org", () => {
  test("writes every consumer's files, reports the result and the collisions", () => {
    expect(Object.keys(files).sort()).toEqual(
      [
        "apono/apono.tf",
        "awscli/aws-config",
        "backstage/app-config.yaml",
        "backstage/aws-accounts.yaml",
        "cloudquery/aws.yml",
        "custodian/accounts.yml",
        "pipes/pipes.tf",
        "port/.env",
        "port/values.yaml",
        "steampipe/aws-config",
        "steampipe/aws.spc",
        "terraform/providers.tf",
      ].sort(),
    );
    expect(first.check).toBe(false);
    expect(first.wrote).toBe(true);
    expect(first.files.every((f) => f.status === "created")).toBe(true);
    expect(first.integrations.find((i) => i.name === "backstage")).toMatchObject({
      consumer: "backstage",
      inScope: 9,
      excluded: 7,
    });
    // The two "payments prod" accounts collide in every identifier kind that derives from names.
    const kinds = first.collisions
      .filter((c) => c.items.map((i) => i.key).join() === "500000000001,500000000002")
      .map((c) => `${c.integration}:${c.kind}`);
    expect(kinds.sort()).toEqual(
      [
        "awscli:AWS profile name",
        "backstage:Backstage entity name",
        "custodian:c7n-org account name",
        "steampipe:AWS profile name",
        "steampipe:Steampipe connection name",
        "terraform:Terraform provider alias",
      ].sort(),
    );
    // The account named "Default" would take the reserved profile name "default".
    expect(first.collisions).toContainEqual(
      expect.objectContaining({ integration: "awscli", identifier: "default", reserved: true }),
    );
    expect(firstWarnings.filter((w) => w.includes("suffixed with the ID")).length).toBe(first.collisions.length);
    expect(firstWarnings.join("\n")).toContain('"payments-prod" is derived from 2 names');
  });

  test("every file starts with the orgtrust header naming the snapshot hash; no time, no external ID values", () => {
    for (const [name, text] of Object.entries(files)) {
      expect(text.startsWith(`# Generated by orgtrust for integration "${name.split("/")[0]}"`)).toBe(true);
      expect(text).toContain(`Org snapshot sha256:${first.snapshotHash} (organization o-fixture0001)`);
      expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
      // Only the files whose format cannot reference a variable carry their own integration's value.
      const own = LITERAL_FILES[name] ? SECRETS[LITERAL_FILES[name] as keyof typeof SECRETS] : undefined;
      for (const secret of Object.values(SECRETS)) if (secret !== own) expect(text).not.toContain(secret);
      expect(text.endsWith("\n") && !text.endsWith("\n\n")).toBe(true);
    }
  });

  test("excluded and inactive accounts are absent wherever accounts are listed", () => {
    const listing = [
      "awscli/aws-config",
      "backstage/aws-accounts.yaml",
      "custodian/accounts.yml",
      "port/.env",
      "port/values.yaml",
      "steampipe/aws-config",
      "steampipe/aws.spc",
      "terraform/providers.tf",
    ];
    for (const f of listing) {
      for (const id of OUT_OF_SCOPE) expect(`${f}: ${files[f].includes(id)}`).toBe(`${f}: false`);
      for (const n of EXCLUDED_NAMES) expect(`${f}: ${files[f].includes(n)}`).toBe(`${f}: false`);
    }
  });

  test("backstage: app-config loads with Backstage's own config reader and credential manager", async () => {
    const app = parseYaml(files["backstage/app-config.yaml"]);
    expect(app.aws.accountDefaults).toEqual({
      roleName: "backstage-org-readonly",
      externalId: "${ORGTRUST_BACKSTAGE_EXTERNAL_ID}",
    });
    // No aws.accounts: the management account resolves to the member role like every other (test/integration/backstage.test.ts).
    expect(app.aws.accounts).toBeUndefined();
    // Exclusions exist, so static entities replace the processor; the file location is an entry to $include.
    expect(app.catalog).toBeUndefined();
    expect(app.orgtrust.backstage).toEqual({
      catalogLocation: { type: "file", target: "./aws-accounts.yaml", rules: [{ allow: ["Resource"] }] },
    });

    const config = ConfigReader.fromConfigs([{ data: app, context: "app-config.yaml" }]);
    const manager = DefaultAwsCredentialsManager.fromConfig(config);
    for (const id of ["300000000001", "500000000003", "111111111111"]) {
      const provider = await manager.getCredentialProvider({ accountId: id });
      expect(provider.accountId).toBe(id);
      expect(typeof provider.sdkCredentialProvider).toBe("function");
    }
  });

  test("backstage: static catalog entities carry the aws-org annotations, unique valid names and owners from the tag", () => {
    const docs = parseAllDocuments(files["backstage/aws-accounts.yaml"]);
    const entities = (Array.isArray(docs) ? docs : [docs]).map((d) => d.toJS());
    expect(entities.map((e) => e.metadata.annotations["amazonaws.com/account-id"])).toEqual(IN_SCOPE);
    const names = entities.map((e) => e.metadata.name);
    expect(new Set(names).size).toBe(names.length);
    for (const e of entities) {
      expect(e).toMatchObject({
        apiVersion: "backstage.io/v1alpha1",
        kind: "Resource",
        spec: { type: "cloud-account" },
        metadata: { namespace: "default" },
      });
      // Backstage's entity name rule.
      expect(e.metadata.name).toMatch(/^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/);
      expect(e.metadata.name.length).toBeLessThanOrEqual(63);
      const id = e.metadata.annotations["amazonaws.com/account-id"];
      expect(e.metadata.annotations["amazonaws.com/arn"]).toBe(
        `arn:aws:organizations::111111111111:account/o-fixture0001/${id}`,
      );
      expect(e.metadata.annotations["amazonaws.com/organization-id"]).toBe("o-fixture0001");
      expect(e.metadata.annotations["amazonaws.com/account-email"]).toBe(`aws+${id}@fixture.example`);
      expect(e.metadata.labels["amazonaws.com/account-status"]).toBe("active");
    }
    const byId = Object.fromEntries(entities.map((e) => [e.metadata.annotations["amazonaws.com/account-id"], e]));
    expect(byId["500000000001"].metadata.name).toBe("payments-prod-500000000001");
    expect(byId["500000000002"].metadata.name).toBe("payments-prod-500000000002");
    expect(byId["500000000001"].spec.owner).toBe("payments");
    expect(byId["300000000003"].spec.owner).toBe("unknown");
    expect(byId["500000000003"].metadata.title).toBe('Search "Prod" & Co: #1 ${x}');
  });

  test("port-ocean: .env and Helm values; an inexact OU cover becomes an explicit accountRoleArns list", () => {
    const env = Object.fromEntries(
      files["port/.env"]
        .split("\n")
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    expect(Object.keys(env).sort()).toEqual([
      "OCEAN__INTEGRATION__CONFIG__ACCOUNT_ROLE_ARNS",
      "OCEAN__INTEGRATION__CONFIG__AWS_PARTITION",
      "OCEAN__INTEGRATION__CONFIG__EXTERNAL_ID",
    ]);
    expect(env.OCEAN__INTEGRATION__CONFIG__EXTERNAL_ID).toBe("${PORT_EXT}");
    expect(env.OCEAN__INTEGRATION__CONFIG__AWS_PARTITION).toBe("aws");
    const arns = JSON.parse(env.OCEAN__INTEGRATION__CONFIG__ACCOUNT_ROLE_ARNS.replace(/^'|'$/g, ""));
    expect(arns).toEqual(IN_SCOPE.map((id) => arn(id, "PortOceanReadRole")));
    const values = parseYaml(files["port/values.yaml"]);
    expect(values.integration).toMatchObject({ identifier: "port", type: "aws-v3" });
    expect(JSON.parse(values.integration.config.accountRoleArns)).toEqual(arns);
    expect(values.integration.config.awsPartition).toBe("aws");
    expect(values.integration.secrets).toBeUndefined();
    expect(files["port/values.yaml"]).toContain('--set-string integration.secrets.externalId="${PORT_EXT}"');
    expect(files["port/.env"]).toContain("sit beside excluded ones");
  });

  test("port-ocean: an exact OU cover becomes ouId with the discovery role as accountRoleArn", async () => {
    const w = writeConfig({
      exclusionsYaml: `exclusions:\n  organizationalUnits: [${OU.sandbox}]\n  accounts: ["222222222222"]`,
      integrationsYaml: `  port:\n    consumer: port-ocean\n    trustedPrincipal: arn:aws:iam::999999999999:role/port\n    externalId: { source: env, env: PORT_EXT }\n    exclusions: { managementAccount: true }\n`,
    });
    await generate(w.config, path.join(w.dir, "out"));
    const env = fs.readFileSync(path.join(w.dir, "out", "port", ".env"), "utf8");
    expect(env).toContain(`OCEAN__INTEGRATION__CONFIG__ACCOUNT_ROLE_ARN=${arn("111111111111", "PortOceanReadRole")}\n`);
    expect(env).toContain(`OCEAN__INTEGRATION__CONFIG__OU_ID=${[OU.security, OU.workloads].sort().join(",")}\n`);
    expect(env).not.toContain("ACCOUNT_ROLE_ARNS");
    const values = parseYaml(fs.readFileSync(path.join(w.dir, "out", "port", "values.yaml"), "utf8"));
    expect(values.integration.config).toEqual({
      accountRoleArn: arn("111111111111", "PortOceanReadRole"),
      ouId: [OU.security, OU.workloads].sort().join(","),
      awsPartition: "aws",
    });
  });

  test("turbot-pipes: Terraform parses, config holds the role fields and a sensitive external ID variable", async () => {
    const tf: any = await parseHcl("pipes.tf", files["pipes/pipes.tf"]);
    expect(tf.variable.orgtrust_pipes_external_id[0]).toMatchObject({ sensitive: true, type: "${string}" });
    const r = tf.resource.pipes_organization_integration.pipes[0];
    expect(r).toMatchObject({ organization: "acme", handle: "pipes", type: "aws" });
    // Write-only config (never in state) with its version (terraform-provider-pipes: config_wo RequiredWith config_wo_version).
    expect(r.config).toBeUndefined();
    expect(Number.isInteger(r.config_wo_version) && r.config_wo_version > 0).toBe(true);
    const config = await hclObjectBody(r.config_wo);
    expect(config).toEqual({
      discovery_mode: "role",
      discovery_role_arn: arn("111111111111", "turbot_pipes_discovery"),
      discovery_role_name: "turbot_pipes_discovery",
      discovery_external_id: "${var.orgtrust_pipes_external_id}",
      role_name: "turbot_pipes_connection",
      external_id: "${var.orgtrust_pipes_external_id}",
      handle_prefix: "aws_",
      regions: ["*"],
      permitted_external_id_identifiers: ["o_fixture1"],
      permissions: [],
    });
    expect(files["pipes/pipes.tf"]).toContain("the roles enforce the exclusions");
  });

  test("steampipe: aws.spc has one connection per in-scope account, the aws aggregator and one aggregator per OU", async () => {
    const spc: any = await parseHcl("aws.spc", files["steampipe/aws.spc"]);
    const conns: Record<string, any> = Object.fromEntries(
      Object.entries(spc.connection).map(([k, v]) => [k, (v as any[])[0]]),
    );
    const accounts = Object.entries(conns).filter(([, c]) => c.type !== "aggregator");
    const aggregators = Object.fromEntries(Object.entries(conns).filter(([, c]) => c.type === "aggregator"));
    for (const [name] of Object.entries(conns)) expect(name).toMatch(/^[a-z][a-z0-9_]*$/);
    expect(accounts.length).toBe(IN_SCOPE.length);
    expect(new Set(accounts.map(([, c]) => c.profile)).size).toBe(IN_SCOPE.length);
    expect(conns.aws_payments_prod_500000000001).toBeDefined();
    expect(conns.aws_payments_prod_500000000002).toBeDefined();
    expect(conns.aws_42_labs).toBeDefined();
    expect(aggregators.aws.connections.sort()).toEqual(accounts.map(([n]) => n).sort());
    // One aggregator per OU holding in-scope accounts: not for excluded OUs (Sandbox, Regulated, Vault) or Empty.
    expect(Object.keys(aggregators).sort()).toEqual([
      "aws",
      "aws_ou_security",
      "aws_ou_workloads",
      "aws_ou_workloads_dev",
      "aws_ou_workloads_prod",
    ]);
    expect(aggregators.aws_ou_workloads_prod.connections).toEqual([
      "aws_payments_prod_500000000001",
      "aws_payments_prod_500000000002",
      "aws_search_prod_co_1_x",
    ]);
    expect(aggregators.aws_ou_workloads.connections.sort()).toEqual(
      [...aggregators.aws_ou_workloads_prod.connections, ...aggregators.aws_ou_workloads_dev.connections].sort(),
    );
    for (const [, c] of accounts) expect(c).toMatchObject({ plugin: "aws", regions: ["*"] });

    const profiles = ini.parse(files["steampipe/aws-config"]);
    const byProfile = Object.fromEntries(accounts.map(([, c]) => [c.profile, c]));
    expect(Object.keys(profiles).sort()).toEqual(
      Object.keys(byProfile)
        .map((p) => `profile ${p}`)
        .sort(),
    );
    const roleArns = Object.values(profiles).map((p: any) => p.role_arn);
    expect(roleArns.sort()).toEqual(IN_SCOPE.map((id) => arn(id, "steampipe-readonly")).sort());
    for (const p of Object.values<any>(profiles)) {
      expect(p).toEqual({
        role_arn: expect.any(String),
        source_profile: "runner",
        external_id: SECRETS.steampipe,
        role_session_name: "steampipe",
        region: "us-east-1",
      });
    }
    expect(files["steampipe/aws-config"]).toContain(
      "external_id is written into each profile: the AWS config file cannot reference an environment variable",
    );
    expect(files["steampipe/aws-config"]).toContain("AWS does not treat the external ID as a secret");
  });

  test("apono: Terraform parses; integration_config keys come from the one marked mapping; the header says to confirm them", async () => {
    const tf: any = await parseHcl("apono.tf", files["apono/apono.tf"]);
    const r = tf.resource.apono_resource_integration.apono[0];
    const k = APONO_ORG_INTEGRATION.keys;
    expect(r).toMatchObject({
      type: "aws-organization",
      connector_id: "fixture-connector",
      connected_resource_types: ["aws-organization-account"],
    });
    expect(r.integration_config).toEqual({
      [k.region]: "us-east-1",
      [k.managementAccountRoleArn]: arn("111111111111", "apono-org-discovery"),
      [k.excludedOrganizationalUnitIds]: [OU.regulated, OU.sandbox].sort().join(","),
      // Accounts out of scope that no excluded OU already covers: the excluded account and the inactive ones.
      [k.excludedAccountIds]: ["222222222222", "700000000002", "700000000003"].join(","),
    });
    expect(files["apono/apono.tf"]).toContain("!! UNVERIFIED:");
    expect(files["apono/apono.tf"]).toContain('the member role "apono-readonly"');
    expect(files["apono/apono.tf"]).toContain('"View as Code"');
  });

  test("cloudquery: a valid AWS source spec in org mode (root OU, skips, ${VAR} external IDs)", () => {
    const spec = parseYaml(files["cloudquery/aws.yml"]);
    const account = {
      type: "object",
      additionalProperties: false,
      required: ["id"],
      properties: {
        id: { type: "string", minLength: 1 },
        account_name: { type: "string" },
        local_profile: { type: "string" },
        role_arn: { type: "string", pattern: "^(arn(:[^:\\n]*){5}([:/].*)?)?$" },
        role_session_name: { type: "string" },
        external_id: { type: "string" },
        default_region: { type: "string", minLength: 1 },
        regions: { type: "array", items: { type: "string" } },
      },
    };
    const ouList = {
      type: "array",
      items: { type: "string", pattern: "^((ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})|(r-[0-9a-z]{4,32}))$" },
    };
    // The org block of CloudQuery's AWS source spec (plugins/source/aws/client/spec: Org and Account).
    const schema = {
      type: "object",
      required: ["kind", "spec"],
      properties: {
        kind: { const: "source" },
        spec: {
          type: "object",
          required: ["name", "path", "version", "tables", "destinations", "spec"],
          properties: {
            path: { const: "cloudquery/aws" },
            spec: {
              type: "object",
              properties: {
                org: {
                  type: "object",
                  additionalProperties: false,
                  required: ["member_role_name"],
                  properties: {
                    admin_account: account,
                    member_trusted_principal: account,
                    member_role_name: { type: "string", minLength: 1 },
                    member_role_session_name: { type: "string" },
                    member_external_id: { type: "string" },
                    member_regions: { type: "array", items: { type: "string" } },
                    organization_units: ouList,
                    skip_organization_units: ouList,
                    skip_member_accounts: { type: "array", items: { type: "string" } },
                  },
                },
              },
            },
          },
        },
      },
    };
    const validate = new Ajv({ allErrors: true }).compile(schema);
    expect(validate(spec) ? [] : validate.errors).toEqual([]);
    expect(spec.spec.spec.org).toEqual({
      admin_account: {
        id: "111111111111",
        role_arn: arn("111111111111", "cloudquery-org-discovery"),
        external_id: "${ORGTRUST_CLOUDQUERY_EXTERNAL_ID}",
      },
      member_role_name: "cloudquery-readonly",
      // The runner's own credentials assume the member roles (they trust only it, not the discovery role).
      member_trusted_principal: { id: "999999999999" },
      member_external_id: "${ORGTRUST_CLOUDQUERY_EXTERNAL_ID}",
      member_regions: ["us-east-1", "eu-west-1"],
      organization_units: ["r-fx01"],
      skip_organization_units: [OU.regulated, OU.sandbox].sort(),
      skip_member_accounts: ["222222222222", "700000000002", "700000000003"],
    });
  });

  test("c7n-org: accounts.yml matches c7n-org's account schema, with OU path tags, account tags and vars", () => {
    const doc = parseYaml(files["custodian/accounts.yml"]);
    // c7n_org/cli.py CONFIG_SCHEMA, the account definition.
    const schema = {
      type: "object",
      additionalProperties: false,
      required: ["accounts"],
      properties: {
        accounts: {
          type: "array",
          items: {
            type: "object",
            anyOf: [{ required: ["role", "account_id"] }, { required: ["profile", "account_id"] }],
            properties: {
              name: { type: "string" },
              display_name: { type: "string" },
              org_id: { type: "string" },
              email: { type: "string" },
              account_id: { type: "string", pattern: "^[0-9]{12}$", minLength: 12, maxLength: 12 },
              tags: { type: "array", items: { type: "string" } },
              regions: { type: "array", items: { type: "string" } },
              role: { type: "string", minLength: 3 },
              external_id: { type: "string" },
              vars: { type: "object" },
            },
          },
        },
      },
    };
    const validate = new Ajv({ allErrors: true }).compile(schema);
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
    expect(doc.accounts.map((a: any) => a.account_id)).toEqual(IN_SCOPE);
    const names = doc.accounts.map((a: any) => a.name);
    expect(new Set(names).size).toBe(names.length);
    for (const a of doc.accounts) {
      expect(a.role).toBe(arn(a.account_id, "c7n-org-readonly"));
      expect(a.org_id).toBe("o-fixture0001");
      expect(a.regions).toEqual(["us-east-1", "eu-west-1"]);
      expect(a.external_id).toBe(SECRETS.custodian);
    }
    const search = doc.accounts.find((a: any) => a.account_id === "500000000003");
    expect(search.display_name).toBe('Search "Prod" & Co: #1 ${x}');
    expect(search.tags).toEqual(["path:/Workloads", "path:/Workloads/Prod", "note:a: b #c, [d]", "owner:search"]);
    expect(search.vars).toEqual({ note: "a: b #c, [d]", owner: "search" });
    expect(doc.accounts.find((a: any) => a.account_id === "300000000003").vars).toEqual({});
    expect(files["custodian/accounts.yml"]).toContain("external_id is written per account");
  });

  test("aws-cli: one profile per in-scope account; the reserved names default and the source profile are never used", () => {
    const profiles = ini.parse(files["awscli/aws-config"]);
    const entries = Object.entries<any>(profiles);
    expect(entries.map(([, p]) => p.role_arn).sort()).toEqual(
      IN_SCOPE.map((id) => arn(id, "orgtrust-awscli-readonly")).sort(),
    );
    const names = entries.map(([k]) => k.replace(/^profile /, ""));
    expect(names).not.toContain("default");
    expect(names).not.toContain("platform");
    expect(names).toContain("default-300000000003");
    expect(names).toContain("42-labs");
    for (const [, p] of entries)
      expect(p).toEqual({
        role_arn: expect.any(String),
        source_profile: "platform",
        external_id: SECRETS.awscli,
        role_session_name: "orgtrust-awscli",
        region: "us-east-1",
      });
  });

  test("terraform: one aliased aws provider per in-scope account assuming the member role with var.<external id>", async () => {
    const tf: any = await parseHcl("providers.tf", files["terraform/providers.tf"]);
    expect(tf.variable.orgtrust_terraform_external_id[0]).toMatchObject({ sensitive: true });
    const providers = tf.provider.aws as any[];
    expect(providers.length).toBe(IN_SCOPE.length);
    const aliases = providers.map((p) => p.alias);
    expect(new Set(aliases).size).toBe(aliases.length);
    for (const a of aliases) expect(a).toMatch(/^[a-z_][a-z0-9_]*$/);
    expect(aliases).toContain("account_42_labs");
    expect(providers.map((p) => p.assume_role[0].role_arn).sort()).toEqual(
      IN_SCOPE.map((id) => arn(id, "orgtrust-terraform-readonly")).sort(),
    );
    for (const p of providers) {
      expect(p.region).toBe("us-east-1");
      expect(p.assume_role[0]).toMatchObject({
        external_id: "${var.orgtrust_terraform_external_id}",
        session_name: "orgtrust-terraform",
      });
    }
  });

  test("a second run changes nothing, and check mode reports every file unchanged", async () => {
    const again = await generate(configFile, out);
    expect(again.result.wrote).toBe(false);
    expect(again.result.files.every((f) => f.status === "unchanged")).toBe(true);
    expect(readTree(out)).toEqual(files);
    const check = await generate(configFile, out, { check: true });
    expect(check.result.differences).toBe(0);
  });
});

describe("the contexts of integrations that share one scope", () => {
  // What the snapshot and scope give is computed once and shared between the contexts: what belongs to one
  // integration (its member role ARNs, its consumer's names and extra values) must not leak into another's.
  test("each context has its own accounts, member role ARNs, names and extra values; shared OUs carry no other consumer's names", () => {
    const loaded = loadConfig(configFile);
    const snapshot = loadSnapshot(path.resolve(loaded.baseDir, loaded.config.snapshot!));
    const rendered = renderIntegrations({
      snapshot,
      integrations: selectIntegrations(loaded, []),
      inlineSecrets: false,
      log: capture().log,
    });
    expect(new Set(rendered.map((r) => r.scope)).size).toBe(1);
    const ctx = Object.fromEntries(rendered.map((r) => [r.integration.name, r.context]));
    for (const r of rendered) {
      expect(r.context.accounts.map((a) => a.id)).toEqual(IN_SCOPE);
      for (const a of r.context.accounts) expect(a.memberRoleArn).toBe(arn(a.id, r.integration.memberRole.name));
    }
    const nameKinds = (name: string) => [...new Set(ctx[name].accounts.flatMap((a) => Object.keys(a.names)))].sort();
    const extraKinds = (name: string) => [...new Set(ctx[name].accounts.flatMap((a) => Object.keys(a.extra)))].sort();
    expect(nameKinds("steampipe")).toEqual(["connection", "profile"]);
    expect(nameKinds("awscli")).toEqual(["profile"]);
    expect(nameKinds("terraform")).toEqual(["alias"]);
    expect(nameKinds("custodian")).toEqual(["account"]);
    expect(nameKinds("backstage")).toEqual(["entity"]);
    for (const name of ["port", "pipes", "apono", "cloudquery"]) expect(nameKinds(name)).toEqual([]);
    expect(extraKinds("backstage")).toEqual(["owner"]);
    expect(extraKinds("custodian")).toEqual(["tags"]);
    for (const name of ["steampipe", "awscli", "terraform", "port", "pipes", "apono", "cloudquery"])
      expect(extraKinds(name)).toEqual([]);
    // Two consumers that both name profiles keep their own names (steampipe snake_case, aws-cli kebab-case).
    const payments = (name: string) => ctx[name].accounts.find((a) => a.id === "500000000001")!.names.profile;
    expect(payments("steampipe")).toMatch(/^[a-z0-9_]+$/);
    expect(payments("awscli")).toMatch(/^[a-z0-9-]+$/);
    expect(ctx.steampipe.ous.some((o) => o.names.aggregator)).toBe(true);
    for (const r of rendered)
      if (r.integration.name !== "steampipe") for (const o of r.context.ous) expect(o.names).toEqual({});
  });
});

describe("generate options and partitions", () => {
  test("GovCloud: ARNs use the partition; Backstage sets partition and STS region", async () => {
    const dir = tmpDir();
    const snap = path.join(dir, "org.json");
    writePartitionSnapshot(snap, "aws-us-gov");
    const w = writeConfig({ snapshot: snap, partition: "aws-us-gov", homeRegion: "us-gov-west-1" }, dir);
    const r = await generate(w.config, path.join(dir, "out"), { names: ["backstage", "terraform", "cloudquery"] });
    const read = (f: string) => fs.readFileSync(path.join(dir, "out", f), "utf8");
    const app = parseYaml(read("backstage/app-config.yaml"));
    expect(app.aws.accountDefaults).toMatchObject({ partition: "aws-us-gov", region: "us-gov-west-1" });
    expect(app.aws.accounts).toBeUndefined();
    const tf: any = await parseHcl("providers.tf", read("terraform/providers.tf"));
    for (const p of tf.provider.aws)
      expect(p.assume_role[0].role_arn).toMatch(/^arn:aws-us-gov:iam::\d{12}:role\/orgtrust-terraform-readonly$/);
    expect(parseYaml(read("cloudquery/aws.yml")).spec.spec.org.admin_account).toMatchObject({
      role_arn: arn("111111111111", "cloudquery-org-discovery", "aws-us-gov"),
      default_region: "us-gov-west-1",
    });
    expect(r.result.files.length).toBe(4);
  });

  test("role paths reach every ARN and Backstage's roleName", async () => {
    const w = writeConfig({
      integrationsYaml:
        "  backstage:\n    consumer: backstage\n    trustedPrincipal: arn:aws:iam::999999999999:role/b\n    memberRole: { path: /orgtrust/ }\n  terraform:\n    consumer: terraform\n    trustedPrincipal: arn:aws:iam::999999999999:role/t\n    memberRole: { path: /orgtrust/ }\n",
    });
    await generate(w.config, path.join(w.dir, "out"));
    const app = parseYaml(fs.readFileSync(path.join(w.dir, "out", "backstage", "app-config.yaml"), "utf8"));
    expect(app.aws.accountDefaults.roleName).toBe("orgtrust/backstage-org-readonly");
    const tf: any = await parseHcl(
      "p.tf",
      fs.readFileSync(path.join(w.dir, "out", "terraform", "providers.tf"), "utf8"),
    );
    expect(tf.provider.aws[0].assume_role[0].role_arn).toBe(arn(IN_SCOPE[0], "orgtrust/orgtrust-terraform-readonly"));
  });

  test("--integration selects integrations; output is the same whatever the order accounts and OUs are listed in", async () => {
    const a = await generate(configFile, path.join(tmpDir(), "out"), { names: ["steampipe", "awscli"] });
    expect(a.result.integrations.map((i) => i.name)).toEqual(["steampipe", "awscli"]);
    const shuffled = tmpDir();
    const data = JSON.parse(fs.readFileSync(loadConfig(configFile).config.snapshot!, "utf8"));
    data.accounts.reverse();
    data.organizationalUnits.reverse();
    fs.writeFileSync(path.join(shuffled, "org.json"), JSON.stringify(data));
    const w = writeConfig({ snapshot: path.join(shuffled, "org.json") }, shuffled);
    const b = await generate(w.config, path.join(shuffled, "out"), { names: ["steampipe", "awscli"] });
    expect(b.result.files.length).toBe(3);
    for (const f of b.result.files) {
      const rel = path.relative(path.join(shuffled, "out"), f.path);
      expect(fs.readFileSync(f.path, "utf8")).toBe(files[rel]);
    }
  });

  test("turbot-pipes with a tenant handle uses pipes_tenant_integration (no organization argument)", async () => {
    const w = writeConfig({
      integrationsYaml:
        "  pipes:\n    consumer: turbot-pipes\n    externalId: { source: generate, prefix: o_x }\n    options: { tenantHandle: acme-tenant, handlePrefix: org_ }\n",
    });
    await generate(w.config, path.join(w.dir, "out"));
    const tf: any = await parseHcl("pipes.tf", fs.readFileSync(path.join(w.dir, "out", "pipes", "pipes.tf"), "utf8"));
    const r = tf.resource.pipes_tenant_integration.pipes[0];
    expect(r.organization).toBeUndefined();
    expect((await hclObjectBody(r.config_wo)).handle_prefix).toBe("org_");
  });

  test("a custom template whose YAML output does not parse is refused, naming the template", async () => {
    const w = writeConfig({
      integrationsYaml:
        "  inv:\n    consumer: inv.hbs\n    trustedPrincipal: arn:aws:iam::999999999999:role/i\n    output: { file: inv.yaml }\n",
    });
    fs.writeFileSync(path.join(w.dir, "inv.hbs"), 'accounts:\n{{#each accounts}}\n  - "{{name}}"\n{{/each}}\n');
    await expect(generate(w.config, path.join(w.dir, "out"))).rejects.toThrow(
      /template .*inv\.hbs: its output inv\.yaml is not valid YAML: .* \(fix: quote values with \{\{yaml \.\.\.\}\}\)/,
    );
    expect(fs.existsSync(path.join(w.dir, "out"))).toBe(false);
  });

  test("turbot-pipes needs an organization or tenant handle (exit 2, nothing written)", async () => {
    const w = writeConfig({
      integrationsYaml: "  pipes:\n    consumer: turbot-pipes\n    externalId: { source: generate, prefix: o_x }\n",
    });
    await expect(generate(w.config, path.join(w.dir, "out"))).rejects.toThrow(
      /set organizationHandle .* or tenantHandle/,
    );
    expect(fs.existsSync(path.join(w.dir, "out"))).toBe(false);
  });
});
