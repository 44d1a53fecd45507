/**
 * Issue 11, hostile org data that AWS allows, rendered into outputs (items 1, 2, 3, 8, 9): each test reproduces
 * one attack of the security review through the real readers (PyYAML for c7n-org, the `yaml` package, terraform
 * console, fast-xml-parser, marked for GitHub-flavoured Markdown) and fails without the fix.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { selectIntegrations } from "../../config/resolve";
import { summaryText } from "../../cli/discover";
import type { Logger } from "../../common/log";
import { jsonTerminalSafe, terminalSafe } from "../../common/terminal";
import { loadConfig } from "../../config/load";
import { checkGenerated } from "../../drift/generated";
import { finding } from "../../drift/finding";
import { formatJunit } from "../../drift/format/junit";
import { formatMarkdown } from "../../drift/format/markdown";
import { formatText } from "../../drift/format/text";
import { buildReport } from "../../drift/report";
import { runGenerate } from "../../generate";
import { hclString, hclValue, yamlList, yamlScalar } from "../../generate/escape";
import { redactExternalIdFields } from "../../generate/redact";
import { HELPERS } from "../../generate/render";
import { computeScope } from "../../org/scope";
import { loadSnapshot, saveSnapshot, snapshotHash, tagRecord, type Snapshot } from "../../org/snapshot";
import { awsClients } from "../support/aws-clients";
import { runCli } from "../support/cli";
import { describeWithMoto } from "../support/moto";
import { buildOrg } from "../support/org-fixture";
import { readYaml11, requireTerraform, terraformEval } from "../support/readers";
import { FIXTURE, IN_SCOPE, OU, readTree, tmpDir, writeConfig } from "../fixtures/generate";

const quiet: Logger = { info() {}, warn() {}, progress() {}, done() {} };

/** The attack of item 1: a tag value whose U+2028s become line breaks for PyYAML, adding a `role:` key. */
const EVIL_OWNER = "a\u2028    role:\u2028      arn:aws:iam::666666666666:role/evil";
/** DEL, C1 controls (with NEL and CSI), U+FFFE/U+FFFF, LS/PS, BOM: PyYAML refuses most of them even in comments. */
const HOSTILE_OU = "Dev\u007f\u0080\u0085\u009b[31m\ufffe\uffff\u2029\ufeffx";
const HOSTILE_ACCOUNT = "Tools\u0085? [x]: {y}, #z & *a !b |c >d '%e' \"f\" \\g\t\u2028h";
const TERMINAL_OU = "Sandbox\u001b[2K\u001b[1A\u001b]0;pwned\u0007\r";

/** The fixture with hostile names and tags (OU names changed everywhere they appear, paths included). */
function hostileSnapshot(file: string): Snapshot {
  const s = JSON.parse(fs.readFileSync(FIXTURE, "utf8"));
  const renameOu = (id: string, name: string) => {
    for (const o of s.organizationalUnits) {
      if (o.id === id) o.name = name;
      for (const e of o.path) if (e.id === id) e.name = name;
    }
    for (const a of s.accounts) for (const e of a.path) if (e.id === id) e.name = name;
  };
  renameOu(OU.dev, HOSTILE_OU);
  renameOu(OU.sandbox, TERMINAL_OU);
  const acct = (id: string) => s.accounts.find((a: any) => a.id === id);
  acct("500000000001").tags = { owner: EVIL_OWNER, "?k": "[v]", ["__proto__"]: "polluted", constructor: "c" };
  acct("700000000001").name = HOSTILE_ACCOUNT;
  acct("400000000001").name = "Alice\u001b[31m\u009b2J";
  fs.writeFileSync(file, JSON.stringify(s, null, 2));
  return s;
}

async function generateAll(config: string, outDir: string, opts: { check?: boolean; inlineSecrets?: boolean } = {}) {
  const loaded = loadConfig(config);
  const snapshot = loadSnapshot(path.resolve(loaded.baseDir, loaded.config.snapshot!));
  return runGenerate({
    loaded,
    snapshot,
    integrations: selectIntegrations(loaded, []),
    outDir,
    check: !!opts.check,
    inlineSecrets: !!opts.inlineSecrets,
    log: quiet,
  });
}

const SECRET_ENV = {
  PORT_EXT: "port-Secret-Env-0123456789",
  APONO_EXT: "apono-Secret-Env-0123456789",
  ORGTRUST_BACKSTAGE_EXTERNAL_ID: "bs-Secret-Generated-0123456789abcdef",
  ORGTRUST_PIPES_EXTERNAL_ID: "o_fixture1Ab3dE5gH",
  ORGTRUST_STEAMPIPE_EXTERNAL_ID: "sp-Secret-Generated-0123456789abcdef",
};

let dir: string;
let config: string;
let snapshotFile: string;
let raw: Snapshot;
let files: Record<string, string>;

beforeAll(async () => {
  Object.assign(process.env, SECRET_ENV);
  dir = tmpDir("orgtrust-hostile-");
  snapshotFile = path.join(dir, "org.json");
  raw = hostileSnapshot(snapshotFile);
  config = writeConfig({ snapshot: snapshotFile }, dir).config;
  await generateAll(config, path.join(dir, "out"), { inlineSecrets: true });
  files = readTree(path.join(dir, "out"));
});

afterAll(() => {
  for (const k of Object.keys(SECRET_ENV)) delete process.env[k];
});

const yamlFiles = () =>
  Object.keys(files)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
const read12 = (text: string) => {
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const d of list) if (d.errors.length) throw new Error(d.errors[0].message);
  return list.map((d) => d.toJS());
};

describe("item 1: YAML outputs read back exactly with a YAML 1.1 reader (PyYAML, c7n-org) and a YAML 1.2 one", () => {
  test("every YAML output over the hostile org parses with both readers, to the same value", () => {
    const names = yamlFiles();
    expect(names.length).toBeGreaterThanOrEqual(5);
    const py = readYaml11(names.map((n) => files[n]));
    names.forEach((n, i) => {
      const r = py[i];
      if (!r.ok) throw new Error(`PyYAML cannot read ${n}: ${r.error}`);
      expect({ file: n, value: r.value }).toEqual({ file: n, value: read12(files[n]) });
    });
  });

  test("c7n-org accounts.yml: the U+2028 tag value cannot add a role; names, tags and vars read back as in the org", () => {
    const [r] = readYaml11([files["custodian/accounts.yml"]]);
    if (!r.ok) throw new Error(r.error);
    const accounts: any[] = (r.value as any[])[0].accounts;
    expect(accounts.map((a) => a.account_id).sort()).toEqual([...IN_SCOPE].sort());
    for (const a of accounts) {
      const org = raw.accounts.find((x) => x.id === a.account_id)!;
      expect(a.role).toMatch(new RegExp(`^arn:aws:iam::${a.account_id}:role/`));
      expect(a.display_name).toBe(org.name);
      expect(a.vars).toEqual({ ...org.tags });
      expect(Object.keys(a.vars).sort()).toEqual(Object.keys(org.tags).sort());
      expect(a.external_id).toBe("c7n-Secret-Value-0123456789");
    }
    const payments = accounts.find((a) => a.account_id === "500000000001");
    expect(payments.vars.owner).toBe(EVIL_OWNER);
    expect(Object.prototype.hasOwnProperty.call(payments.vars, "__proto__")).toBe(true);
    expect(payments.tags).toContain(`owner:${EVIL_OWNER}`);
    const tools = accounts.find((a) => a.account_id === "700000000001");
    expect(tools.display_name).toBe(HOSTILE_ACCOUNT);
    expect(tools.tags).toContain(`path:/Workloads/${HOSTILE_OU}`);
  });

  test("backstage entities: titles and owners read back exactly (PyYAML and yaml agree)", () => {
    const text = files["backstage/aws-accounts.yaml"];
    const [r] = readYaml11([text]);
    if (!r.ok) throw new Error(r.error);
    const docs = (r.value as any[]).filter(Boolean);
    const byId = new Map(docs.map((d) => [d.metadata.annotations["amazonaws.com/account-id"], d]));
    expect(byId.get("500000000001").spec.owner).toBe(EVIL_OWNER);
    expect(byId.get("700000000001").metadata.title).toBe(HOSTILE_ACCOUNT);
    expect(byId.get("700000000001").metadata.description).toBe(`AWS account 700000000001 in /Workloads/${HOSTILE_OU}`);
  });

  const NASTY = [
    EVIL_OWNER,
    HOSTILE_OU,
    HOSTILE_ACCOUNT,
    "?",
    "? x",
    "?x",
    "-",
    "- x",
    ":",
    "a:",
    "a: b",
    "[",
    "]",
    "{",
    "}",
    ",",
    "a,b",
    "#",
    "a #b",
    "&x",
    "*x",
    "!x",
    "|",
    ">",
    "%x",
    "@x",
    "`x",
    "'",
    '"',
    "\\",
    "yes",
    "on",
    "~",
    "null",
    "<<",
    "=",
    "12:30",
    "0x1F",
    ".inf",
    "+.inf",
    "1_000",
    "2001-12-14",
    "\u0085",
    "\u2028",
    "\u2029",
    "\u007f",
    "\u0080",
    "\u009f",
    "\ufffe",
    "\uffff",
    "\ufeff",
    "\u0000",
    "\t",
    " ",
    " a",
    "a ",
    "a\nb",
    "a\r\nb",
    "😀",
    "e\u0301",
    "---",
    "...",
    "a b",
    "a  b",
  ];

  test("{{yaml}} and {{yamlList}} values read back exactly in block, flow sequence, flow mapping and key position", () => {
    const texts = NASTY.flatMap((s) => [
      `k: ${yamlScalar(s)}\n`,
      `k: [${yamlScalar(s)}, x]\n`,
      `k: {a: ${yamlScalar(s)}, b: x}\n`,
      `${yamlScalar(s)}: v\n`,
      `k: {${yamlScalar(s)}: v}\n`,
      `k: ${yamlList([s, "x"])}\n`,
    ]);
    const expected = NASTY.flatMap((s) => [
      { k: s },
      { k: [s, "x"] },
      { k: { a: s, b: "x" } },
      { [s]: "v" },
      { k: { [s]: "v" } },
      { k: [s, "x"] },
    ]);
    const py = readYaml11(texts);
    texts.forEach((t, i) => {
      const r = py[i];
      expect({ text: t, value: r.ok ? (r.value as unknown[])[0] : r.error }).toEqual({ text: t, value: expected[i] });
      expect({ text: t, value: parseYaml(t) }).toEqual({ text: t, value: expected[i] });
    });
  });

  test("{{comment}} keeps a YAML comment one comment for PyYAML (NEL, DEL, C1, U+FFFF)", () => {
    const comment = HELPERS.comment as (a: unknown[], o: any) => string;
    const texts = [HOSTILE_OU, HOSTILE_ACCOUNT, EVIL_OWNER].map((s) => `# ${comment([s], {})}\nk: v\n`);
    for (const r of readYaml11(texts)) expect(r).toEqual({ ok: true, value: [{ k: "v" }] });
  });
});

describe("item 2: {{hcl}} / {{hclString}} escape ${ and %{ (proved by terraform console)", () => {
  const ATTACKS = [
    "${nonsensitive(var.external_id)}",
    "${path.cwd}",
    "%{ if true }x%{ endif }",
    "$${path.cwd}",
    "$$${path.cwd}",
    "%%{x}",
    "a$",
    "a%",
    "$",
    "%",
    "${",
    "%{",
    "}",
    "$ {x}",
    '"\\${x}',
    "\\n",
    "e\u0301".normalize("NFC"),
    "\u0085\u2028\u007f\u009b\u0000\t\r\n",
  ];

  test("the rendered strings evaluate to themselves: no interpolation, no directive", () => {
    if (!requireTerraform("the HCL escaping proof")) return;
    const values = terraformEval([...ATTACKS.map(hclString), hclValue(ATTACKS)]);
    expect(values.slice(0, ATTACKS.length)).toEqual(ATTACKS);
    expect(values[ATTACKS.length]).toEqual(ATTACKS);
  });

  test("the {{hcl}} helper in a custom template over an account named like the attack", async () => {
    if (!requireTerraform("the HCL custom-template proof")) return;
    const s = JSON.parse(fs.readFileSync(FIXTURE, "utf8"));
    s.accounts.find((a: any) => a.id === "700000000001").name = "${nonsensitive(var.external_id)}";
    s.accounts.find((a: any) => a.id === "700000000004").name = "%{ for x in [1] }${path.cwd}%{ endfor }";
    const d = tmpDir("orgtrust-hostile-hcl-");
    fs.writeFileSync(path.join(d, "org.json"), JSON.stringify(s));
    const w = writeConfig(
      {
        snapshot: path.join(d, "org.json"),
        integrationsYaml:
          "  names:\n    consumer: names.hbs\n    trustedPrincipal: arn:aws:iam::999999999999:role/i\n    output: { file: names.tf }\n",
      },
      d,
    );
    fs.writeFileSync(path.join(d, "names.hbs"), "[{{#each accounts}}{{hcl name}}, {{hclString id}}, {{/each}}]\n");
    await generateAll(w.config, path.join(d, "out"));
    const text = fs.readFileSync(path.join(d, "out", "names", "names.tf"), "utf8").replace(/^#.*\n/gm, "");
    const [list] = terraformEval([text.trim()]) as string[][];
    expect(list).toContain("${nonsensitive(var.external_id)}");
    expect(list).toContain("%{ for x in [1] }${path.cwd}%{ endfor }");
  });

  test("a string not in Unicode NFC is refused (HCL readers would change it), not silently altered", () => {
    expect(() => hclString("e\u0301")).toThrow(/not in Unicode NFC/);
  });
});

describe("item 3: external IDs never leak through generate --check or drift --generated", () => {
  const OLD = "OLD-rotated-External-Id-4242";

  function plantOldIds(out: string) {
    // Files written with --inline-secrets before the IDs were rotated: every external-ID field holds OLD.
    for (const [rel, text] of Object.entries(files)) {
      const planted = text
        .replace(/(external_?id["']?\s*[:=]\s*).*$/gim, `$1${OLD}`)
        .replace(/(EXTERNAL_ID=).*$/gm, `$1${OLD}`)
        .replace(/(discovery_external_id\s*=\s*).*$/gm, `$1"${OLD}"`);
      fs.mkdirSync(path.dirname(path.join(out, rel)), { recursive: true });
      fs.writeFileSync(path.join(out, rel), planted);
    }
  }

  test("generate --check: old and current values are redacted on both sides of every diff", async () => {
    const out = path.join(tmpDir("orgtrust-hostile-check-"), "out");
    plantOldIds(out);
    // Sanity: the planted files really carry the old ID in each consumer's external-ID fields.
    const planted = readTree(out);
    for (const f of [
      "custodian/accounts.yml",
      "cloudquery/aws.yml",
      "backstage/app-config.yaml",
      "port/.env",
      "port/values.yaml",
      "awscli/aws-config",
      "steampipe/aws-config",
      "terraform/providers.tf",
      "pipes/pipes.tf",
    ])
      expect({ f, has: planted[f]?.includes(OLD) }).toEqual({ f, has: true });
    for (const inlineSecrets of [false, true]) {
      const r = await generateAll(config, out, { check: true, inlineSecrets });
      const diffs = r.files.map((f) => f.diff ?? "").join("\n");
      expect(r.differences).toBeGreaterThan(0);
      expect(diffs).not.toContain(OLD);
      for (const v of [
        ...Object.values(SECRET_ENV),
        "c7n-Secret-Value-0123456789",
        "cq-Secret-Value-0123456789",
        "cli-Secret-Value-0123456789",
        "tf-Secret-Value-0123456789",
      ])
        expect(diffs).not.toContain(v);
      // Files that always carry the value (aws-cli, steampipe aws-config, c7n-org) differ only in it: each says so,
      // both sides redacted. Without --inline-secrets the others hold references now: the diff shows the redacted old
      // fields against them (CloudQuery's external_id).
      expect(diffs).toContain("an external ID value differs (both sides redacted)");
      if (!inlineSecrets) expect(diffs).toMatch(/^- +external_id: <external-id redacted>$/m);
    }
  });

  test("drift --generated: the findings carry no old or current external ID", async () => {
    const out = path.join(tmpDir("orgtrust-hostile-drift-"), "out");
    plantOldIds(out);
    const loaded = loadConfig(config);
    const planned = loadSnapshot(snapshotFile);
    const r = await checkGenerated({
      planned,
      integrations: selectIntegrations(loaded, []),
      dir: out,
      loaded,
      log: quiet,
    });
    const text = JSON.stringify(r.findings);
    expect(r.findings.some((f) => f.kind === "generated-file-differs")).toBe(true);
    expect(text).not.toContain(OLD);
  });

  test("a change only in an external ID value is reported, with both values redacted", async () => {
    const out = path.join(tmpDir("orgtrust-hostile-only-"), "out");
    fs.mkdirSync(path.join(out, "custodian"), { recursive: true });
    fs.writeFileSync(
      path.join(out, "custodian", "accounts.yml"),
      files["custodian/accounts.yml"].replace(/c7n-Secret-Value-0123456789/g, OLD),
    );
    const r = await generateAll(config, out, { check: true, inlineSecrets: true });
    const f = r.files.find((x) => x.path.endsWith("accounts.yml"))!;
    expect(f.status).toBe("differs");
    expect(f.diff).toContain("an external ID value differs (both sides redacted)");
    expect(f.diff).not.toContain(OLD);
  });

  test("field redaction: every spelling and layout, whatever the value; references stay readable", () => {
    const text = [
      "external_id: abc",
      '    external_id = "abc"',
      "externalId: 'abc'",
      "OCEAN__INTEGRATION__CONFIG__EXTERNAL_ID=abc",
      'discovery_external_id = "abc",',
      '"sts:ExternalId": "abc"',
      "member_external_id: |",
      "  abc",
      "external_id:",
      "  abc",
      "external_id:",
      "- abc",
      "external_id = <<EOT",
      "abc",
      "EOT",
      'external_id: "${ORGTRUST_X}"',
      "external_id = var.ext",
      "other: abc",
    ].join("\n");
    const out = redactExternalIdFields(text, "hcl");
    expect(out.split("\n").filter((l) => l.includes("abc"))).toEqual(["other: abc"]);
    expect(out).toContain('external_id: "${ORGTRUST_X}"');
    expect(out).toContain("external_id = var.ext");
    // Outside HCL an unquoted var.x is a literal (a valid external ID), so it is redacted.
    expect(redactExternalIdFields("external_id: var.ext", "yaml")).toBe("external_id: <external-id redacted>");
  });
});

describe("item 8: terminal and report injection", () => {
  test("discover's summary carries no escape code, CR or C1 control from OU or account names (CLI)", async () => {
    build();
    const d = tmpDir("orgtrust-hostile-term-");
    const cfg = writeConfig({ snapshot: snapshotFile }, d).config;
    const r = await runCli(["discover", "--config", cfg, "--snapshot", snapshotFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(r.stdout).toContain("\\x1b[2K");
    expect(r.stdout).toMatch(/400000000001 {2}Alice\\x1b\[31m\\x9b2J/);
    // --json: the same values, escaped as JSON (C1 and DEL included), still the same strings when parsed.
    const j = await runCli(["discover", "--config", cfg, "--snapshot", snapshotFile, "--json"]);
    expect(j.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(JSON.parse(j.stdout).excluded.find((e: any) => e.id === "400000000001").name).toBe(
      "Alice\u001b[31m\u009b2J",
    );
  });

  test("terminalSafe / jsonTerminalSafe: visible escapes; JSON keeps its value", () => {
    expect(terminalSafe("a\u001b]0;x\u0007\rb\u202ec\n")).toBe("a\\x1b]0;x\\x07\\x0db\\u202ec\n");
    const v = { s: "\u009b\u007f\u2028\u202e😀" };
    expect(JSON.parse(jsonTerminalSafe(JSON.stringify(v)))).toEqual(v);
    const text = summaryText(
      loadSnapshot(snapshotFile),
      computeScope(loadSnapshot(snapshotFile), {
        organizationalUnits: [OU.sandbox],
        accounts: [],
        skipInactiveAccounts: true,
        managementAccount: true,
      }),
      undefined,
    );
    // The Excluded lines stay one line each, whatever the OU name holds.
    expect(text.split("\n").filter((l) => /^ {4}\d{12} /.test(l)).length).toBe(5);
    expect(text).not.toMatch(/\r/);
  });

  const HOSTILE_NAME =
    "[click](https://evil.example/x) ![i](https://evil.example/i.png) @octocat #1 <img src=x onerror=alert(1)> a|b `c` *d* www.evil.example &lt;b&gt; \u001b[31m\uffff";
  const report = () =>
    buildReport({
      organizationId: "o-fixture0001",
      managementAccountId: "111111111111",
      snapshot: null,
      integrations: ["custodian"],
      deep: false,
      failOn: "warning",
      units: [],
      findings: [
        finding("account-renamed", {
          integration: "custodian",
          target: { type: "account", id: "500000000001", name: HOSTILE_NAME },
          message: `account ${HOSTILE_NAME} is new`,
          expected: "a\u0000b\ufffe\ud800c",
          found: HOSTILE_NAME,
        }),
      ],
    });

  test("drift Markdown: no link, image, mention, HTML or extra column from a name (rendered by marked, GFM)", () => {
    const md = formatMarkdown(report());
    const html = renderMarkdown(md);
    expect(html).not.toMatch(/<(a|img|script)[\s>]/);
    expect(html).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    const rows = [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => (m[1].match(/<t[dh][ >]/g) ?? []).length);
    expect(new Set(rows.slice(-2))).toEqual(new Set([8]));
    // Readers still see the name: the text content holds it (zero-width spaces aside).
    const textOnly = html
      .replace(/<[^>]+>/g, "")
      .replace(/\u200b/g, "")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, "&");
    expect(textOnly).toContain(
      "[click](https://evil.example/x) ![i](https://evil.example/i.png) @octocat #1 <img src=x onerror=alert(1)> a|b `c` *d* www.evil.example &lt;b&gt;",
    );
  });

  test("drift JUnit: what XML 1.0 cannot hold is dropped and the report parses (fast-xml-parser)", () => {
    const xml = formatJunit(report());
    expect(XMLValidator.validate(xml)).toBe(true);
    // fast-xml-parser's validator does not check the Char production; expat (python's xml.etree, as strict as the
    // JUnit readers of CI systems) does: U+FFFF made the old report "not well-formed (invalid token)".
    const expat = spawnSync(
      "python3",
      ["-c", "import sys, xml.etree.ElementTree as E; E.fromstring(sys.stdin.buffer.read())"],
      { input: xml, encoding: "utf8" },
    );
    expect(expat.stderr).toBe("");
    expect(xml).not.toMatch(/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\ud800-\udfff]/);
    const parsed = new XMLParser({ ignoreAttributes: false, processEntities: true, htmlEntities: false }).parse(xml);
    const tc = parsed.testsuites.testsuite.testcase;
    expect(tc["@_name"]).toBe(`account 500000000001 (${HOSTILE_NAME.replace(/[\u001b\uffff]/g, "")})`);
    expect(tc.failure["#text"]).toContain("expected: abc");
  });

  test("drift text: escape codes shown as text", () => {
    const t = formatText(report());
    expect(t).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(t).toContain("\\x1b[31m");
  });
});

describe("item 9: __proto__ (a valid AWS tag key) survives every load", () => {
  test("load keeps __proto__ and constructor tags as own data; the hash equals discover's", () => {
    const file = path.join(tmpDir("orgtrust-hostile-proto-"), "org.json");
    const s = loadSnapshot(FIXTURE);
    // What discovery builds from ListTagsForResource.
    const tags = tagRecord([
      ["__proto__", "x"],
      ["constructor", "y"],
      ["owner", "payments"],
    ]);
    const live: Snapshot = { ...s, accounts: s.accounts.map((a) => (a.id === "500000000001" ? { ...a, tags } : a)) };
    const printedByDiscover = snapshotHash(live);
    saveSnapshot(file, live);
    expect(fs.readFileSync(file, "utf8")).toContain('"__proto__": "x"');
    const loaded = loadSnapshot(file);
    const t = loaded.accounts.find((a) => a.id === "500000000001")!.tags;
    expect(Object.keys(t)).toEqual(["__proto__", "constructor", "owner"]);
    expect(Object.getPrototypeOf(t)).toBe(null);
    expect(t.__proto__).toBe("x");
    expect(snapshotHash(loaded)).toBe(printedByDiscover);
    // An account without the tag does not read Object.prototype members as tags.
    expect(loaded.accounts.find((a) => a.id === "300000000003")!.tags.constructor).toBeUndefined();
  });

  test("generate's header hash is the hash of the file discover wrote, and the tag reaches c7n-org vars", () => {
    const text = fs.readFileSync(snapshotFile, "utf8");
    expect(text).toContain('"__proto__": "polluted"');
    const hash = snapshotHash(loadSnapshot(snapshotFile));
    expect(files["custodian/accounts.yml"]).toContain(`sha256:${hash}`);
    expect(files["custodian/accounts.yml"]).toMatch(/^ {6}__proto__: polluted$/m);
  });
});

describeWithMoto("item 9 end to end: discover against moto, then every other command", (moto) => {
  test("a __proto__ tag key: discover's printed hash is the hash discover --snapshot, generate and the file agree on", async () => {
    build();
    const c = awsClients(moto().endpoint);
    const org = await buildOrg(c, {
      ous: [
        {
          name: "Prod",
          accounts: [{ name: "app", tags: { ["__proto__"]: "polluted", constructor: "c", owner: "payments" } }],
        },
      ],
    });
    const d = tmpDir("orgtrust-hostile-proto-moto-");
    fs.writeFileSync(
      path.join(d, "orgtrust.yaml"),
      `version: 1\norganization:\n  managementAccountId: "${org.managementAccountId}"\n  partition: aws\n  homeRegion: us-east-1\nsnapshot: org.json\nintegrations:\n  custodian:\n    consumer: c7n-org\n    trustedPrincipal: arn:aws:iam::999999999999:role/custodian\n    externalId: { source: value, value: c7n-Secret-Value-0123456789 }\n`,
    );
    const discover = await runCli(["discover", "--config", "orgtrust.yaml", "--out", "org.json"], {
      endpoint: moto().endpoint,
      cwd: d,
    });
    expect(discover.code).toBe(0);
    const printed = /Snapshot written: org\.json \(sha256 ([0-9a-f]{12})\)/.exec(discover.stdout)?.[1];
    expect(printed).toBeDefined();
    expect(fs.readFileSync(path.join(d, "org.json"), "utf8")).toContain('"__proto__": "polluted"');
    const again = await runCli(["discover", "--config", "orgtrust.yaml", "--snapshot", "org.json", "--json"], {
      cwd: d,
    });
    expect(JSON.parse(again.stdout).snapshotHash).toBe(printed);
    const gen = await runCli(["generate", "--config", "orgtrust.yaml", "--out", "out"], { cwd: d });
    expect(gen.code).toBe(0);
    const accounts = fs.readFileSync(path.join(d, "out", "custodian", "accounts.yml"), "utf8");
    expect(accounts).toContain(`sha256:${printed}`);
    const [r] = readYaml11([accounts]);
    const app = ((r as any).value[0].accounts as any[]).find((a) => a.account_id === org.account.app);
    expect(Object.keys(app.vars).sort()).toEqual(["__proto__", "constructor", "owner"]);
  });
});

let built = false;
/** The CLI runs dist/: compile once for the CLI tests of this file. */
function build(): void {
  if (built) return;
  const root = path.resolve(__dirname, "..", "..");
  const entry = path.join(root, "dist", "cli", "main.js");
  const newest = (d: string): number =>
    Math.max(
      0,
      ...fs
        .readdirSync(path.join(root, d))
        .filter((f) => f.endsWith(".ts"))
        .map((f) => fs.statSync(path.join(root, d, f)).mtimeMs),
    );
  const fresh =
    fs.existsSync(entry) &&
    ["cli", "common", "config", "drift", "generate", "org", "synth"].every(
      (d) => newest(d) < fs.statSync(entry).mtimeMs,
    );
  if (fresh) return void (built = true);
  const r = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.json"], {
    cwd: path.resolve(__dirname, "..", ".."),
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`tsc failed: ${r.stdout}${r.stderr}`);
  built = true;
}

/** GitHub-flavoured Markdown to HTML with marked (an ES module: run in a child node process). */
function renderMarkdown(md: string): string {
  const script = `import { marked } from "marked"; let s = ""; process.stdin.on("data", (d) => (s += d)); process.stdin.on("end", () => process.stdout.write(marked.parse(s, { gfm: true })));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    input: md,
    encoding: "utf8",
    cwd: path.resolve(__dirname, "..", ".."),
  });
  if (r.status !== 0) throw new Error(`marked failed: ${r.stderr}`);
  return r.stdout;
}
