import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { awsClients } from "../support/aws-clients";
import { runCli, REPO } from "../support/cli";
import { describeWithMoto } from "../support/moto";
import { buildOrg } from "../support/org-fixture";
import { FIXTURE, SECRETS, SECRET_ENV, readTree, tmpDir, writeConfig } from "../fixtures/generate";

const CONSUMER_DIRS = [
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

const terraformAvailable = spawnSync("terraform", ["version"], { stdio: "ignore" }).status === 0;

describe("orgtrust generate (CLI)", () => {
  test("the example: every consumer generated for examples/orgtrust.yaml, then --check exits 0", async () => {
    const out = tmpDir();
    // The AWS CLI, Steampipe and c7n-org files carry the generated external IDs: without them, exit 2 naming the fix.
    const missing = await runCli(["generate", "--config", "examples/orgtrust.yaml", "--out", out]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /integration awscli \(aws-cli\) writes the external ID into its files, whose format cannot reference a variable: .*\(fix: export ORGTRUST_AWSCLI_EXTERNAL_ID="\$\(aws secretsmanager get-secret-value --secret-id orgtrust\/awscli\/external-id/,
    );
    expect(fs.readdirSync(out)).toEqual([]);
    const env = {
      ORGTRUST_AWSCLI_EXTERNAL_ID: "awscli-example-0123456789",
      ORGTRUST_CUSTODIAN_EXTERNAL_ID: "c7n-example-0123456789",
      ORGTRUST_STEAMPIPE_EXTERNAL_ID: "sp-example-0123456789",
    };
    const run = (args: string[] = []) =>
      runCli(["generate", "--config", "examples/orgtrust.yaml", "--out", out, ...args], { env });
    const r = await run();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(CONSUMER_DIRS);
    const tree = readTree(out);
    expect(Object.keys(tree).length).toBe(12);
    expect(r.stdout).toContain("9 integrations, 12 files (12 written, 0 unchanged)");
    for (const f of ["awscli/aws-config", "custodian/accounts.yml", "steampipe/aws-config"])
      expect(fs.statSync(path.join(out, f)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(out, "backstage", "app-config.yaml")).mode & 0o777).toBe(0o644);
    const check = await run(["--check"]);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain("12 generated files are up to date");
    const again = await run();
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("(0 written, 12 unchanged)");
    expect(readTree(out)).toEqual(tree);
  });

  test("HCL outputs are terraform fmt clean", () => {
    if (!terraformAvailable) {
      console.warn(
        "\n*** terraform is not on PATH: the `terraform fmt -check` test of the HCL outputs did NOT run. ***\n",
      );
      return;
    }
    const out = tmpDir();
    const w = writeConfig();
    const r = spawnSync(
      process.execPath,
      [path.join(REPO, "bin", "orgtrust"), "generate", "--config", w.config, "--out", out],
      { encoding: "utf8", env: { ...process.env, CI: "true" } },
    );
    expect(r.status).toBe(0);
    const hcl = Object.keys(readTree(out)).filter((f) => /\.(tf|spc)$/.test(f));
    expect(hcl.sort()).toEqual(["apono/apono.tf", "pipes/pipes.tf", "steampipe/aws.spc", "terraform/providers.tf"]);
    const fmtDir = tmpDir("orgtrust-fmt-");
    for (const f of hcl)
      fs.copyFileSync(path.join(out, f), path.join(fmtDir, f.replace(/\//g, "_").replace(/\.spc$/, ".tf")));
    const fmt = spawnSync("terraform", ["fmt", "-check", "-diff", fmtDir], {
      encoding: "utf8",
      env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "/dev/null" },
    });
    expect(fmt.stdout).toBe("");
    expect(fmt.status).toBe(0);
  });

  test("--check reports a hand edit and a missing file with a diff and exit 1, and writes nothing", async () => {
    const w = writeConfig();
    const out = path.join(w.dir, "out");
    expect((await runCli(["generate", "--config", w.config, "--out", out])).code).toBe(0);
    const spc = path.join(out, "steampipe", "aws.spc");
    const edited = fs.readFileSync(spc, "utf8").replace('profile = "sp_audit"\n', 'profile = "sp_audit_edited"\n');
    expect(edited).toContain("sp_audit_edited");
    fs.writeFileSync(spc, edited);
    fs.rmSync(path.join(out, "port", ".env"));
    const before = readTree(out);
    const r = await runCli(["generate", "--config", w.config, "--out", out, "--check"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("differs: ");
    expect(r.stdout).toMatch(/-\s+profile = "sp_audit_edited"/);
    expect(r.stdout).toMatch(/\+\s+profile = "sp_audit"/);
    expect(r.stdout).toMatch(/missing: .*port\/\.env/);
    expect(r.stdout).toContain("2 of 12 generated files are missing, differ or are stale");
    expect(readTree(out)).toEqual(before);
    // --json carries the same result for machines.
    const j = await runCli(["generate", "--config", w.config, "--out", out, "--check", "--json"]);
    expect(j.code).toBe(1);
    const result = JSON.parse(j.stdout);
    expect(result.differences).toBe(2);
    expect(
      result.files.filter((f: any) => f.status !== "unchanged").map((f: any) => [path.relative(out, f.path), f.status]),
    ).toEqual([
      ["port/.env", "missing"],
      ["steampipe/aws.spc", "differs"],
    ]);
  });

  test("a file an earlier run generated and no longer renders: --check calls it stale, generate removes it, hand-written files stay", async () => {
    const w = writeConfig();
    const out = path.join(w.dir, "out");
    const args = ["generate", "--config", w.config, "--out", out, "--integration", "backstage"];
    expect((await runCli(args)).code).toBe(0);
    const entities = path.join(out, "backstage", "aws-accounts.yaml");
    expect(fs.existsSync(entities)).toBe(true); // exclusions: static entities
    const notes = path.join(out, "backstage", "README.md");
    fs.writeFileSync(notes, "# Our Backstage notes\n");
    const foreign = path.join(out, "backstage", "other.yaml");
    fs.writeFileSync(
      foreign,
      '# Generated by orgtrust for integration "port" (consumer port-ocean). Do not edit by hand:\n',
    );
    // Nothing excluded any more and plain account names: Backstage's account processor replaces the static entities.
    const plain = JSON.parse(fs.readFileSync(FIXTURE, "utf8"));
    for (const a of plain.accounts) a.name = `Account ${a.id}`;
    fs.writeFileSync(path.join(w.dir, "plain-org.json"), JSON.stringify(plain));
    writeConfig(
      { snapshot: path.join(w.dir, "plain-org.json"), exclusionsYaml: "exclusions:\n  skipInactiveAccounts: false" },
      w.dir,
    );
    const before = readTree(out);
    const check = await runCli([...args, "--check"]);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/stale: .*backstage\/aws-accounts\.yaml \(generated earlier, no longer rendered/);
    expect(check.stdout).not.toMatch(/README\.md|other\.yaml/);
    expect(readTree(out)).toEqual(before);
    const r = await runCli(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/removed {3}.*backstage\/aws-accounts\.yaml/);
    expect(r.stdout).toContain("1 stale removed");
    expect(fs.existsSync(entities)).toBe(false);
    expect(fs.readFileSync(notes, "utf8")).toBe("# Our Backstage notes\n");
    expect(fs.existsSync(foreign)).toBe(true);
    expect((await runCli([...args, "--check"])).code).toBe(0);
  });

  test("collisions are warned on stderr", async () => {
    const w = writeConfig();
    const r = await runCli([
      "generate",
      "--config",
      w.config,
      "--out",
      path.join(w.dir, "out"),
      "--integration",
      "steampipe",
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'warning: integration steampipe: Steampipe connection name "aws_payments_prod" is derived from 2 names; suffixed with the ID: 500000000001 "Payments Prod" -> aws_payments_prod_500000000001, 500000000002 "payments-prod" -> aws_payments_prod_500000000002',
    );
    expect(r.stdout).toContain("identifier collisions resolved");
  });

  describe("custom templates", () => {
    const custom = (dir: string, template: string, partials: Record<string, string> = {}) => {
      fs.mkdirSync(path.join(dir, "tpl"), { recursive: true });
      fs.writeFileSync(path.join(dir, "tpl", "inventory.hbs"), template);
      for (const [name, text] of Object.entries(partials))
        fs.writeFileSync(path.join(dir, "tpl", `_${name}.hbs`), text);
      return "  inventory:\n    consumer: tpl/inventory.hbs\n    trustedPrincipal: arn:aws:iam::999999999999:role/inv\n    output: { file: inventory.csv }\n";
    };

    test("renders a .hbs path with the same context and its partials, to output.file", async () => {
      const dir = tmpDir();
      const extra = custom(
        dir,
        '{{header "#"}}\nid,name,ou,role\n{{#each accounts}}\n{{> row}}\n{{/each}}\n# excluded: {{#each excluded}}{{id}} {{/each}}\n',
        {
          // A standalone {{> row}} line takes the partial's own line break (mustache rules).
          row: "{{id}},{{names.slug}},{{ouPath}},{{memberRoleArn}}\n",
        },
      );
      const w = writeConfig({ extraIntegrations: extra }, dir);
      const r = await runCli([
        "generate",
        "--config",
        w.config,
        "--out",
        path.join(dir, "out"),
        "--integration",
        "inventory",
      ]);
      expect(r.stderr).toContain("identifier (slug)");
      expect(r.code).toBe(0);
      const text = fs.readFileSync(path.join(dir, "out", "inventory", "inventory.csv"), "utf8");
      expect(text).toContain('# Generated by orgtrust for integration "inventory" (custom template)');
      expect(text).toContain(
        "500000000001,payments-prod-500000000001,/Workloads/Prod,arn:aws:iam::500000000001:role/orgtrust-inventory-readonly\n",
      );
      expect(text).toContain("700000000004,42-labs,/Workloads/Dev,");
      expect(text).toContain("# excluded: 222222222222 400000000001");
    });

    test("a failing template leaves every existing output byte-identical (exit 2, file, line and helper named)", async () => {
      const dir = tmpDir();
      const extra = custom(dir, "{{#each accounts}}\n{{id}}\n{{/each}}\n");
      const w = writeConfig({ extraIntegrations: extra }, dir);
      const out = path.join(dir, "out");
      expect((await runCli(["generate", "--config", w.config, "--out", out])).code).toBe(0);
      const before = readTree(out);
      const beforeDir = fs.readdirSync(out).sort();
      expect(Object.keys(before).length).toBe(13);
      const tplFile = path.join(dir, "tpl", "inventory.hbs");
      // Each failure runs with an extra exclusion, so every other integration's files would change if written.
      const cases: Array<[string, Record<string, string>, RegExp]> = [
        ["line one\n{{#each accounts}}\n{{id}\n{{/each}}\n", {}, /template .*tpl\/inventory\.hbs:3: syntax error/],
        [
          "a\nb\n{{hcl accounts}}\n",
          {},
          /template .*tpl\/inventory\.hbs:3: helper "hcl": hcl list item expects a string, number or boolean, got an object/,
        ],
        [
          "{{#each accounts}}\n{{nope}}\n{{/each}}\n",
          {},
          /template .*tpl\/inventory\.hbs:2: unknown variable or helper "nope"/,
        ],
        [
          "{{#each accounts}}{{> row}}{{/each}}\n",
          { row: "ok\n{{ini tagList}}\n" },
          /template .*tpl\/_row\.hbs:2: helper "ini": ini expects a string, number or boolean, got a list/,
        ],
        ["{{> missing}}\n", {}, /template .*tpl\/inventory\.hbs: partial "missing" not found/],
      ];
      for (const [template, partials, message] of cases) {
        for (const f of fs.readdirSync(path.join(dir, "tpl"))) fs.rmSync(path.join(dir, "tpl", f));
        custom(dir, template, partials);
        const r = await runCli(["generate", "--config", w.config, "--out", out, "--exclude-account", "300000000001"]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(
          r.stderr
            .trim()
            .split("\n")
            .filter((l) => l.startsWith("orgtrust: error:")).length,
        ).toBe(1);
        expect(readTree(out)).toEqual(before);
        expect(fs.readdirSync(out).sort()).toEqual(beforeDir);
      }
      // The same run with the template fixed writes everything.
      fs.writeFileSync(tplFile, "{{#each accounts}}\n{{id}}\n{{/each}}\n");
      for (const f of fs.readdirSync(path.join(dir, "tpl"))) if (f.startsWith("_")) fs.rmSync(path.join(dir, "tpl", f));
      const ok = await runCli(["generate", "--config", w.config, "--out", out, "--exclude-account", "300000000001"]);
      expect(ok.code).toBe(0);
      expect(readTree(out)["terraform/providers.tf"]).not.toContain("300000000001");
    });
  });

  describe("external IDs", () => {
    const allSecrets = Object.values(SECRETS);

    test("--inline-secrets writes each value where its consumer reads it, warns, and never prints a value", async () => {
      const w = writeConfig();
      const out = path.join(w.dir, "out");
      const r = await runCli(["generate", "--config", w.config, "--out", out, "--inline-secrets"], { env: SECRET_ENV });
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("warning: --inline-secrets: the external IDs of");
      for (const s of allSecrets) {
        expect(r.stdout).not.toContain(s);
        expect(r.stderr).not.toContain(s);
      }
      const t = readTree(out);
      expect(t["backstage/app-config.yaml"]).toContain(`externalId: ${SECRETS.ORGTRUST_BACKSTAGE_EXTERNAL_ID}\n`);
      expect(t["port/.env"]).toContain(`OCEAN__INTEGRATION__CONFIG__EXTERNAL_ID=${SECRETS.PORT_EXT}\n`);
      expect(t["port/values.yaml"]).toContain(`  secrets:\n    externalId: ${SECRETS.PORT_EXT}\n`);
      expect(t["pipes/pipes.tf"]).toContain(
        `external_id                       = "${SECRETS.ORGTRUST_PIPES_EXTERNAL_ID}"`,
      );
      expect(t["pipes/pipes.tf"]).not.toContain("variable ");
      expect(t["steampipe/aws-config"]).toContain(`external_id = ${SECRETS.steampipe}\n`);
      expect(t["cloudquery/aws.yml"]).toContain(`member_external_id: ${SECRETS.cloudquery}\n`);
      expect(t["custodian/accounts.yml"]).toContain(`    external_id: ${SECRETS.custodian}\n`);
      expect(t["awscli/aws-config"]).toContain(`external_id = ${SECRETS.awscli}\n`);
      expect(t["terraform/providers.tf"]).toContain(`external_id  = "${SECRETS.terraform}"`);
      // Apono's resource has no external ID field: nothing inline there.
      expect(t["apono/apono.tf"]).not.toContain(SECRETS.APONO_EXT);
      // Files holding a secret are readable by the owner only.
      expect(fs.statSync(path.join(out, "terraform", "providers.tf")).mode & 0o777).toBe(0o600);

      // A check after a hand edit of a line holding a secret shows the diff with the value redacted.
      const cli = path.join(out, "awscli", "aws-config");
      fs.writeFileSync(cli, fs.readFileSync(cli, "utf8").replace("region = us-east-1", "region = eu-west-1"));
      fs.writeFileSync(
        cli,
        fs.readFileSync(cli, "utf8").replace(`external_id = ${SECRETS.awscli}`, `external_id = ${SECRETS.awscli}x`),
      );
      const check = await runCli(["generate", "--config", w.config, "--out", out, "--inline-secrets", "--check"], {
        env: SECRET_ENV,
      });
      expect(check.code).toBe(1);
      // Both sides are redacted (the value on disk is one orgtrust may not know): the external_id change itself is
      // invisible, the region change shows.
      expect(check.stdout).toContain("+region = us-east-1");
      expect(check.stdout).toContain(" external_id = <external-id redacted>");
      for (const s of allSecrets) {
        expect(check.stdout).not.toContain(s);
        expect(check.stderr).not.toContain(s);
      }
    });

    test("--inline-secrets with an env source that is not set: exit 2 naming the variable, nothing written", async () => {
      const w = writeConfig();
      const out = path.join(w.dir, "out");
      const env = { ...SECRET_ENV, PORT_EXT: undefined } as unknown as Record<string, string>;
      const r = await runCli(["generate", "--config", w.config, "--out", out, "--inline-secrets"], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        "integration port reads its external ID from the environment variable PORT_EXT, which is not set",
      );
      expect(fs.existsSync(out)).toBe(false);
    });

    test("--inline-secrets with a generated external ID and no value at hand: exit 2 pointing at the secret", async () => {
      const w = writeConfig();
      const env = { ...SECRET_ENV, ORGTRUST_BACKSTAGE_EXTERNAL_ID: undefined } as unknown as Record<string, string>;
      const r = await runCli(
        [
          "generate",
          "--config",
          w.config,
          "--out",
          path.join(w.dir, "out"),
          "--inline-secrets",
          "--integration",
          "backstage",
        ],
        { env },
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("stored in Secrets Manager secret orgtrust/backstage/external-id");
      expect(r.stderr).toContain("export ORGTRUST_BACKSTAGE_EXTERNAL_ID=");
    });
  });

  test("bad input: an unknown --integration is exit 2 naming the known ones", async () => {
    const w = writeConfig();
    const r = await runCli([
      "generate",
      "--config",
      w.config,
      "--integration",
      "nope",
      "--out",
      path.join(w.dir, "out"),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "--integration nope: no such integration in the config (fix: use one of apono, awscli, backstage",
    );
  });
});

describeWithMoto("orgtrust generate from live discovery (moto)", (moto) => {
  test("without a snapshot, discovers the org and honours the exclusions", async () => {
    const c = awsClients(moto().endpoint);
    const built = await buildOrg(c, {
      ous: [
        {
          name: "Apps",
          accounts: [
            { name: "App One", tags: { owner: "apps" } },
            { name: "App Gone", suspended: true },
          ],
        },
        { name: "Sandbox", accounts: [{ name: "Play" }] },
      ],
    });
    c.destroy();
    const dir = tmpDir();
    const config = path.join(dir, "orgtrust.yaml");
    fs.writeFileSync(
      config,
      `version: 1\norganization:\n  managementAccountId: "${built.managementAccountId}"\n  homeRegion: us-east-1\nexclusions:\n  organizationalUnits: [${built.ou.Sandbox}]\nintegrations:\n  terraform:\n    consumer: terraform\n    trustedPrincipal: arn:aws:iam::999999999999:role/t\n`,
    );
    const r = await runCli(["generate", "--config", config, "--out", path.join(dir, "out")], {
      endpoint: moto().endpoint,
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const tf = fs.readFileSync(path.join(dir, "out", "terraform", "providers.tf"), "utf8");
    for (const id of [built.managementAccountId, built.account["App One"]])
      expect(tf).toContain(`arn:aws:iam::${id}:role/orgtrust-terraform-readonly`);
    for (const id of [built.account["App Gone"], built.account.Play]) expect(tf).not.toContain(id);
  });
});
