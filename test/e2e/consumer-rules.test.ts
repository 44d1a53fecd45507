import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseHcl } from "@cdktf/hcl2json";
import { parse as parseYaml } from "yaml";
import { PIPES_EXTERNAL_ID_RE } from "../../config/resolve";
import { pipesHandle } from "../../generate/consumers";
import { runCli } from "../support/cli";
import { readTree, tmpDir, writeConfig, writePartitionSnapshot } from "../fixtures/generate";

/**
 * The loader rules of the consumers whose code is not on npm (c7n-org, Port Ocean, CloudQuery, Turbot Pipes,
 * Steampipe), encoded here from their sources and applied to `orgtrust generate` output. Each rule names the file
 * and commit it follows (docs/consumers.md "Per-consumer sources"); the code below is ours.
 */

const EXAMPLE_ENV = {
  ORGTRUST_AWSCLI_EXTERNAL_ID: "awscli-example-0123456789",
  ORGTRUST_CUSTODIAN_EXTERNAL_ID: "c7n-example-0123456789",
  ORGTRUST_STEAMPIPE_EXTERNAL_ID: "sp-example-0123456789",
};

let example: Record<string, string>;
let exampleDir: string;

beforeAll(async () => {
  exampleDir = tmpDir();
  const r = await runCli(["generate", "--config", "examples/orgtrust.yaml", "--out", exampleDir], { env: EXAMPLE_ENV });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  example = readTree(exampleDir);
}, 60_000);

/** Runs a Python check with PyYAML (what c7n-org loads accounts.yml with); prints JSON. */
function python(code: string, file: string): any {
  const r = spawnSync("python3", ["-c", code, file], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe("c7n-org (cloud-custodian tools/c7n_org/c7n_org/cli.py, 3bfdfe76)", () => {
  // CONFIG_SCHEMA: accounts[] items need account_id (^[0-9]{12}$) and role (string, minLength 3) or profile;
  // external_id, email, name, display_name, org_id are strings, tags and regions arrays of strings, vars an object.
  // init() loads the file with yaml.safe_load; resolve_regions() expands "all" through ec2:DescribeRegions in us-east-1.
  const CHECK = `
import sys, json, re, yaml
doc = yaml.safe_load(open(sys.argv[1]))
errors = []
if set(doc) - {"accounts", "vars"}: errors.append("top-level keys %s" % sorted(doc))
for a in doc["accounts"]:
    if not (isinstance(a.get("account_id"), str) and re.match(r"^[0-9]{12}$", a["account_id"])): errors.append("account_id %r" % a.get("account_id"))
    if not (isinstance(a.get("role"), str) and len(a["role"]) >= 3): errors.append("role %r" % a.get("role"))
    for k in ("external_id", "email", "name", "display_name", "org_id"):
        if k in a and not isinstance(a[k], str): errors.append("%s not a string" % k)
    for k in ("tags", "regions"):
        if not (isinstance(a.get(k), list) and all(isinstance(x, str) for x in a[k])): errors.append("%s %r" % (k, a.get(k)))
    if not isinstance(a.get("vars"), dict): errors.append("vars")
print(json.dumps({"errors": errors, "accounts": doc["accounts"]}))
`;

  test("the example's accounts.yml passes c7n-org's account schema, read with PyYAML, external_id in every account", () => {
    const r = python(CHECK, path.join(exampleDir, "custodian", "accounts.yml"));
    expect(r.errors).toEqual([]);
    expect(r.accounts.length).toBeGreaterThan(0);
    for (const a of r.accounts) expect(a.external_id).toBe(EXAMPLE_ENV.ORGTRUST_CUSTODIAN_EXTERNAL_ID);
  });

  test.each([
    ["aws", ["all"]],
    ["aws-us-gov", ["us-gov-east-1", "us-gov-west-1"]],
    ["aws-cn", ["cn-north-1", "cn-northwest-1"]],
  ])(
    'regions ["*"] in %s: %j ("all" resolves through us-east-1, which only the aws partition has)',
    async (partition, regions) => {
      const homeRegion = { aws: "us-east-1", "aws-us-gov": "us-gov-west-1", "aws-cn": "cn-northwest-1" }[partition]!;
      const dir = tmpDir();
      let snapshot: string | undefined;
      if (partition !== "aws") writePartitionSnapshot((snapshot = path.join(dir, "org.json")), partition);
      const w = writeConfig(
        {
          partition,
          homeRegion,
          snapshot,
          integrationsYaml: `  custodian:\n    consumer: c7n-org\n    trustedPrincipal: arn:${partition}:iam::999999999999:role/custodian\n    externalId: { source: value, value: c7n-Secret-0123456789 }\n    regions: ["*"]\n`,
        },
        dir,
      );
      const out = path.join(dir, "out");
      const r = await runCli(["generate", "--config", w.config, "--out", out]);
      expect(r.stderr).not.toContain("error");
      expect(r.code).toBe(0);
      const doc = python(CHECK, path.join(out, "custodian", "accounts.yml"));
      expect(doc.errors).toEqual([]);
      for (const a of doc.accounts) {
        expect(a.regions).toEqual(regions);
        expect(a.role.startsWith(`arn:${partition}:iam::`)).toBe(true);
      }
    },
  );
});

describe("CloudQuery AWS source (cloudquery/cloudquery 0c6783f1 plugins/source/aws/client/spec/organization.go, account.go)", () => {
  // Organization.Validate: member_role_name required; organization_units and skip_organization_units each match
  // ^((ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})|(r-[0-9a-z]{4,32}))$. Account (admin_account, member_trusted_principal):
  // id required (minLength 1). organizations.go loadOrgAccounts: with member_trusted_principal the member roles are
  // assumed from those credentials, otherwise from the admin_account session.
  const OU_RE = /^((ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})|(r-[0-9a-z]{4,32}))$/;
  test("spec.org: member_role_name, OU patterns, Account ids, and member_trusted_principal set", () => {
    const doc = parseYaml(example["cloudquery/aws.yml"]);
    expect(doc.kind).toBe("source");
    expect(doc.spec.path).toBe("cloudquery/aws");
    const org = doc.spec.spec.org;
    expect(typeof org.member_role_name === "string" && org.member_role_name.length > 0).toBe(true);
    for (const ou of [...org.organization_units, ...org.skip_organization_units]) expect(ou).toMatch(OU_RE);
    expect(org.admin_account.id.length).toBeGreaterThan(0);
    expect(org.member_trusted_principal.id).toBe("444455556666");
    expect(Object.keys(org.member_trusted_principal)).toEqual(["id"]); // no role_arn: the runner's own credentials
    expect(org.member_external_id).toBe("${ORGTRUST_CLOUDQUERY_EXTERNAL_ID}");
  });
});

describe("Turbot Pipes (turbot/terraform-provider-pipes 2623a4b9 pipes/resource_pipes_organization_integration.go; turbot/pipes-docs 2d94c5ae docs/integrations/aws.md)", () => {
  // handle: ^[a-z][a-z0-9_]{0,37}[a-z0-9]?$ ("between 1 and 39 characters ... single underscores"); config and
  // config_wo conflict, config_wo RequiredWith config_wo_version. External ID: "{identifier}:{random_string}", the
  // random string 8 alphanumeric characters (o_456def:xyz789).
  const HANDLE_RE = /^[a-z][a-z0-9_]{0,37}[a-z0-9]?$/;
  test("pipes.tf: a valid handle, write-only config with its version, the identifier as permitted_external_id_identifiers", async () => {
    const tf: any = await parseHcl("pipes.tf", example["pipes/pipes.tf"]);
    const r = tf.resource.pipes_organization_integration.pipes[0];
    expect(r.handle).toMatch(HANDLE_RE);
    expect(r.config).toBeUndefined();
    expect(Number.isInteger(r.config_wo_version)).toBe(true);
    expect(r.config_wo).toContain('permitted_external_id_identifiers = ["o_acme4x7q2"]');
  });

  test("a 40-character integration name gives a handle within the provider's pattern", () => {
    const name = `a${"b-".repeat(19)}c`;
    expect(name).toHaveLength(40);
    const h = pipesHandle(name);
    expect(h.length).toBeLessThanOrEqual(39);
    expect(h).toMatch(HANDLE_RE);
    expect(h).not.toContain("__");
  });

  test("the external ID shape: {identifier}:{8 alphanumerics}", () => {
    expect(PIPES_EXTERNAL_ID_RE.test("o_456def:xyz789ab")).toBe(true);
    expect(PIPES_EXTERNAL_ID_RE.test("t_123abc:Ab3dE5gH")).toBe(true);
    expect(PIPES_EXTERNAL_ID_RE.test("o_456defxyz789ab")).toBe(false); // no colon: the old shape
    expect(PIPES_EXTERNAL_ID_RE.test("o_456def:xyz789")).toBe(false); // 6 random characters
  });
});

describe("Port Ocean aws-v3 (port-labs/ocean f8789ddc integrations/aws-v3/.port/spec.yaml)", () => {
  // Spec names (ouId, accountRoleArn, accountRoleArns, externalId, aws_partition) become
  // OCEAN__INTEGRATION__CONFIG__<decamelized, upper-cased> environment variables (port_ocean/config/dynamic.py).
  const SPEC_NAMES = [
    "credentialProviderPriority",
    "ouId",
    "accountRoleArn",
    "accountRoleArns",
    "externalId",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_partition",
  ];
  const decamelize = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
  test(".env holds only settings the spec declares; values.yaml's helm line passes the chart's Port credentials", () => {
    const keys = example["port/.env"]
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => l.slice(0, l.indexOf("=")));
    const allowed = SPEC_NAMES.map((n) => `OCEAN__INTEGRATION__CONFIG__${decamelize(n)}`);
    for (const k of keys) expect(allowed).toContain(k);
    const values = parseYaml(example["port/values.yaml"]);
    for (const k of Object.keys(values.integration.config))
      expect(SPEC_NAMES).toContain(k === "awsPartition" ? "aws_partition" : k);
    expect(example["port/values.yaml"]).toMatch(
      /helm upgrade --install port port-labs\/port-ocean -f values\.yaml \\\n#\s+--set port\.clientId="\$PORT_CLIENT_ID" --set port\.clientSecret="\$PORT_CLIENT_SECRET"/,
    );
  });
});

describe("Steampipe (turbot/steampipe-plugin-aws config/aws.spc; the AWS config file's profile keys)", () => {
  test("every aws.spc connection names a profile that aws-config defines, with role_arn, a source and external_id", async () => {
    const spc: any = await parseHcl("aws.spc", example["steampipe/aws.spc"]);
    const profiles = [...example["steampipe/aws-config"].matchAll(/^\[profile ([^\]]+)\]$/gm)].map((m) => m[1]);
    const conns = Object.values(spc.connection)
      .map((v: any) => v[0])
      .filter((c: any) => c.type !== "aggregator");
    expect(conns.length).toBe(profiles.length);
    for (const c of conns) expect(profiles).toContain(c.profile);
    const blocks = example["steampipe/aws-config"].split(/^\[profile /m).slice(1);
    for (const b of blocks) {
      expect(b).toMatch(/^role_arn = arn:aws:iam::\d{12}:role\//m);
      expect(b).toMatch(/^source_profile = steampipe-runner$/m);
      expect(b).toMatch(new RegExp(`^external_id = ${EXAMPLE_ENV.ORGTRUST_STEAMPIPE_EXTERNAL_ID}$`, "m"));
    }
    expect(fs.statSync(path.join(exampleDir, "steampipe", "aws-config")).mode & 0o777).toBe(0o600);
  });
});
