import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseHcl } from "@cdktf/hcl2json";
import { runCli, REPO } from "../support/cli";
import { toHcl } from "../../synth/hcl";

/**
 * `orgtrust synth` as a user runs it (./bin/orgtrust in a child process; `npm test` builds dist/ first), on the
 * bundled example config and on small configs written here.
 */

const EXAMPLE = path.join(REPO, "examples", "orgtrust.yaml");
const ORG_JSON = path.join(REPO, "examples", "org.json");
// The example's vendor-issued external IDs are `source: env`. Synth must not read them: the runs below set them
// anyway, to prove the values reach neither the output files nor the output streams.
const PORT_ID = "port-issued-ext-9f3k2q7w";
const APONO_ID = "apono-issued-ext-4m8x1z";
const ENV = { PORT_EXTERNAL_ID: PORT_ID, APONO_EXTERNAL_ID: APONO_ID };
/** The example's env-sourced integrations and their variables. */
const ENV_SOURCED: Array<[string, string]> = [
  ["port", "PORT_EXTERNAL_ID"],
  ["apono", "APONO_EXTERNAL_ID"],
];
const EXAMPLE_STACKS = [
  "apono",
  "awscli",
  "backstage",
  "cloudquery",
  "custodian",
  "pipes",
  "port",
  "steampipe",
  "terraform",
];
/** The example configures sync: synth of every integration also writes the trigger stack (test/integration/sync-trigger.test.ts). */
const WITH_SYNC_STACK = [...EXAMPLE_STACKS, "orgtrust-sync"].sort();

/** One full synth of the example through the CLI (speed is measured by bench/synth.js, not here). */
function synthExample(out: string, format: "json" | "hcl", extra: string[] = []) {
  return runCli(["synth", "--config", EXAMPLE, "--out", out, ...(format === "hcl" ? ["--hcl"] : []), ...extra], {
    env: ENV,
  });
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-synth-"));
const terraformOnPath = spawnSync("sh", ["-c", "command -v terraform"], { encoding: "utf8" }).status === 0;
if (!terraformOnPath) {
  console.warn(
    "\n*** terraform is not on PATH: `terraform fmt -check` on the HCL export is SKIPPED (the hcl2json parse still runs). ***\n",
  );
}

/** Every file under dir, relative path -> content. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return out;
}

/** Absolute paths (this machine's) or any path-looking absolute prefix in generated text. */
function absolutePaths(text: string, dirs: string[]): string[] {
  const hits: string[] = [];
  for (const d of dirs) if (text.includes(d)) hits.push(d);
  const m = text.match(/["'= ](\/(?:tmp|home|root|Users|work|var|private|opt|usr)\/[^\s"']*)/g);
  if (m) hits.push(...m);
  return hits;
}

function writeConfig(dir: string, body: string): string {
  const file = path.join(dir, "orgtrust.yaml");
  fs.writeFileSync(
    file,
    `version: 1
organization:
  managementAccountId: "111122223333"
  homeRegion: us-east-1
${body}`,
  );
  return file;
}

describe("orgtrust synth on the example", () => {
  test("writes one stack per integration with a coverage file, prints the summary, keeps external IDs out of the output streams", async () => {
    const out = path.join(tmp(), "cdktf.out");
    const r = await synthExample(out, "json");
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(path.join(out, "stacks")).sort()).toEqual(WITH_SYNC_STACK);
    for (const s of EXAMPLE_STACKS) {
      expect(fs.readdirSync(path.join(out, "stacks", s)).sort()).toEqual(["cdk.tf.json", "orgtrust-coverage.json"]);
      JSON.parse(fs.readFileSync(path.join(out, "stacks", s, "cdk.tf.json"), "utf8"));
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8"));
    expect(Object.keys(manifest.stacks).sort()).toEqual(WITH_SYNC_STACK);
    expect(manifest.stacks.backstage.synthesizedStackPath).toBe("stacks/backstage/cdk.tf.json");

    // Summary: who gets the role through the StackSet, directly, or not at all and why.
    expect(r.stdout).toMatch(/^Synthesized 9 stacks \(Terraform JSON for cdktf\)/);
    expect(r.stdout).toContain("backstage (backstage): stacks/backstage/cdk.tf.json");
    expect(r.stdout).toContain(
      "StackSet targets: Infrastructure (ou-a1b2-infr4str), Security (ou-a1b2-sec0curi), Workloads (ou-a1b2-w0rkl0ad)",
    );
    expect(r.stdout).toContain("directly: 111122223333 Acme Management");
    expect(r.stdout).toMatch(/098765432109 {2}Billing Legacy +excluded account/);
    expect(r.stdout).toMatch(/345672109834 {2}Sandbox Alice +in excluded OU Sandbox \(ou-a1b2-sandb0x1\)/);
    // cloudquery excludes the Security OU: the rest is still an exact OU cover.
    const cq = JSON.parse(fs.readFileSync(path.join(out, "stacks", "cloudquery", "orgtrust-coverage.json"), "utf8"));
    expect(cq.exact).toBe(true);
    expect(cq.uncovered).toEqual([]);
    expect(cq.targets.map((t: { id: string }) => t.id)).toEqual(["ou-a1b2-infr4str", "ou-a1b2-w0rkl0ad"]);
    expect(r.stderr).not.toMatch(/warning/);

    // Env-sourced external IDs: set in the environment, yet in no file and no output stream.
    for (const text of [r.stdout, r.stderr, ...Object.values(tree(out))]) {
      expect(text).not.toContain(PORT_ID);
      expect(text).not.toContain(APONO_ID);
    }
    for (const [f, text] of Object.entries(tree(out)))
      expect({ f, abs: absolutePaths(text, [out, REPO, os.tmpdir()]) }).toEqual({ f, abs: [] });
  });

  test("env-sourced external IDs: a sensitive validated variable per stack, referenced by the secret, both trust policies and the StackSet", async () => {
    const out = path.join(tmp(), "vars");
    const r = await runCli(
      ["synth", "--config", EXAMPLE, "--out", out, "--integration", "port", "--integration", "apono"],
      { env: ENV },
    );
    expect(r.code).toBe(0);
    for (const [stack, name] of ENV_SOURCED) {
      const ref = `\${var.${name}}`;
      const text = fs.readFileSync(path.join(out, "stacks", stack, "cdk.tf.json"), "utf8");
      expect(text).not.toContain(stack === "port" ? PORT_ID : APONO_ID);
      const tf = JSON.parse(text);
      expect(Object.keys(tf.variable)).toEqual([name]);
      const v = tf.variable[name];
      expect(v).toEqual(expect.objectContaining({ type: "string", sensitive: true, nullable: false }));
      expect(v.description).toContain(`export TF_VAR_${name}="$${name}"`);
      expect(v.validation[0].condition).toContain(`can(regex(`);
      expect(v.validation[0].condition).toContain(`var.${name}`);
      const version = tf.resource.aws_secretsmanager_secret_version.external_id_secret_version;
      expect(version.secret_string_wo).toBe(ref);
      expect(version.secret_string_wo_version).toContain(`sha256(var.${name})`);
      const roles = Object.entries<{ assume_role_policy: string }>(tf.resource.aws_iam_role);
      expect(roles.length).toBe(stack === "port" ? 1 : 2); // port: the discovery role is the member role in the management account
      for (const [role, r2] of roles) {
        const trust = JSON.parse(r2.assume_role_policy);
        expect({ role, externalId: trust.Statement[0].Condition.StringEquals["sts:ExternalId"] }).toEqual({
          role,
          externalId: ref,
        });
      }
      expect(tf.resource.aws_cloudformation_stack_set.member_role.parameters.ExternalId).toBe(ref);
      expect(tf.output.external_id).toEqual(expect.objectContaining({ value: ref, sensitive: true }));
    }
  });

  test("synth needs no external-ID environment variable: with none set the output is byte-identical", async () => {
    const withEnv = path.join(tmp(), "with");
    const without = path.join(tmp(), "without");
    expect((await runCli(["synth", "--config", EXAMPLE, "--out", withEnv], { env: ENV })).code).toBe(0);
    const r = await runCli(["synth", "--config", EXAMPLE, "--out", without], {
      env: { PORT_EXTERNAL_ID: undefined, APONO_EXTERNAL_ID: undefined },
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(tree(without)).toEqual(tree(withEnv));
  });

  test("--json prints the result: stacks with coverage and warnings", async () => {
    const out = path.join(tmp(), "o");
    const r = await runCli(
      [
        "synth",
        "--config",
        EXAMPLE,
        "--out",
        out,
        "--json",
        "--integration",
        "cloudquery",
        "--integration",
        "backstage",
      ],
      { env: ENV },
    );
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.format).toBe("json");
    expect(result.stacks.map((s: { integration: string }) => s.integration)).toEqual(["cloudquery", "backstage"]);
    const cq = result.stacks[0];
    expect(cq.coverage.viaStackSet.length).toBe(19);
    expect(cq.coverage.direct).toEqual([{ id: "111122223333", name: "Acme Management", how: "management-account" }]);
    expect(cq.warnings).toEqual([]);
    expect(fs.readdirSync(path.join(out, "stacks")).sort()).toEqual(["backstage", "cloudquery"]);
  });

  const BESIDE = ["019283746501", "129384756012", "765432109876", "876543210987", "987654321098"];

  test("uncoveredAccounts: none: an exclusion deep inside a wanted OU leaves the accounts beside its path uncovered: warned, listed and recorded", async () => {
    const dir = tmp();
    const config = writeConfig(
      dir,
      `snapshot: ${JSON.stringify(ORG_JSON)}
exclusions: { organizationalUnits: [ou-a1b2-sandb0x1], accounts: ["098765432109"] }
integrations:
  cloudquery:
    consumer: cloudquery
    trustedPrincipal: arn:aws:iam::444455556666:role/cloudquery-sync
    stackSet: { uncoveredAccounts: none }
    exclusions: { organizationalUnits: [ou-a1b2-sec0curi] }
`,
    );
    const out = path.join(dir, "uncovered");
    // Prod Regulated (depth 3) under Prod under Workloads: Prod and Workloads can no longer be targeted.
    const r = await runCli(["synth", "--config", config, "--out", out, "--exclude-ou", "ou-a1b2-pc1reg01"], {
      env: ENV,
    });
    expect(r.code).toBe(0);
    for (const [id, name] of [
      ["765432109876", "Workloads Tooling"],
      ["876543210987", "Payments Prod"],
    ]) {
      expect(r.stdout).toMatch(new RegExp(`${id} {2}${name} +UNCOVERED: sits directly in`));
      expect(r.stderr).toMatch(
        new RegExp(`warning: integrations.cloudquery: account ${id} \\(${name}\\) is in scope but gets no member role`),
      );
    }
    expect(r.stdout).not.toContain("DIRECT");
    const cq = JSON.parse(fs.readFileSync(path.join(out, "stacks", "cloudquery", "orgtrust-coverage.json"), "utf8"));
    expect(cq.uncovered.map((u: { id: string }) => u.id)).toEqual(BESIDE);
    expect(cq.direct).toEqual([{ id: "111122223333", name: "Acme Management", how: "management-account" }]);
    expect(cq.exact).toBe(false);
    expect(cq.targets.map((t: { id: string }) => t.id)).toEqual([
      "ou-a1b2-dev00001",
      "ou-a1b2-infr4str",
      "ou-a1b2-stag1ng1",
    ]);
    const tf = JSON.parse(fs.readFileSync(path.join(out, "stacks", "cloudquery", "cdk.tf.json"), "utf8"));
    expect(tf.provider.aws).toHaveLength(1);
  });

  test("default uncoveredAccounts: direct: the accounts beside the path get the role directly: summary, --json, coverage file, one warning", async () => {
    const out = path.join(tmp(), "direct");
    const r = await runCli(
      ["synth", "--config", EXAMPLE, "--out", out, "--integration", "cloudquery", "--exclude-ou", "ou-a1b2-pc1reg01"],
      { env: ENV },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("UNCOVERED");
    expect(r.stdout).toContain(
      "directly: 111122223333 Acme Management + 5 accounts no OU target reaches (DIRECT below)",
    );
    for (const [id, name] of [
      ["765432109876", "Workloads Tooling"],
      ["876543210987", "Payments Prod"],
    ]) {
      expect(r.stdout).toMatch(
        new RegExp(`${id} {2}${name} +DIRECT \\(own provider, aws\\.account_${id}\\): sits directly in`),
      );
    }
    const warnings = r.stderr.split("\n").filter((l) => l.startsWith("warning: integrations.cloudquery"));
    expect(warnings).toEqual([
      `warning: integrations.cloudquery: 5 in-scope accounts get the member role directly (stackSet.uncoveredAccounts: direct, through OrganizationAccountAccessRole) because their OUs cannot be targeted by the StackSet: ${BESIDE.join(", ")}; accounts that join such an OU later will not get it automatically (re-run discover and synth)`,
    ]);
    const cq = JSON.parse(fs.readFileSync(path.join(out, "stacks", "cloudquery", "orgtrust-coverage.json"), "utf8"));
    expect(cq.uncovered).toEqual([]);
    expect(cq.exact).toBe(true);
    expect(
      cq.direct.filter((d: { how: string }) => d.how === "direct-provider").map((d: { id: string }) => d.id),
    ).toEqual(BESIDE);
    expect(
      cq.direct.filter((d: { how: string }) => d.how === "management-account").map((d: { id: string }) => d.id),
    ).toEqual(["111122223333"]);
    const tf = JSON.parse(fs.readFileSync(path.join(out, "stacks", "cloudquery", "cdk.tf.json"), "utf8"));
    expect(tf.provider.aws.filter((p: { alias?: string }) => p.alias).map((p: { alias: string }) => p.alias)).toEqual(
      BESIDE.map((id) => `account_${id}`),
    );
    expect(Object.keys(tf.resource.aws_iam_role).sort()).toEqual(
      ["discovery_role", "management_role", ...BESIDE.map((id) => `direct_role_${id}`)].sort(),
    );

    const json = await runCli(
      [
        "synth",
        "--config",
        EXAMPLE,
        "--out",
        path.join(tmp(), "j"),
        "--integration",
        "cloudquery",
        "--exclude-ou",
        "ou-a1b2-pc1reg01",
        "--json",
      ],
      { env: ENV },
    );
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).stacks[0].coverage).toEqual(
      cq.uncovered.length === 0 ? expect.objectContaining({ direct: cq.direct, exact: true, uncovered: [] }) : null,
    );
  });

  test("direct accounts in the HCL export: aliased providers and roles render, fmt-clean, parse with hcl2json, byte-stable", async () => {
    const outs = [path.join(tmp(), "d1"), path.join(tmp(), "d2")];
    for (const out of outs) {
      const r = await runCli(
        [
          "synth",
          "--config",
          EXAMPLE,
          "--out",
          out,
          "--integration",
          "cloudquery",
          "--exclude-ou",
          "ou-a1b2-pc1reg01",
          "--hcl",
        ],
        { env: ENV },
      );
      expect(r.code).toBe(0);
    }
    const main = fs.readFileSync(path.join(outs[0], "stacks", "cloudquery", "main.tf"), "utf8");
    expect(fs.readFileSync(path.join(outs[1], "stacks", "cloudquery", "main.tf"), "utf8")).toBe(main);
    const id = "876543210987";
    expect(main).toContain(
      `provider "aws" {\n  alias = "account_${id}"\n\n  allowed_account_ids = ["${id}"]\n  region              = "us-east-1"\n\n  assume_role {\n    role_arn     = "arn:aws:iam::${id}:role/OrganizationAccountAccessRole"\n    session_name = "orgtrust"\n  }\n}\n`,
    );
    expect(main).toContain(`resource "aws_iam_role" "direct_role_${id}" {\n  provider = aws.account_${id}\n`);
    expect(main).toContain(`  role       = aws_iam_role.direct_role_${id}.name\n`);
    const parsed = (await parseHcl("cloudquery/main.tf", main)) as {
      provider: { aws: Array<{ alias?: string; assume_role?: unknown }> };
      resource: Record<string, Record<string, unknown>>;
    };
    expect(parsed.provider.aws.filter((p) => p.alias).map((p) => p.alias)).toEqual(BESIDE.map((a) => `account_${a}`));
    expect(Object.keys(parsed.resource.aws_iam_role)).toEqual(
      expect.arrayContaining(BESIDE.map((a) => `direct_role_${a}`)),
    );
    if (terraformOnPath) {
      const fmt = spawnSync("terraform", ["fmt", "-check", "-recursive", "-diff", outs[0]], {
        encoding: "utf8",
        env: { ...process.env, CHECKPOINT_DISABLE: "1" },
      });
      expect(fmt.stdout).toBe("");
      expect(fmt.status).toBe(0);
    }
  });
});

describe("orgtrust synth --hcl (View as Code)", () => {
  let first: string;
  let second: string;
  beforeAll(async () => {
    first = path.join(tmp(), "hcl-a");
    second = path.join(tmp(), "hcl-b");
    for (const out of [first, second]) {
      const r = await synthExample(out, "hcl");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("(plain Terraform HCL)");
    }
  });

  test("plain HCL files: main.tf + the template it reads + coverage; no cdk.tf.json", () => {
    for (const s of EXAMPLE_STACKS) {
      expect(fs.readdirSync(path.join(first, "stacks", s)).sort()).toEqual([
        "main.tf",
        "member-role.yaml",
        "orgtrust-coverage.json",
      ]);
    }
    const main = fs.readFileSync(path.join(first, "stacks", "backstage", "main.tf"), "utf8");
    expect(main).toContain('template_body    = file("${path.module}/member-role.yaml")');
    expect(main).toMatch(/backend "local" \{\n {4}path = "terraform\.backstage\.tfstate"\n {2}\}/);
    expect(main).toContain("assume_role_policy = jsonencode({");
    expect(main).not.toMatch(/"\$\{[^"]*\}"/); // no interpolation-only strings: fmt would rewrite them
    expect(main).toContain("depends_on = [aws_cloudformation_stack_set_instance.");
  });

  test("env-sourced external IDs: a sensitive variable with a validation block, referenced as var.NAME (also inside jsonencode); no value", () => {
    for (const [stack, name] of ENV_SOURCED) {
      const main = fs.readFileSync(path.join(first, "stacks", stack, "main.tf"), "utf8");
      expect(main).not.toContain(PORT_ID);
      expect(main).not.toContain(APONO_ID);
      const decl = main.slice(
        main.indexOf(`variable "${name}" {`),
        main.indexOf("\n}\n", main.indexOf(`variable "${name}" {`)) + 3,
      );
      expect(decl).toMatch(/\n {2}type += string\n/);
      expect(decl).toMatch(/\n {2}sensitive += true\n/);
      expect(decl).toMatch(/\n {2}nullable += false\n/);
      expect(decl).toContain(`TF_VAR_${name}`);
      expect(decl).toContain("  validation {\n");
      expect(decl).toContain(
        `    condition     = length(var.${name}) >= 2 && length(var.${name}) <= 1224 && can(regex("^[\\\\w+=,.@:/-]+$", var.${name}))\n`,
      );
      expect(main).toContain(`  secret_string_wo         = var.${name}\n`);
      expect(main).toContain(`  secret_string_wo_version = (parseint(substr(sha256(var.${name}), 0, 7), 16) + 1)\n`);
      expect(main).toContain(`            "sts:ExternalId" = var.${name}\n`);
      expect(main).toMatch(new RegExp(`\\n {4}ExternalId += var\\.${name}\\n`));
      expect(main).toMatch(new RegExp(`output "external_id" \\{\\n {2}value += var\\.${name}\\n`));
      expect(main).not.toMatch(/"\$\{[^"]*\}"/);
    }
  });

  test("every .tf file parses with hcl2json and holds the same resources as the JSON synth", async () => {
    const jsonOut = path.join(tmp(), "json");
    const r = await synthExample(jsonOut, "json");
    expect(r.code).toBe(0);
    for (const s of EXAMPLE_STACKS) {
      const text = fs.readFileSync(path.join(first, "stacks", s, "main.tf"), "utf8");
      const parsed = (await parseHcl(`${s}/main.tf`, text)) as Record<string, Record<string, Record<string, unknown>>>;
      const json = JSON.parse(fs.readFileSync(path.join(jsonOut, "stacks", s, "cdk.tf.json"), "utf8"));
      for (const kind of ["resource", "data", "output", "variable"]) {
        const want = Object.entries(json[kind] ?? {}).flatMap(([t, v]) =>
          kind === "output" || kind === "variable" ? [t] : Object.keys(v as object).map((n) => `${t}.${n}`),
        );
        const got = Object.entries(parsed[kind] ?? {}).flatMap(([t, v]) =>
          kind === "output" || kind === "variable" ? [t] : Object.keys(v).map((n) => `${t}.${n}`),
        );
        expect({ s, kind, names: got.sort() }).toEqual({ s, kind, names: want.sort() });
      }
      const set = (parsed.resource.aws_cloudformation_stack_set.member_role as Array<Record<string, unknown>>)[0];
      expect(set.permission_model).toBe("SERVICE_MANAGED");
      expect(set.lifecycle).toEqual([{ ignore_changes: ["${administration_role_arn}"] }]);
    }
  });

  test("terraform fmt -check passes (when terraform is on PATH)", () => {
    if (!terraformOnPath) return; // announced above
    const r = spawnSync("terraform", ["fmt", "-check", "-recursive", "-diff", first], {
      encoding: "utf8",
      env: { ...process.env, CHECKPOINT_DISABLE: "1" },
    });
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
  });

  test("byte-identical across runs, no absolute paths", () => {
    const a = tree(first);
    const b = tree(second);
    expect(Object.keys(a).length).toBe(EXAMPLE_STACKS.length * 3 + 1 + 1);
    expect(b).toEqual(a);
    for (const [f, text] of Object.entries(a))
      expect({ f, abs: absolutePaths(text, [first, REPO, os.tmpdir()]) }).toEqual({ f, abs: [] });
  });

  test("a delegated administrator (provider alias, variable, assume_role block), tags needing quotes and port-ocean export fmt-clean HCL", async () => {
    const dir = tmp();
    const config = writeConfig(
      dir,
      `  delegatedAdminAccountId: "999988887777"
integrations:
  backstage:
    consumer: backstage
    trustedPrincipal: arn:aws:iam::444455556666:role/backstage-backend
    discoveryRole: { account: delegatedAdmin, tags: { "team:owner": "a b" } }
    memberRole: { policy: ViewOnlyAccess, denyDataReads: true, permissionsBoundary: "arn:aws:iam::\${AWS::AccountId}:policy/b" }
  port:
    consumer: port-ocean
    trustedPrincipal: arn:aws:iam::444455556666:role/port
    externalId: { source: value, value: "port-123" }
`,
    );
    const out = path.join(dir, "out");
    const r = await runCli(["synth", "--config", config, "--out", out, "--hcl"]);
    expect(r.code).toBe(0);
    const main = fs.readFileSync(path.join(out, "stacks", "backstage", "main.tf"), "utf8");
    expect(main).toContain('variable "management_account_role_arn" {');
    expect(main).toMatch(/ {2}type {8}= string\n/);
    expect(main).toContain("  assume_role {\n    role_arn = var.management_account_role_arn\n  }");
    expect(main).toContain("  provider = aws.management\n");
    expect(main).toContain('"team:owner" = "a b"');
    // The boundary in each account: the management role's names the management account's policy; the StackSet gets
    // only the policy's resource part, which its template completes per account (no ${...} reaches Terraform).
    expect(main).toMatch(/permissions_boundary += "arn:aws:iam::111122223333:policy\/b"\n/);
    expect(main).toMatch(/PermissionsBoundaryInEachAccount += "policy\/b"\n/);
    expect(main).not.toContain("${AWS::AccountId}");
    for (const s of ["backstage", "port"])
      await parseHcl(`${s}.tf`, fs.readFileSync(path.join(out, "stacks", s, "main.tf"), "utf8"));
    if (terraformOnPath) {
      const fmt = spawnSync("terraform", ["fmt", "-check", "-recursive", "-diff", out], {
        encoding: "utf8",
        env: { ...process.env, CHECKPOINT_DISABLE: "1" },
      });
      expect(fmt.stdout).toBe("");
      expect(fmt.status).toBe(0);
    }
  });

  test("switching a stack folder from HCL to JSON needs --force (exit 2, nothing changed without it); then no HCL is left beside the JSON", async () => {
    const out = path.join(tmp(), "switch");
    expect(
      (await runCli(["synth", "--config", EXAMPLE, "--out", out, "--hcl", "--integration", "backstage"], { env: ENV }))
        .code,
    ).toBe(0);
    const before = tree(out);
    const refused = await runCli(["synth", "--config", EXAMPLE, "--out", out, "--integration", "backstage"], {
      env: ENV,
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^orgtrust: error: --out .*: stacks\/backstage holds the HCL of `orgtrust synth --hcl` \(main\.tf\); synth without --hcl would replace it \(fix: .*--force/,
    );
    expect(tree(out)).toEqual(before);
    expect(
      (
        await runCli(["synth", "--config", EXAMPLE, "--out", out, "--integration", "backstage", "--force"], {
          env: ENV,
        })
      ).code,
    ).toBe(0);
    expect(fs.readdirSync(path.join(out, "stacks", "backstage")).sort()).toEqual([
      "cdk.tf.json",
      "orgtrust-coverage.json",
    ]);
  });
});

describe("HCL emitter formatting rules", () => {
  test("aligns = in runs, unwraps interpolation-only strings, escapes quotes, refuses unknown nested objects", () => {
    const hcl = toHcl({
      resource: {
        aws_iam_role: {
          r: {
            max_session_duration: 3600,
            name: 'a"b\\c',
            path: "${var.p}",
            tags: { a: "1", "k:v": "2" },
            depends_on: ["aws_x.y"],
          },
        },
      },
    });
    expect(hcl).toBe(
      [
        'resource "aws_iam_role" "r" {',
        "  max_session_duration = 3600",
        '  name                 = "a\\"b\\\\c"',
        "  path                 = var.p",
        "",
        "  tags = {",
        '    a     = "1"',
        '    "k:v" = "2"',
        "  }",
        "",
        "  depends_on = [aws_x.y]",
        "}",
        "",
      ].join("\n"),
    );
    expect(() => toHcl({ resource: { aws_x: { y: { mystery_block: { a: 1 } } } } })).toThrow(/unknown nested object/);
  });

  test("references inside policies and expressions holding quotes or braces become bare expressions; templates keep their quotes", async () => {
    const condition = '${length(var.X) >= 2 && can(regex("^[\\\\w+=,.@:/-]{1,5}$", var.X))}';
    const hcl = toHcl({
      variable: { X: { type: "string", sensitive: true, validation: [{ condition, error_message: 'Say "hi".' }] } },
      resource: {
        aws_iam_role: {
          r: {
            assume_role_policy: JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                {
                  Effect: "Allow",
                  Action: "sts:AssumeRole",
                  Condition: { StringEquals: { "sts:ExternalId": "${var.X}" } },
                },
              ],
            }),
            description: 'a ${lookup(var.m, "k", "}")} b "c" $${literal}',
            name: "${(parseint(substr(sha256(var.X), 0, 7), 16) + 1)}",
          },
        },
      },
    });
    expect(hcl).toContain('    condition     = length(var.X) >= 2 && can(regex("^[\\\\w+=,.@:/-]{1,5}$", var.X))\n');
    expect(hcl).toContain('    error_message = "Say \\"hi\\"."\n');
    expect(hcl).toContain('          "sts:ExternalId" = var.X\n');
    expect(hcl).toContain('  description = "a ${lookup(var.m, "k", "}")} b \\"c\\" $${literal}"\n');
    expect(hcl).toContain("  name        = (parseint(substr(sha256(var.X), 0, 7), 16) + 1)\n");
    expect(hcl).not.toMatch(/"\$\{[^"]*\}"/);
    const parsed = (await parseHcl("t.tf", hcl)) as {
      variable: Record<string, Array<{ validation: Array<{ condition: string }> }>>;
      resource: { aws_iam_role: { r: Array<Record<string, string>> } };
    };
    expect(parsed.variable.X[0].validation[0].condition).toBe(condition);
    expect(parsed.resource.aws_iam_role.r[0].description).toBe('a ${lookup(var.m, "k", "}")} b "c" $${literal}');
    expect(parsed.resource.aws_iam_role.r[0].assume_role_policy).toContain('"sts:ExternalId" = var.X');
    if (terraformOnPath) {
      const dir = tmp();
      fs.writeFileSync(path.join(dir, "main.tf"), hcl);
      const fmt = spawnSync("terraform", ["fmt", "-check", "-diff", dir], {
        encoding: "utf8",
        env: { ...process.env, CHECKPOINT_DISABLE: "1" },
      });
      expect(fmt.stdout).toBe("");
      expect(fmt.status).toBe(0);
    }
  });
});

describe("orgtrust synth input errors: exit 2, one line, previous output intact", () => {
  test("exclusions without a snapshot", async () => {
    const dir = tmp();
    const config = writeConfig(
      dir,
      `exclusions:
  organizationalUnits: [ou-a1b2-sandb0x1]
integrations:
  backstage:
    consumer: backstage
    trustedPrincipal: arn:aws:iam::444455556666:role/backstage-backend
`,
    );
    const r = await runCli(["synth", "--config", config, "--out", path.join(dir, "out")]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^orgtrust: error: integrations\.backstage: exclusions \(ou-a1b2-sandb0x1\) need an org snapshot .*run `orgtrust discover --out org\.json`/,
    );
    expect(fs.existsSync(path.join(dir, "out"))).toBe(false);
    // The same config with the snapshot works.
    const ok = await runCli(["synth", "--config", config, "--snapshot", ORG_JSON, "--out", path.join(dir, "out")]);
    expect(ok.code).toBe(0);
  });

  test("no snapshot and no exclusions: the root is targeted through a lookup", async () => {
    const dir = tmp();
    const config = writeConfig(
      dir,
      "integrations:\n  backstage:\n    consumer: backstage\n    trustedPrincipal: arn:aws:iam::444455556666:role/backstage-backend\n",
    );
    const r = await runCli(["synth", "--config", config, "--out", path.join(dir, "out"), "--hcl"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("without a snapshot");
    expect(r.stdout).toContain("every member account (no snapshot: the root is targeted)");
    const main = fs.readFileSync(path.join(dir, "out", "stacks", "backstage", "main.tf"), "utf8");
    expect(main).toContain('data "aws_organizations_organization" "organization" {}');
    expect(main).toContain("organizational_unit_ids = [data.aws_organizations_organization.organization.roots[0].id]");
  });

  test("a failed run (an unusable variable name) leaves the previous output byte-identical and no staging directory", async () => {
    const out = path.join(tmp(), "keep");
    expect((await runCli(["synth", "--config", EXAMPLE, "--out", out])).code).toBe(0);
    const before = tree(out);
    const dir = tmp();
    const config = path.join(dir, "orgtrust.yaml");
    fs.writeFileSync(
      config,
      fs
        .readFileSync(EXAMPLE, "utf8")
        .replace("snapshot: org.json", `snapshot: ${ORG_JSON}`)
        .replace("env: PORT_EXTERNAL_ID", "env: version"),
    );
    const r = await runCli(["synth", "--config", config, "--out", out, "--hcl"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    // Refused when the config loads (config/rules.ts), so the line names the file.
    expect(r.stderr).toMatch(
      /^orgtrust: error: [^\n]*orgtrust\.yaml: integrations\.port\.externalId\.env: version names the stack's Terraform input variable for the external ID, and "version" is reserved by Terraform \(fix: use another environment variable name, such as PORT_EXTERNAL_ID\)/,
    );
    expect(tree(out)).toEqual(before);
    expect(fs.readdirSync(path.dirname(out)).filter((f) => f.includes("orgtrust-synth"))).toEqual([]);
  });

  test("--strict: an exclusion that matches nothing is an error", async () => {
    const r = await runCli(
      [
        "synth",
        "--config",
        EXAMPLE,
        "--out",
        path.join(tmp(), "o"),
        "--strict",
        "--exclude-ou",
        "ou-zzzz-nothere1",
        "--integration",
        "backstage",
      ],
      { env: ENV },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ou-zzzz-nothere1 matches nothing/);
  });

  test("--integration: only that stack is rewritten, the others stay; an unknown name is exit 2", async () => {
    const out = path.join(tmp(), "subset");
    expect((await runCli(["synth", "--config", EXAMPLE, "--out", out], { env: ENV })).code).toBe(0);
    const steampipe = fs.statSync(path.join(out, "stacks", "steampipe", "cdk.tf.json")).ino;
    const r = await runCli(
      ["synth", "--config", EXAMPLE, "--out", out, "--integration", "backstage", "--exclude-account", "654321098765"],
      { env: ENV },
    );
    expect(r.code).toBe(0);
    expect(fs.statSync(path.join(out, "stacks", "steampipe", "cdk.tf.json")).ino).toBe(steampipe);
    expect(Object.keys(JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")).stacks).sort()).toEqual(
      WITH_SYNC_STACK,
    );
    expect(fs.readFileSync(path.join(out, "stacks", "backstage", "orgtrust-coverage.json"), "utf8")).toContain(
      "654321098765",
    );
    const bad = await runCli(["synth", "--config", EXAMPLE, "--out", out, "--integration", "nope"], { env: ENV });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--integration nope: no such integration/);
  });

  test("help shows examples", async () => {
    const r = await runCli(["synth", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Examples:");
    expect(r.stdout).toContain("--hcl");
    expect(r.stdout).toContain("orgtrust discover --out org.json");
  });
});
