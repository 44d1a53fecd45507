import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseHcl } from "@cdktf/hcl2json";
import { runCli } from "../support/cli";

/**
 * `orgtrust synth` shares each stack folder with Terraform (state, .terraform/, the lock file) and with the user's own
 * files. Through the CLI: synth replaces only what it wrote, keeps removed integrations that still hold state, writes
 * nothing when nothing changed, keeps the two formats apart, is all or nothing, and writes the configured backend
 * into both formats.
 */

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-state-"));

const INTEGRATIONS: Record<string, string> = {
  backstage: "    consumer: backstage\n    trustedPrincipal: arn:aws:iam::444455556666:role/backstage-backend\n",
  cq: "    consumer: cloudquery\n    trustedPrincipal: arn:aws:iam::444455556666:role/cloudquery-sync\n",
  steam: "    consumer: steampipe\n    trustedPrincipal: arn:aws:iam::444455556666:role/steampipe\n",
  old: "    consumer: aws-cli\n    trustedPrincipal: arn:aws:iam::444455556666:role/platform\n",
};

/** A small config (no snapshot: the root is targeted), with the integrations named, a tag and an optional backend. */
function writeConfig(dir: string, names: string[], opts: { tag?: string; backend?: string } = {}): string {
  const file = path.join(dir, "orgtrust.yaml");
  const body = names.map((n) => `  ${n}:\n${INTEGRATIONS[n]}    tags: { revision: "${opts.tag ?? "1"}" }\n`).join("");
  fs.writeFileSync(
    file,
    `version: 1
organization:
  managementAccountId: "111122223333"
  homeRegion: us-east-1
${opts.backend ? `backend:\n${opts.backend}\n` : ""}integrations:
${body}`,
  );
  return file;
}

interface Entry {
  content: string;
  mtimeMs: number;
  ino: number;
}

/** Every file under dir (relative path -> content, mtime, inode), directories' mtimes under "<dir>/". */
function snapshot(dir: string): Record<string, Entry | number> {
  const out: Record<string, Entry | number> = {};
  const walk = (d: string) => {
    out[`${path.relative(dir, d) || "."}/`] = fs.statSync(d).mtimeMs;
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = fs.statSync(p);
        out[path.relative(dir, p)] = { content: fs.readFileSync(p, "utf8"), mtimeMs: st.mtimeMs, ino: st.ino };
      }
    }
  };
  walk(dir);
  return out;
}

/** What `terraform init && apply` and a user leave in a stack folder. */
function terraformLeftovers(stackDir: string, name: string): Record<string, string> {
  const files: Record<string, string> = {
    [`terraform.${name}.tfstate`]: `{"version": 4, "serial": 7, "lineage": "state-of-${name}"}\n`,
    [`terraform.${name}.tfstate.backup`]: `{"version": 4, "serial": 6}\n`,
    ".terraform.lock.hcl":
      '# This file is maintained automatically by "terraform init".\nprovider "registry.terraform.io/hashicorp/aws" {}\n',
    ".terraform/terraform.tfstate": '{"version": 3, "backend": {"type": "local"}}\n',
    ".terraform/providers/registry.terraform.io/hashicorp/aws/6.25.0/linux_amd64/terraform-provider-aws": "binary\n",
    "override.tf": "# the user's own file\n",
    "prod.tfvars": 'management_account_role_arn = "arn:aws:iam::111122223333:role/x"\n',
  };
  for (const [f, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(stackDir, f)), { recursive: true });
    fs.writeFileSync(path.join(stackDir, f), content);
  }
  return files;
}

/** The files of a snapshot (content, mtime, inode), without directory mtimes: a rolled-back rename touches those. */
const filesOnly = (snap: Record<string, Entry | number>) =>
  Object.fromEntries(Object.entries(snap).filter(([k]) => !k.endsWith("/")));

const synth = (config: string, out: string | undefined, extra: string[] = [], cwd?: string) =>
  runCli(["synth", "--config", config, ...(out ? ["--out", out] : []), ...extra], { cwd });

const FORMATS: Array<["json" | "hcl", string[], string]> = [
  ["json", [], "cdk.tf.json"],
  ["hcl", ["--hcl"], "main.tf"],
];

describe.each(FORMATS)("synth (%s) keeps what it did not write", (format, flags, mainFile) => {
  test("state, backups, .terraform/, the lock file and user files survive a re-synth that changes the stack", async () => {
    const dir = tmp();
    const out = path.join(dir, "out");
    const config = writeConfig(dir, ["backstage", "cq"]);
    expect((await synth(config, out, flags)).code).toBe(0);
    const stack = path.join(out, "stacks", "backstage");
    const leftovers = terraformLeftovers(stack, "backstage");
    const before = snapshot(stack);
    const oldMain = fs.readFileSync(path.join(stack, mainFile), "utf8");

    writeConfig(dir, ["backstage", "cq"], { tag: "2" });
    const r = await synth(config, out, flags);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const after = snapshot(stack);
    // The generated file changed (the new tag) ...
    expect(fs.readFileSync(path.join(stack, mainFile), "utf8")).not.toBe(oldMain);
    expect(fs.readFileSync(path.join(stack, mainFile), "utf8")).toMatch(/revision"? *[:=] *"2"/);
    // ... and everything synth did not write is the same file, untouched.
    for (const f of Object.keys(leftovers)) expect({ f, entry: after[f] }).toEqual({ f, entry: before[f] });
    expect(after[".terraform/"]).toBe(before[".terraform/"]);
  });

  test("re-running with nothing changed is byte-identical and touches no file or directory", async () => {
    const dir = tmp();
    const out = path.join(dir, "out");
    const config = writeConfig(dir, ["backstage", "cq"]);
    expect((await synth(config, out, flags)).code).toBe(0);
    terraformLeftovers(path.join(out, "stacks", "cq"), "cq");
    const before = snapshot(out);
    await new Promise((r) => setTimeout(r, 30)); // a rewrite would now show in the mtimes
    const r = await synth(config, out, flags);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Nothing changed: every file was already up to date.");
    expect(snapshot(out)).toEqual(before);
  });
});

describe("removed integrations", () => {
  test("a removed integration's folder with state is kept whole, with a warning naming it; one without state is removed", async () => {
    const dir = tmp();
    const out = path.join(dir, "out");
    const config = writeConfig(dir, ["backstage", "cq", "old"]);
    expect((await synth(config, out)).code).toBe(0);
    const cq = path.join(out, "stacks", "cq");
    terraformLeftovers(cq, "cq");
    const cqBefore = snapshot(cq);

    writeConfig(dir, ["backstage"]);
    const r = await synth(config, out);
    expect(r.code).toBe(0);
    const warnings = r.stderr.trim().split("\n");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^warning: stacks\/cq: integration "cq" is no longer in the config, but the folder holds files synth did not write \(\.terraform\.lock\.hcl, \.terraform\/, override\.tf, prod\.tfvars, terraform\.cq\.tfstate, terraform\.cq\.tfstate\.backup\); kept as it is, generated files included, so `terraform destroy` there/,
    );
    expect(r.stdout).toContain("stacks/cq: integration cq is no longer configured; kept");
    // Kept whole: the state and the generated files (terraform destroy still works there).
    expect(snapshot(cq)).toEqual(cqBefore);
    // Nothing but generated files: removed with its folder.
    expect(fs.existsSync(path.join(out, "stacks", "old"))).toBe(false);
    expect(Object.keys(JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")).stacks)).toEqual([
      "backstage",
    ]);

    // Still there, and still warned about, on the next run.
    const again = await synth(config, out);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^warning: stacks\/cq: /);
    expect(snapshot(cq)).toEqual(cqBefore);
  });

  test("--integration runs never prune", async () => {
    const dir = tmp();
    const out = path.join(dir, "out");
    const config = writeConfig(dir, ["backstage", "cq"]);
    expect((await synth(config, out)).code).toBe(0);
    expect((await synth(config, out, ["--integration", "backstage"])).code).toBe(0);
    expect(fs.readdirSync(path.join(out, "stacks")).sort()).toEqual(["backstage", "cq"]);
  });
});

describe("synth and synth --hcl never overwrite each other", () => {
  test("by default they write to different folders (cdktf.out, infra/orgtrust)", async () => {
    const dir = tmp();
    const config = writeConfig(dir, ["backstage"]);
    const json = await synth(config, undefined, [], dir);
    expect(json.code).toBe(0);
    const jsonTree = snapshot(path.join(dir, "cdktf.out"));
    const hcl = await synth(config, undefined, ["--hcl"], dir);
    expect(hcl.code).toBe(0);
    expect(hcl.stdout).toContain("into infra/orgtrust");
    expect(hcl.stdout).toContain("Next: cd infra/orgtrust/stacks/backstage && terraform init && terraform apply\n");
    expect(json.stdout).toContain(
      "Next: cd cdktf.out/stacks/backstage && terraform init && terraform apply   (Terraform reads cdk.tf.json as it is)\n",
    );
    for (const r of [json, hcl]) expect(r.stdout).not.toContain("cdktf deploy");
    expect(fs.readdirSync(path.join(dir, "infra", "orgtrust", "stacks", "backstage")).sort()).toEqual([
      "main.tf",
      "member-role.yaml",
      "orgtrust-coverage.json",
    ]);
    expect(snapshot(path.join(dir, "cdktf.out"))).toEqual(jsonTree);
  });

  test("in one folder the other format is refused (exit 2, nothing changed); --force switches it and keeps the state", async () => {
    const dir = tmp();
    const out = path.join(dir, "out");
    const config = writeConfig(dir, ["backstage"]);
    expect((await synth(config, out)).code).toBe(0);
    const stack = path.join(out, "stacks", "backstage");
    const leftovers = terraformLeftovers(stack, "backstage");
    const before = snapshot(out);
    const r = await synth(config, out, ["--hcl"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^orgtrust: error: --out .*out: stacks\/backstage holds the Terraform JSON of `orgtrust synth` \(cdk\.tf\.json\); --hcl would replace it \(fix: give this format its own --out .*, or pass --force/,
    );
    expect(snapshot(out)).toEqual(before);

    const forced = await synth(config, out, ["--hcl", "--force"]);
    expect(forced.code).toBe(0);
    const files = fs.readdirSync(stack).sort();
    expect(files).not.toContain("cdk.tf.json");
    expect(files).toEqual(
      expect.arrayContaining([
        "main.tf",
        "member-role.yaml",
        "orgtrust-coverage.json",
        ...Object.keys(leftovers).filter((f) => !f.includes("/")),
      ]),
    );
    const after = snapshot(stack);
    for (const f of Object.keys(leftovers))
      expect({ f, entry: after[f] }).toEqual({
        f,
        entry: (before as Record<string, unknown>)[`stacks/backstage/${f}`],
      });
  });

  test("a file of the user's in the place of a generated one is refused without --force", async () => {
    const dir = tmp();
    const out = path.join(dir, "out");
    const config = writeConfig(dir, ["backstage"]);
    const stack = path.join(out, "stacks", "backstage");
    fs.mkdirSync(stack, { recursive: true });
    fs.writeFileSync(path.join(stack, "main.tf"), "# mine\n");
    const r = await synth(config, out, ["--hcl"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /stacks\/backstage\/main\.tf exists and was not written by orgtrust synth \(fix: move it away, or pass --force to replace it\)/,
    );
    expect(fs.readdirSync(stack)).toEqual(["main.tf"]);
    expect(fs.readFileSync(path.join(stack, "main.tf"), "utf8")).toBe("# mine\n");
  });
});

/** Makes a directory unwritable for this process (chmod, or for root chattr +i); undefined when neither works here. */
function lockDirectory(dir: string): (() => void) | undefined {
  if (process.getuid?.() !== 0) {
    fs.chmodSync(dir, 0o555);
    return () => fs.chmodSync(dir, 0o755);
  }
  const r = spawnSync("chattr", ["+i", dir], { encoding: "utf8" });
  if (r.status !== 0) return undefined;
  return () => {
    spawnSync("chattr", ["-i", dir]);
  };
}

describe("all or nothing", () => {
  test("a commit that fails part-way (an unwritable stack folder) restores every previous file, pruned stacks included", async () => {
    const dir = tmp();
    const out = path.join(dir, "out");
    const config = writeConfig(dir, ["backstage", "cq", "steam", "old"]);
    expect((await synth(config, out)).code).toBe(0);
    terraformLeftovers(path.join(out, "stacks", "backstage"), "backstage");
    const before = snapshot(out);
    // Every stack changes (the tag) and "old" is pruned; the last stack written ("steam") cannot be written.
    writeConfig(dir, ["backstage", "cq", "steam"], { tag: "2" });
    const unlock = lockDirectory(path.join(out, "stacks", "steam"));
    if (!unlock) {
      console.warn(
        "\n*** cannot make a directory unwritable here (no chattr as root): the failed-commit test is SKIPPED ***\n",
      );
      return;
    }
    let r;
    try {
      r = await synth(config, out);
    } finally {
      unlock();
    }
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^orgtrust: error: --out .*: could not write the synthesized stacks \(.*\); nothing was changed, the previous output was kept/,
    );
    expect(filesOnly(snapshot(out))).toEqual(filesOnly(before));
    expect(fs.existsSync(path.join(out, "stacks", "old", "cdk.tf.json"))).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.includes("orgtrust-synth"))).toEqual([]);
    // The same run succeeds once the folder is writable again.
    const ok = await synth(config, out);
    expect(ok.code).toBe(0);
    expect(fs.existsSync(path.join(out, "stacks", "old"))).toBe(false);
  });
});

describe("backends from orgtrust.yaml, in cdk.tf.json and main.tf", () => {
  const CASES: Array<{ kind: string; yaml: string; json: Record<string, unknown>; hcl: Record<string, unknown> }> = [
    {
      kind: "local (default)",
      yaml: "",
      json: { backend: { local: { path: "terraform.backstage.tfstate" } } },
      hcl: { backend: { local: [{ path: "terraform.backstage.tfstate" }] } },
    },
    {
      kind: "local outside the output",
      yaml: "  type: local\n  path: ../../../state/{integration}.tfstate",
      json: { backend: { local: { path: "../../../state/backstage.tfstate" } } },
      hcl: { backend: { local: [{ path: "../../../state/backstage.tfstate" }] } },
    },
    {
      kind: "s3",
      yaml: "  type: s3\n  bucket: acme-terraform-state\n  key: orgtrust/{integration}.tfstate\n  region: eu-west-1\n  dynamodb_table: terraform-locks\n  kms_key_id: alias/terraform-state",
      json: {
        backend: {
          s3: {
            bucket: "acme-terraform-state",
            key: "orgtrust/backstage.tfstate",
            region: "eu-west-1",
            use_lockfile: true,
            encrypt: true,
            dynamodb_table: "terraform-locks",
            kms_key_id: "alias/terraform-state",
          },
        },
      },
      hcl: {
        backend: {
          s3: [
            {
              bucket: "acme-terraform-state",
              key: "orgtrust/backstage.tfstate",
              region: "eu-west-1",
              use_lockfile: true,
              encrypt: true,
              dynamodb_table: "terraform-locks",
              kms_key_id: "alias/terraform-state",
            },
          ],
        },
      },
    },
    {
      kind: "s3 with its defaults",
      yaml: "  type: s3\n  bucket: acme-terraform-state\n  key: orgtrust/{integration}.tfstate\n  region: us-east-1\n  use_lockfile: true\n  encrypt: false",
      json: {
        backend: {
          s3: {
            bucket: "acme-terraform-state",
            key: "orgtrust/backstage.tfstate",
            region: "us-east-1",
            use_lockfile: true,
            encrypt: false,
          },
        },
      },
      hcl: {
        backend: {
          s3: [
            {
              bucket: "acme-terraform-state",
              key: "orgtrust/backstage.tfstate",
              region: "us-east-1",
              use_lockfile: true,
              encrypt: false,
            },
          ],
        },
      },
    },
    {
      kind: "cloud",
      yaml: "  type: cloud\n  organization: acme\n  workspace: orgtrust-{integration}\n  project: security\n  hostname: tfe.example.com",
      json: {
        cloud: {
          organization: "acme",
          hostname: "tfe.example.com",
          workspaces: { name: "orgtrust-backstage", project: "security" },
        },
      },
      hcl: {
        cloud: [
          {
            organization: "acme",
            hostname: "tfe.example.com",
            workspaces: [{ name: "orgtrust-backstage", project: "security" }],
          },
        ],
      },
    },
  ];

  test.each(CASES)("$kind", async ({ yaml, json, hcl }) => {
    const dir = tmp();
    const config = writeConfig(dir, ["backstage", "cq"], { backend: yaml || undefined });
    const outs = { json: path.join(dir, "json"), hcl: path.join(dir, "hcl") };
    expect((await synth(config, outs.json)).code).toBe(0);
    expect((await synth(config, outs.hcl, ["--hcl"])).code).toBe(0);
    const tf = JSON.parse(
      fs.readFileSync(path.join(outs.json, "stacks", "backstage", "cdk.tf.json"), "utf8"),
    ).terraform;
    const { required_providers: _p, required_version: _v, ...jsonBackend } = tf;
    expect(jsonBackend).toEqual(json);
    const main = fs.readFileSync(path.join(outs.hcl, "stacks", "backstage", "main.tf"), "utf8");
    const parsed = (await parseHcl("main.tf", main)) as { terraform: Array<Record<string, unknown>> };
    const { required_providers: _p2, required_version: _v2, ...hclBackend } = parsed.terraform[0];
    expect(hclBackend).toEqual(hcl);
    // Each integration its own state.
    const other = JSON.stringify(
      JSON.parse(fs.readFileSync(path.join(outs.json, "stacks", "cq", "cdk.tf.json"), "utf8")).terraform,
    );
    expect(other).not.toContain("backstage");
  });

  const BAD: Array<[string, string, RegExp]> = [
    ["s3 without a bucket", "  type: s3\n  key: o/{integration}\n  region: us-east-1", /backend\.bucket: is required/],
    [
      "s3 with one key for two integrations",
      "  type: s3\n  bucket: acme-state\n  key: orgtrust.tfstate\n  region: us-east-1",
      /backend\.key: "orgtrust\.tfstate" gives integrations backstage and cq the same state \(fix: put \{integration\} in it/,
    ],
    [
      "s3 key with a leading /",
      "  type: s3\n  bucket: acme-state\n  key: /o/{integration}\n  region: us-east-1",
      /backend\.key: must not start or end with "\/"/,
    ],
    ["s3 without a region", "  type: s3\n  bucket: acme-state\n  key: o/{integration}", /backend\.region: is required/],
    [
      "s3 with a camelCase key",
      "  type: s3\n  bucket: acme-state\n  key: o/{integration}\n  region: us-east-1\n  useLockfile: true",
      /backend: unknown key "useLockfile"/,
    ],
    [
      "s3 with a bad bucket name",
      "  type: s3\n  bucket: Acme_State\n  key: o/{integration}\n  region: us-east-1",
      /backend\.bucket: must be an S3 bucket name/,
    ],
    ["an unknown type", "  type: gcs\n  bucket: b", /backend\.type: must have type: local, s3 or cloud/],
    [
      "a local absolute path",
      "  type: local\n  path: /var/state/{integration}.tfstate",
      /backend\.path: must be relative to the stack directory/,
    ],
    [
      "a local path onto a generated file",
      "  type: local\n  path: main.tf",
      /backend\.path: "main\.tf" is a file synth writes/,
    ],
    ["cloud without a workspace", "  type: cloud\n  organization: acme", /backend\.workspace: is required/],
    [
      "cloud with another placeholder",
      "  type: cloud\n  organization: acme\n  workspace: orgtrust-{name}",
      /backend\.workspace: the only placeholder is \{integration\}/,
    ],
    [
      "cloud with a ${} expression",
      "  type: cloud\n  organization: acme\n  workspace: orgtrust-${integration}",
      /backend\.workspace: cannot hold a \$\{\.\.\.\} expression/,
    ],
  ];

  test.each(BAD)(
    "bad backend: %s: exit 2, one line naming the field, nothing written",
    async (_what, yaml, message) => {
      const dir = tmp();
      const config = writeConfig(dir, ["backstage", "cq"], { backend: yaml });
      for (const flags of [[], ["--hcl"]]) {
        const r = await synth(config, path.join(dir, "out"), flags);
        expect(r.code).toBe(2);
        expect(r.stderr.trim().split("\n")).toHaveLength(1);
        expect(r.stderr).toMatch(/^orgtrust: error: .*orgtrust\.yaml: /);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).toContain("fix:");
      }
      expect(fs.readdirSync(dir)).toEqual(["orgtrust.yaml"]);
    },
  );
});

describe("hints point at the recommended route", () => {
  test("orgtrust example ends with the route for a real org (HCL export, terraform in the stack folder), never `cdktf deploy` in this checkout", async () => {
    const out = path.join(tmp(), "example");
    const r = await runCli(["example", "--out", out]);
    expect(r.code).toBe(0);
    const next = r.stdout.slice(r.stdout.indexOf("== next, for your own organization"));
    expect(next).toContain("orgtrust synth --hcl ");
    expect(next).toContain("cd infra/orgtrust/stacks/<integration> && terraform init && terraform apply\n");
    expect(r.stdout).not.toMatch(/cdktf deploy/);
    // The bundled org is not one to deploy to: no "Next:" pointing into the example's output.
    expect(r.stdout).not.toContain("Next: cd");
  });
});

describe("output of orgtrust versions before the file list", () => {
  test.each(FORMATS)(
    "%s: a stack written without manifest file lists or the JSON marker is still recognised and updated in place",
    async (_format, flags, mainFile) => {
      const dir = tmp();
      const out = path.join(dir, "out");
      const config = writeConfig(dir, ["backstage"]);
      expect((await synth(config, out, flags)).code).toBe(0);
      // What the old synth left: manifest entries without "orgtrust", cdk.tf.json without "//".orgtrust.
      const manifestFile = path.join(out, "manifest.json");
      const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8"));
      for (const s of Object.values<Record<string, unknown>>(manifest.stacks)) delete s.orgtrust;
      fs.writeFileSync(manifestFile, JSON.stringify(manifest));
      const stack = path.join(out, "stacks", "backstage");
      if (mainFile === "cdk.tf.json") {
        const doc = JSON.parse(fs.readFileSync(path.join(stack, mainFile), "utf8"));
        delete doc["//"].orgtrust;
        fs.writeFileSync(path.join(stack, mainFile), JSON.stringify(doc));
      }
      const leftovers = terraformLeftovers(stack, "backstage");
      writeConfig(dir, ["backstage"], { tag: "2" });
      const r = await synth(config, out, flags);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(fs.readFileSync(path.join(stack, mainFile), "utf8")).toMatch(/revision"? *[:=] *"2"/);
      for (const [f, content] of Object.entries(leftovers))
        expect(fs.readFileSync(path.join(stack, f), "utf8")).toBe(content);
      expect(JSON.parse(fs.readFileSync(manifestFile, "utf8")).stacks.backstage.orgtrust.files).toEqual(
        flags.length
          ? ["main.tf", "member-role.yaml", "orgtrust-coverage.json"]
          : ["cdk.tf.json", "orgtrust-coverage.json"],
      );
    },
  );
});

describe("stack files that hold an external ID written in the config", () => {
  const config = (dir: string, externalId: string) => {
    const file = path.join(dir, "orgtrust.yaml");
    fs.writeFileSync(
      file,
      `version: 1
organization:
  managementAccountId: "111122223333"
  homeRegion: us-east-1
integrations:
  valued:
    consumer: aws-cli
    trustedPrincipal: arn:aws:iam::444455556666:role/platform
    externalId: ${externalId}
`,
    );
    return file;
  };
  const mode = (f: string) => fs.statSync(f).mode & 0o777;

  test.each([
    ["cdk.tf.json", []],
    ["main.tf", ["--hcl"]],
  ])(
    "%s with a `source: value` external ID is 0600 (an older 0644 copy is narrowed); an env-sourced one stays 0644",
    async (file, flags) => {
      const dir = tmp();
      const out = path.join(dir, "out");
      const valued = config(dir, '{ source: value, value: "ext-mode-check-9Tq2Lw" }');
      expect((await runCli(["synth", "--config", valued, "--out", out, ...flags])).code).toBe(0);
      const stackFile = path.join(out, "stacks", "valued", file);
      expect(fs.readFileSync(stackFile, "utf8")).toContain("ext-mode-check-9Tq2Lw");
      expect(mode(stackFile)).toBe(0o600);
      // A re-run with nothing changed writes nothing, but a copy left readable by others is narrowed.
      fs.chmodSync(stackFile, 0o644);
      const mtime = fs.statSync(stackFile).mtimeMs;
      expect((await runCli(["synth", "--config", valued, "--out", out, ...flags])).code).toBe(0);
      expect(mode(stackFile)).toBe(0o600);
      expect(fs.statSync(stackFile).mtimeMs).toBe(mtime);
      // The same integration with the ID from the environment: nothing secret in the file, ordinary mode.
      const fromEnv = config(dir, "{ source: env, env: VALUED_EXTERNAL_ID }");
      expect((await runCli(["synth", "--config", fromEnv, "--out", out, ...flags])).code).toBe(0);
      expect(fs.readFileSync(stackFile, "utf8")).not.toContain("ext-mode-check-9Tq2Lw");
      expect(mode(stackFile)).toBe(0o644);
    },
  );
});
