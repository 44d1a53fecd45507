import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseConfig, readConfig } from "../../config/load";
import { CONSUMERS } from "../../config/schema";
import { spawnSync } from "node:child_process";
import { BIN, REPO, runCli } from "../support/cli";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-config-"));
const EXAMPLE_SNAPSHOT = path.resolve(__dirname, "..", "..", "examples", "org.json");

const BASE = `version: 1
organization:
  managementAccountId: "111122223333"
  homeRegion: us-east-1
integrations:
  bs:
    consumer: backstage
    trustedPrincipal: arn:aws:iam::444455556666:role/backstage
`;

async function configError(yaml: string): Promise<{ code: number; stderr: string }> {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, "orgtrust.yaml"), yaml);
  const r = await runCli(["discover", "--config", path.join(dir, "orgtrust.yaml"), "--snapshot", EXAMPLE_SNAPSHOT]);
  return { code: r.code, stderr: r.stderr };
}

describe("orgtrust init", () => {
  test.each(CONSUMERS.map((c) => [c]))("writes a starter for %s that validates and resolves", async (consumer) => {
    const dir = tmp();
    const file = path.join(dir, "orgtrust.yaml");
    const r = await runCli(["init", "--consumer", consumer, "--out", file]);
    expect(r.code).toBe(0);
    const text = fs.readFileSync(file, "utf8");
    expect(text).toMatch(/^# orgtrust configuration/);
    // As written, the starter's placeholders are refused, naming the field (exit 2 in every command).
    expect(() => parseConfig(text, file, dir)).toThrow(
      /integrations\.[a-z0-9-]+\.(trustedPrincipal|options\.(organizationHandle|connectorId)|externalId\.prefix): .*(placeholder from the starter|AWS documentation's example account)/,
    );
    // With real values in their place, it validates and resolves.
    const filled = text
      .replace(/arn:aws:iam::123456789012:/g, "arn:aws:iam::444455556666:")
      .replace(/o_REPLACE_ME/g, "o_acme123")
      .replace(/REPLACE_WITH_APONO_CONNECTOR_ID/g, "acme-connector")
      .replace(/REPLACE_ME/g, "acme");
    const resolved = readConfig(filled, file, dir).integrations;
    expect(resolved).toHaveLength(1);
    expect(resolved[0].consumer).toBe(consumer);
  });

  test("refuses to overwrite without --force, overwrites with it", async () => {
    const dir = tmp();
    const file = path.join(dir, "orgtrust.yaml");
    fs.writeFileSync(file, "keep me");
    const refused = await runCli(["init", "--consumer", "backstage", "--out", file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/file exists \(fix: pass --force/);
    expect(fs.readFileSync(file, "utf8")).toBe("keep me");
    const forced = await runCli(["init", "--consumer", "backstage", "--out", file, "--force"]);
    expect(forced.code).toBe(0);
    expect(fs.readFileSync(file, "utf8")).toContain("consumer: backstage");
  });

  test("unknown consumer: exit 2, nothing written", async () => {
    const dir = tmp();
    const r = await runCli(["init", "--consumer", "grafana", "--out", path.join(dir, "x.yaml")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--consumer grafana: unknown consumer \(fix: use one of backstage/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe("config validation names the field and the fix", () => {
  test("a valid config resolves presets", () => {
    const cfg = readConfig(
      BASE +
        `  pipes:
    consumer: turbot-pipes
    externalId: { source: generate, prefix: o_abc123 }
    options: { organizationHandle: acme }
  port:
    consumer: port-ocean
    trustedPrincipal: arn:aws:iam::444455556666:role/port
`,
      "orgtrust.yaml",
      "/tmp",
    );
    const [bs, pipes, port] = cfg.integrations;
    expect(bs.externalId.source).toBe("generate");
    expect(bs.externalId).toMatchObject({ source: "generate", length: expect.any(Number), alphanumeric: false });
    expect(bs.externalId.source === "generate" && bs.externalId.length).toBeGreaterThanOrEqual(32);
    expect(pipes.trustedPrincipal).toBe("arn:aws:iam::316881668097:root");
    // Pipes: "{identifier}:{random_string}" (turbot/pipes-docs docs/integrations/aws.md, 2d94c5ae).
    expect(pipes.externalId).toMatchObject({ prefix: "o_abc123:", length: 8, alphanumeric: true });
    expect(port.memberRole.name).toBe(port.discoveryRole.name);
    expect(bs.memberRole.policyArns).toEqual(["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
  });

  test("GovCloud partition builds every ARN with aws-us-gov", () => {
    const cfg = readConfig(
      BASE.replace("homeRegion: us-east-1", "partition: aws-us-gov\n  homeRegion: us-gov-west-1").replace(
        "arn:aws:",
        "arn:aws-us-gov:",
      ),
      "f",
      "/tmp",
    );
    const [bs] = cfg.integrations;
    expect(bs.discoveryRole.arn).toBe("arn:aws-us-gov:iam::111122223333:role/backstage-org-discovery");
    expect(bs.memberRole.policyArns[0]).toBe("arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess");
  });

  const cases: Array<[string, string, RegExp]> = [
    ["unknown top-level key", BASE + "colour: blue\n", /\(top level\): unknown key "colour"/],
    ["unknown integration key", BASE + "    rolename: x\n", /integrations\.bs: unknown key "rolename"/],
    [
      "account id not 12 digits",
      BASE.replace('"111122223333"', '"1111"'),
      /organization\.managementAccountId: must be a 12-digit AWS account ID/,
    ],
    [
      "unquoted account id with leading zero is a number",
      BASE.replace('"111122223333"', "011122223333"),
      /organization\.managementAccountId/,
    ],
    [
      "bad partition",
      BASE.replace("homeRegion: us-east-1", "homeRegion: us-east-1\n  partition: aws-eu"),
      /organization\.partition: must be one of aws, aws-us-gov, aws-cn/,
    ],
    ["bad region", BASE.replace("us-east-1", "mars-1"), /organization\.homeRegion: must be an AWS region/],
    ["yaml syntax error", BASE + "  bad: [unclosed\n", /:\d+:\d+: YAML syntax error/],
    [
      "unknown consumer",
      BASE.replace("consumer: backstage", "consumer: grafana"),
      /integrations\.bs\.consumer: unknown consumer "grafana"/,
    ],
    [
      "wrong partition ARN",
      BASE.replace("arn:aws:iam", "arn:aws-cn:iam"),
      /trustedPrincipal: ARN partition "aws-cn" does not match organization\.partition "aws"/,
    ],
    [
      "external id with a space",
      BASE + "    externalId: { source: value, value: 'has space' }\n",
      /integrations\.bs\.externalId\.value: must be 2-1,224 characters/,
    ],
    [
      "role name too long",
      BASE + `    memberRole: { name: ${"r".repeat(65)} }\n`,
      /integrations\.bs\.memberRole\.name: must be an IAM role name/,
    ],
    [
      "bad OU id",
      BASE + "exclusions:\n  organizationalUnits: [ou-nope]\n",
      /exclusions\.organizationalUnits\.0: must be an OU ID/,
    ],
    [
      "unknown consumer option",
      BASE + "    options: { colour: red }\n",
      /integrations\.bs\.options: unknown key "colour"/,
    ],
    [
      "missing trusted principal",
      BASE.replace("    trustedPrincipal: arn:aws:iam::444455556666:role/backstage\n", ""),
      /trustedPrincipal: is required for backstage/,
    ],
    ["version missing", BASE.replace("version: 1\n", ""), /version/],
  ];
  test.each(cases)("%s", async (_name, yaml, pattern) => {
    const r = await configError(yaml);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).toMatch(/\(fix: /);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("the config is checked completely at load", () => {
  const EXAMPLE_CONFIG = path.resolve(__dirname, "..", "..", "examples", "orgtrust.yaml");

  test("three problems (one in the schema, two across fields) are three lines, exit 2, nothing written", async () => {
    const dir = tmp();
    fs.copyFileSync(EXAMPLE_SNAPSHOT, path.join(dir, "org.json"));
    const text = fs
      .readFileSync(EXAMPLE_CONFIG, "utf8")
      .replace("memberRole: { policy: SecurityAudit }", "memberRole: { policy: Admin }")
      .replace("env: PORT_EXTERNAL_ID", "env: version")
      .replace("      organizationHandle: acme\n", "      handlePrefix: aws_\n");
    fs.writeFileSync(path.join(dir, "orgtrust.yaml"), text);
    const r = await runCli(["synth", "--out", "out"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(
        /^orgtrust: error: orgtrust\.yaml: integrations\.steampipe\.memberRole\.policy: must be one of ReadOnlyAccess, SecurityAudit, ViewOnlyAccess \(fix: /,
      ),
      expect.stringMatching(
        /^orgtrust: error: orgtrust\.yaml: integrations\.port\.externalId\.env: version names the stack's Terraform input variable .*is reserved by Terraform \(fix: use another environment variable name/,
      ),
      expect.stringMatching(
        /^orgtrust: error: orgtrust\.yaml: integrations\.pipes\.options: set organizationHandle \(a Pipes organization\) or tenantHandle \(a Pipes tenant\) \(fix: add one of them\)$/,
      ),
    ]);
    expect(r.stdout).toBe("");
    expect(fs.readdirSync(dir).sort()).toEqual(["org.json", "orgtrust.yaml"]);
  });

  test("a rule of generate (Apono's connector) fails synth and drift as well, at load", async () => {
    const dir = tmp();
    fs.copyFileSync(EXAMPLE_SNAPSHOT, path.join(dir, "org.json"));
    fs.writeFileSync(
      path.join(dir, "orgtrust.yaml"),
      fs.readFileSync(EXAMPLE_CONFIG, "utf8").replace("connectorId: acme-connector", "integrationName: x"),
    );
    for (const args of [
      ["synth", "--out", "out"],
      ["drift", "--snapshot", "org.json"],
    ]) {
      const r = await runCli(args, { cwd: dir, env: { AWS_ENDPOINT_URL: "http://127.0.0.1:9" } });
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({
        args,
        code: 2,
        stderr:
          "orgtrust: error: orgtrust.yaml: integrations.apono.options.connectorId: is required for apono (fix: set it to the id of your Apono connector)\n",
      });
    }
    expect(fs.readdirSync(dir).sort()).toEqual(["org.json", "orgtrust.yaml"]);
  });

  test("extra exclusions (the --exclude-* flags) merge into the config before the integrations resolve", () => {
    const text = fs.readFileSync(EXAMPLE_CONFIG, "utf8");
    const plain = readConfig(text, "orgtrust.yaml", path.dirname(EXAMPLE_CONFIG));
    const extra = readConfig(text, "orgtrust.yaml", path.dirname(EXAMPLE_CONFIG), {
      organizationalUnits: ["ou-a1b2-pr0d0001", "ou-a1b2-sandb0x1"],
      accounts: ["432109876543"],
    });
    expect(extra.config.exclusions).toEqual({
      ...plain.config.exclusions,
      organizationalUnits: ["ou-a1b2-pr0d0001", "ou-a1b2-sandb0x1"],
      accounts: ["098765432109", "432109876543"],
    });
    const cq = extra.integrations.find((i) => i.name === "cloudquery")!;
    expect(cq.exclusions.organizationalUnits).toEqual(["ou-a1b2-pr0d0001", "ou-a1b2-sandb0x1", "ou-a1b2-sec0curi"]);
    expect(cq.exclusions.accounts).toEqual(["098765432109", "432109876543"]);
    expect(plain.integrations.find((i) => i.name === "cloudquery")!.exclusions.accounts).toEqual(["098765432109"]);
  });
});

describe("exclusions through the CLI (snapshot mode)", () => {
  test("--exclude-ou and --exclude-account add to the config; summary by reason", async () => {
    const r = await runCli([
      "discover",
      "--snapshot",
      EXAMPLE_SNAPSHOT,
      "--exclude-ou",
      "ou-a1b2-pr0d0001",
      "--exclude-account",
      "432109876543",
      "--json",
    ]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    const reasons = Object.fromEntries(
      s.excluded.map((e: { id: string; reasons: Array<{ kind: string }> }) => [e.id, e.reasons.map((x) => x.kind)]),
    );
    // Prod and its nested Prod Regulated OU are out, with the Prod OU as the reason.
    expect(reasons["239485760123"]).toEqual(["excluded-ou"]);
    expect(s.excluded.find((e: { id: string }) => e.id === "239485760123").reasons[0].ouId).toBe("ou-a1b2-pr0d0001");
    expect(reasons["876543210987"]).toEqual(["excluded-ou"]);
    expect(reasons["432109876543"]).toEqual(["excluded-account"]);
    expect(reasons["890127654389"]).toEqual(["inactive"]);
    expect(s.inScope.map((a: { id: string }) => a.id)).not.toContain("239485760123");
    expect(s.inScope.map((a: { id: string }) => a.id)).toContain("111122223333");
  });

  test("an exclusion that matches nothing warns, and fails with --strict", async () => {
    const warn = await runCli(["discover", "--snapshot", EXAMPLE_SNAPSHOT, "--exclude-ou", "ou-zzzz-zzzzzzzz"]);
    expect(warn.code).toBe(0);
    expect(warn.stderr).toMatch(/warning: exclusions: OU ou-zzzz-zzzzzzzz matches nothing/);
    const strict = await runCli([
      "discover",
      "--snapshot",
      EXAMPLE_SNAPSHOT,
      "--exclude-account",
      "000000000000",
      "--strict",
    ]);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/account 000000000000 matches nothing .*\(fix: /);
  });

  test("a malformed --exclude-ou is exit 2 before anything runs", async () => {
    const r = await runCli(["discover", "--snapshot", EXAMPLE_SNAPSHOT, "--exclude-ou", "sandbox"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^orgtrust: error: --exclude-ou sandbox: must be an OU ID/);
  });

  test("a snapshot of another schema version, or truncated, is rejected with the remedy", async () => {
    const dir = tmp();
    const v2 = path.join(dir, "v2.json");
    fs.writeFileSync(
      v2,
      JSON.stringify({ ...JSON.parse(fs.readFileSync(EXAMPLE_SNAPSHOT, "utf8")), schemaVersion: 2 }),
    );
    const a = await runCli(["discover", "--snapshot", v2]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(
      /schemaVersion 2 is not supported, this orgtrust reads schemaVersion 1 \(fix: re-run `orgtrust discover/,
    );
    const cut = path.join(dir, "cut.json");
    fs.writeFileSync(cut, fs.readFileSync(EXAMPLE_SNAPSHOT, "utf8").slice(0, 500));
    const b = await runCli(["discover", "--snapshot", cut]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/not valid JSON, the file may be truncated/);
  });

  test("re-saving the example snapshot is byte-identical (canonical order)", async () => {
    const out = path.join(tmp(), "org.json");
    const r = await runCli(["discover", "--snapshot", EXAMPLE_SNAPSHOT, "--out", out]);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(out, "utf8")).toBe(fs.readFileSync(EXAMPLE_SNAPSHOT, "utf8"));
  });
});

describe("orgtrust in a pipeline", () => {
  test.each([
    ["drift --help", ["drift", "--help"]],
    [
      "discover --json",
      ["discover", "--config", "examples/orgtrust.yaml", "--snapshot", "examples/org.json", "--json"],
    ],
  ])("%s into a reader that has already gone: quiet exit 0, no EPIPE crash", (_label, args) => {
    // `true` exits before orgtrust starts writing, so every write meets a closed pipe.
    const cmd = `set -o pipefail; "${process.execPath}" "${BIN}" ${args.map((a) => `'${a}'`).join(" ")} | true`;
    const r = spawnSync("bash", ["-c", cmd], { cwd: REPO, encoding: "utf8", env: { ...process.env, CI: "true" } });
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled|at /);
    expect(r.status).toBe(0);
  });
});

describe("usage", () => {
  test("no command is a usage error (exit 2, usage on stderr); --help and help <command> are not", async () => {
    const bare = await runCli([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("Usage: orgtrust [options] [command]");
    expect(bare.stdout).toBe("");
    for (const args of [["--help"], ["help", "synth"], ["drift", "--help"]]) {
      const r = await runCli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 0 });
      expect(r.stdout).toContain("Usage: orgtrust");
    }
  });
});
