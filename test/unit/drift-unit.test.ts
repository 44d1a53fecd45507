import Ajv from "ajv";
import { XMLParser } from "fast-xml-parser";
import * as fs from "node:fs";
import * as path from "node:path";
import { checkCoverage } from "../../drift/coverage";
import {
  CHECKS,
  FINDING_KIND_NAMES,
  FINDING_KINDS,
  REMEDIES,
  SEVERITIES,
  TARGET_TYPES,
  finding,
  type Finding,
} from "../../drift/finding";
import type { DriftAws } from "../../drift/aws";
import { checkDiscoveryRole } from "../../drift/discovery-role";
import { expectedDiscoveryRole, expectedManagementRole, expectedRole, expectedStackSet } from "../../drift/expected";
import { expectedExternalId } from "../../drift/external-id";
import { formatReport } from "../../drift/format";
import { cell } from "../../drift/format/markdown";
import { checkOrgVsSnapshot, diffOrganizations } from "../../drift/org-vs-snapshot";
import {
  EXTERNAL_ID_MARK,
  OTHER_EXTERNAL_ID_MARK,
  canonicalJson,
  describeTrustDifference,
  maskExternalIds,
  normalizePolicy,
  policyText,
} from "../../drift/policy";
import { REDACTED, redactFindings } from "../../drift/redact";
import { buildReport, type DriftReport } from "../../drift/report";
import { parseTemplate, templateDifferences } from "../../drift/template";
import { computeScope, type ScopeRules } from "../../org/scope";
import { loadSnapshot, type Snapshot } from "../../org/snapshot";
import { computeOuCover } from "../../org/targets";
import { loadConfig } from "../../config/load";

const ROOT = path.resolve(__dirname, "..", "..");
const SCHEMA = JSON.parse(fs.readFileSync(path.join(ROOT, "drift", "finding.schema.json"), "utf8"));
const EXAMPLE = loadSnapshot(path.join(ROOT, "examples", "org.json"));
const SANDBOX = "ou-a1b2-sandb0x1";
const WORKLOADS = "ou-a1b2-w0rkl0ad";
const PROD = "ou-a1b2-pr0d0001";
const BILLING = "098765432109"; // excluded by account id, sits in the root
const SEARCH_DEV = "012345678901"; // Workloads/Dev
const RULES: ScopeRules = {
  organizationalUnits: [SANDBOX],
  accounts: [BILLING],
  skipInactiveAccounts: true,
  managementAccount: false,
};

const clone = (s: Snapshot): Snapshot => JSON.parse(JSON.stringify(s));

/** Moves an account (or OU) to a new parent in a copy of the snapshot, fixing its path. */
function moveAccount(s: Snapshot, id: string, parentId: string): Snapshot {
  const out = clone(s);
  const parent = out.organizationalUnits.find((o) => o.id === parentId);
  const a = out.accounts.find((x) => x.id === id)!;
  a.parentId = parentId;
  a.path = parent ? [...parent.path, { id: parent.id, name: parent.name }] : [{ id: out.root.id, name: out.root.name }];
  return out;
}

describe("policy documents compare semantically", () => {
  const expected = {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "Trust",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::444455556666:root" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "sts:ExternalId": "secret-ext-1234" } },
      },
    ],
  };

  test("URL-encoding, string vs array, order, Sid, case of actions and condition keys, account-id principals do not matter", () => {
    const spelled = encodeURIComponent(
      JSON.stringify({
        Statement: [
          {
            Condition: { StringEquals: { "STS:EXTERNALID": ["secret-ext-1234"] } },
            Action: ["STS:AssumeRole", "sts:assumerole"],
            Principal: { AWS: ["444455556666"] },
            Effect: "Allow",
          },
          {
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::444455556666:root" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "sts:ExternalId": "secret-ext-1234" } },
          },
        ],
        Version: "2012-10-17",
      }),
    );
    expect(policyText(spelled, "aws", "secret-ext-1234")).toBe(policyText(expected, "aws", "secret-ext-1234"));
  });

  test("another principal or a missing condition differ; the description never names the value", () => {
    const other = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::999988887777:root" }, Action: "sts:AssumeRole" }],
    };
    const want = maskExternalIds(normalizePolicy(expected, "aws"), "secret-ext-1234");
    const got = maskExternalIds(normalizePolicy(other, "aws"), "secret-ext-1234");
    expect(canonicalJson(want)).not.toBe(canonicalJson(got));
    const why = describeTrustDifference(want, got);
    expect(why).toBe(
      "trusted principal is arn:aws:iam::999988887777:root instead of arn:aws:iam::444455556666:root; the sts:ExternalId condition is missing",
    );
    expect(canonicalJson(want)).toContain(EXTERNAL_ID_MARK);
    expect(canonicalJson(want) + why).not.toContain("secret-ext-1234");
  });

  test("a different external ID is drift when the value is known, and presence only when it is not", () => {
    const wrong = JSON.parse(JSON.stringify(expected));
    wrong.Statement[0].Condition.StringEquals["sts:ExternalId"] = "another-ext-9999";
    expect(policyText(wrong, "aws", "secret-ext-1234")).not.toBe(policyText(expected, "aws", "secret-ext-1234"));
    expect(policyText(wrong, "aws", "secret-ext-1234")).toContain(OTHER_EXTERNAL_ID_MARK);
    expect(policyText(wrong, "aws", "secret-ext-1234")).not.toContain("another-ext-9999");
    expect(policyText(wrong, "aws", undefined)).toBe(policyText(expected, "aws", undefined));
    const want = maskExternalIds(normalizePolicy(expected, "aws"), "secret-ext-1234");
    const got = maskExternalIds(normalizePolicy(wrong, "aws"), "secret-ext-1234");
    expect(describeTrustDifference(want, got)).toBe("the sts:ExternalId condition holds a different value");
  });
});

test("every text field of a finding is redacted of known external IDs", () => {
  const f = finding("stackset-template-differs", {
    integration: "bs",
    target: { type: "account", id: "x", name: "named sec-ret-value" },
    message: "m sec-ret-value",
    expected: "sec-ret-value",
    found: "a sec-ret-value b",
    fix: "f",
  });
  const [r] = redactFindings([f], ["sec-ret-value", undefined]);
  expect(JSON.stringify(r)).not.toContain("sec-ret-value");
  expect(r.found).toBe(`a ${REDACTED} b`);
  expect(redactFindings([f], [undefined])).toEqual([f]);
});

describe("the expected external ID and what synthesis produces", () => {
  const loaded = loadConfig(path.join(ROOT, "examples", "orgtrust.yaml"));
  const all = Object.fromEntries(loaded.integrations.map((i) => [i.name, i]));

  test("the discovery role is read only with credentials of its own account (skipped, info, without an AWS call)", async () => {
    const noAws = new Proxy(
      {},
      {
        get: () => {
          throw new Error("no AWS call expected");
        },
      },
    ) as unknown as DriftAws;
    const other = "999999999999";
    const r = await checkDiscoveryRole(noAws, other, all.backstage, EXAMPLE, expectedDiscoveryRole(all.backstage, {}));
    expect(r.units).toEqual([
      {
        check: "discovery-role",
        integration: "backstage",
        target: expect.objectContaining({ type: "account", id: all.backstage.discoveryRole.accountId }),
      },
    ]);
    expect(r.findings).toEqual([
      expect.objectContaining({
        kind: "discovery-role-skipped",
        severity: "info",
        found: `the credentials are for account ${other} (--deep reads it through the audit role there)`,
      }),
    ]);
  });

  test("Port's member role is the discovery role in the management account: both policies expected there", () => {
    const mgmt = expectedManagementRole(all.port, {});
    const member = expectedRole(all.port, {});
    const inline = (mgmt.inline as { Statement: Array<{ Sid?: string }> }).Statement.map((x) => x.Sid);
    expect(inline).toEqual(expect.arrayContaining(["ReadOrganization", "ReadMemberRoleStackSet", "ReadOrgtrustRoles"]));
    expect(mgmt.policyArns).toEqual(member.policyArns);
    expect(expectedManagementRole(all.backstage, {})).toEqual(expectedRole(all.backstage, {}));
  });

  test("value, env and generate sources; unknown says why without a value", () => {
    expect(expectedExternalId(all.port, { PORT_EXTERNAL_ID: "port-ext-123" })).toEqual({ value: "port-ext-123" });
    expect(expectedExternalId(all.port, {}).unknownBecause).toBe("environment variable PORT_EXTERNAL_ID is not set");
    expect(expectedExternalId(all.backstage, {}).unknownBecause).toContain("export ORGTRUST_BACKSTAGE_EXTERNAL_ID");
    expect(expectedExternalId(all.backstage, { ORGTRUST_BACKSTAGE_EXTERNAL_ID: "bs-ext-456" })).toEqual({
      value: "bs-ext-456",
    });
  });

  test("the ExternalId parameter is secret, and compared for presence only when the value is unknown", () => {
    const cover = computeOuCover(computeScope(EXAMPLE, RULES));
    const unknown = expectedStackSet(all.backstage, {}, cover, EXAMPLE);
    expect([...unknown.secretParameters]).toEqual(["ExternalId"]);
    expect([...unknown.presenceOnly]).toEqual(["ExternalId"]);
    expect(unknown.targets).toEqual(["ou-a1b2-infr4str", "ou-a1b2-sec0curi", WORKLOADS]);
    expect([...unknown.populatedTargets].sort()).toEqual(unknown.targets);
    const known = expectedStackSet(all.backstage, { value: "bs-ext-456" }, cover, EXAMPLE);
    expect(known.presenceOnly.size).toBe(0);
    expect(known.parameters.ExternalId).toBe("bs-ext-456");
    const role = expectedRole(all.apono, {});
    expect(role.externalId).toBeUndefined();
    expect(role.inline).toBeDefined(); // denyDataReads
    expect(role.policyArns).toEqual(["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
  });
});

describe("CloudFormation templates compare semantically", () => {
  test("YAML with short tags equals the JSON long form; scalars compare as text", () => {
    const yaml =
      "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: !Ref Name\n      MaxSessionDuration: 3600\n      Arn: !GetAtt R.Arn\n      Path: !Sub '/${P}/'\n";
    const json = JSON.stringify({
      Resources: {
        R: {
          Properties: {
            Path: { "Fn::Sub": "/${P}/" },
            Arn: { "Fn::GetAtt": ["R", "Arn"] },
            MaxSessionDuration: "3600",
            RoleName: { Ref: "Name" },
          },
          Type: "AWS::IAM::Role",
        },
      },
    });
    expect(templateDifferences(parseTemplate(yaml), parseTemplate(json))).toEqual([]);
    const changed = yaml.replace("3600", "7200");
    expect(templateDifferences(parseTemplate(yaml), parseTemplate(changed))).toEqual([
      { path: "Resources.R.Properties.MaxSessionDuration", expected: "3600", found: "7200" },
    ]);
  });
});

describe("org vs snapshot", () => {
  const run = (now: Snapshot, rules: ScopeRules = RULES) =>
    checkOrgVsSnapshot(EXAMPLE, now, [{ name: "bs", rules }], "org.json").findings;

  test("the same org gives no findings", () => {
    expect(run(clone(EXAMPLE))).toEqual([]);
  });

  test("an account moved into an excluded OU changes the scope: error, re-generate", () => {
    const [f] = run(moveAccount(EXAMPLE, SEARCH_DEV, SANDBOX));
    expect(f).toMatchObject({
      check: "org",
      kind: "account-moved",
      severity: "error",
      remedy: "regenerate",
      integration: "bs",
      target: { type: "account", id: SEARCH_DEV, name: "Search Dev" },
    });
    expect(f.message).toContain("now out of scope (in excluded OU Sandbox (ou-a1b2-sandb0x1))");
    expect(f.expected).toBe("Root/Workloads/Dev (ou-a1b2-dev00001)");
    expect(f.found).toBe("Root/Sandbox (ou-a1b2-sandb0x1)");
  });

  test("an excluded account moved into a targeted OU changes the StackSet targets: error, re-synth and deploy", () => {
    const [f] = run(moveAccount(EXAMPLE, BILLING, PROD));
    expect(f).toMatchObject({ kind: "account-moved", severity: "error", remedy: "resynth-deploy" });
    expect(f.message).toContain("StackSet targets change:");
    expect(f.message).toContain(`-${WORKLOADS}`);
    expect(f.fix).toContain("`terraform apply` in its stacks/<integration> folder");
    expect(f.fix).toContain("`cdktf deploy` of your own cdktf app");
    expect(f.fix).not.toMatch(/\(`cdktf deploy`\)|, `cdktf deploy`/); // never the orgtrust checkout's own app
  });

  test("an account moved between in-scope OUs is a warning; an OU added inside an excluded OU is info", () => {
    const [inScope] = run(moveAccount(EXAMPLE, SEARCH_DEV, PROD));
    expect(inScope).toMatchObject({ kind: "account-moved", severity: "warning", remedy: "regenerate" });
    const sandboxNow = clone(EXAMPLE);
    sandboxNow.organizationalUnits.push({
      ...sandboxNow.organizationalUnits.find((o) => o.id === SANDBOX)!,
      id: "ou-a1b2-sandb0x2",
      name: "Sandbox 2",
      parentId: SANDBOX,
      path: [
        { id: "r-a1b2", name: "Root" },
        { id: SANDBOX, name: "Sandbox" },
      ],
      depth: 2,
    });
    const [ou] = run(sandboxNow);
    expect(ou).toMatchObject({ kind: "ou-added", severity: "info", remedy: "rediscover" });
  });

  test("added, removed, suspended and renamed accounts; an OU moved into an excluded OU", () => {
    const now = clone(EXAMPLE);
    const template = now.accounts.find((a) => a.id === SEARCH_DEV)!;
    now.accounts.push({
      ...template,
      id: "000000000042",
      name: "New Prod",
      parentId: PROD,
      path: [
        { id: "r-a1b2", name: "Root" },
        { id: WORKLOADS, name: "Workloads" },
        { id: PROD, name: "Prod" },
      ],
    });
    now.accounts = now.accounts.filter((a) => a.id !== "019283746501");
    now.accounts.find((a) => a.id === "123450987612")!.state = "SUSPENDED";
    now.accounts.find((a) => a.id === "234561098723")!.name = "ML Dev";
    const byKind = Object.fromEntries(run(now).map((f) => [f.kind, f]));
    expect(byKind["account-added"]).toMatchObject({
      severity: "error",
      remedy: "regenerate",
      target: { id: "000000000042" },
    });
    expect(byKind["account-removed"]).toMatchObject({ severity: "error", found: null });
    expect(byKind["account-state-changed"]).toMatchObject({
      severity: "error",
      expected: "ACTIVE",
      found: "SUSPENDED",
    });
    expect(byKind["account-renamed"]).toMatchObject({
      severity: "warning",
      expected: "ML Experiments Dev",
      found: "ML Dev",
    });

    const ouMoved = clone(EXAMPLE);
    const dev = ouMoved.organizationalUnits.find((o) => o.id === "ou-a1b2-dev00001")!;
    dev.parentId = SANDBOX;
    dev.path = [
      { id: "r-a1b2", name: "Root" },
      { id: SANDBOX, name: "Sandbox" },
    ];
    for (const a of ouMoved.accounts.filter((x) => x.parentId === dev.id))
      a.path = [...dev.path, { id: dev.id, name: dev.name }];
    const [f] = run(ouMoved);
    expect(f).toMatchObject({ kind: "ou-moved", severity: "error", remedy: "regenerate" });
    expect(f.message).toContain("5 account(s) change scope (0 now in, 5 now out)");
  });

  test("another organization entirely is one error", () => {
    const other = clone(EXAMPLE);
    other.organization.id = "o-zzzzzzzzzz";
    expect(run(other).map((f) => f.kind)).toEqual(["snapshot-other-organization"]);
    expect(diffOrganizations(EXAMPLE, EXAMPLE)).toEqual([]);
  });
});

describe("coverage decisions", () => {
  const scope = computeScope(EXAMPLE, RULES);
  const cover = computeOuCover(scope);
  const instance = (Account: string, extra: Record<string, unknown> = {}) => ({
    Account,
    Region: "us-east-1",
    Status: "CURRENT" as const,
    StackInstanceStatus: { DetailedStatus: "SUCCEEDED" as const },
    ...extra,
  });
  const all = cover.viaStackSet.map((a) => instance(a.id));

  test("every in-scope member with a CURRENT instance: no findings; the management account is never expected", () => {
    const r = checkCoverage("bs", scope, cover, all);
    expect(r.findings).toEqual([]);
    expect(r.units.map((u) => u.target.id)).not.toContain(EXAMPLE.organization.managementAccountId);
  });

  test("an instance in an account out of scope only because it is inactive is info, statuses there too", () => {
    const legacy = "890127654389"; // PENDING_CLOSURE in Infrastructure (a targeted OU)
    const r = checkCoverage("bs", scope, cover, [...all, instance(legacy, { Status: "INOPERABLE" })]);
    expect(r.findings.map((f) => [f.kind, f.severity])).toEqual([
      ["instance-in-inactive-account", "info"],
      ["instance-status", "info"],
    ]);
  });

  test("instances outside the org, in an excluded account, and in two regions", () => {
    const r = checkCoverage("bs", scope, cover, [
      ...all,
      instance("999999999999"),
      instance(BILLING),
      instance(SEARCH_DEV, { Region: "eu-west-1" }),
    ]);
    const byKind = Object.fromEntries(r.findings.map((f) => [f.kind, f]));
    expect(byKind["instance-outside-organization"]).toMatchObject({ severity: "warning" });
    expect(byKind["instance-in-excluded-account"].message).toContain("excluded account");
    expect(byKind["instance-extra-region"]).toMatchObject({ found: "eu-west-1, us-east-1" });
  });

  test("uncoveredAccounts direct: accounts given the role directly expect no instance; others synth did not see stay uncoverable", () => {
    const mixed = computeScope(EXAMPLE, {
      ...RULES,
      organizationalUnits: [...RULES.organizationalUnits, "ou-a1b2-pc1reg01"],
    });
    const c = computeOuCover(mixed);
    expect(c.uncovered.length).toBeGreaterThan(1);
    const ids = c.uncovered.map((u) => u.account.id);
    const instances = c.viaStackSet.map((a) => instance(a.id));
    const none = checkCoverage("bs", mixed, c, instances);
    expect(none.findings.map((f) => f.kind)).toEqual(ids.map(() => "account-not-coverable"));
    // All but the last were planned as direct: only that one is reported, with re-discover and synth as the fix.
    const direct = checkCoverage("bs", mixed, c, instances, { accounts: new Set(ids.slice(0, -1)), enabled: true });
    expect(direct.findings.map((f) => [f.kind, f.target.id])).toEqual([["account-not-coverable", ids[ids.length - 1]]]);
    expect(direct.findings[0].message).toContain("re-run `orgtrust discover --out <snapshot>`");
    // Every direct account is still a checked unit; an instance in one is not reported.
    expect(direct.units.map((u) => u.target.id)).toEqual(expect.arrayContaining(ids));
    const withInstance = checkCoverage("bs", mixed, c, [...instances, instance(ids[0])], {
      accounts: new Set(ids),
      enabled: true,
    });
    expect(withInstance.findings).toEqual([]);
  });
});

/** A report holding one finding of every kind, with awkward characters. */
function sampleReport(failOn: "error" | "warning" = "error"): DriftReport {
  const findings: Finding[] = FINDING_KIND_NAMES.map((kind, i) =>
    finding(kind, {
      integration: i % 5 === 0 ? null : "bs",
      target: { type: "account", id: String(100000000000 + i), name: `acct <&> | "${i}"` },
      message: `message ${i} with | pipe, <tag> & "quotes"`,
      expected: i % 2 ? "a\nb" : null,
      found: `found ${i}`,
    }),
  );
  return buildReport({
    organizationId: "o-a1b2c3d4e5",
    managementAccountId: "111122223333",
    snapshot: "org.json",
    integrations: ["bs"],
    deep: true,
    failOn,
    findings,
    units: [{ check: "coverage", integration: "bs", target: { type: "account", id: "222222222222", name: "clean" } }],
  });
}

describe("formats", () => {
  test("the JSON schema lists exactly the finding kinds, checks, severities, remedies and target types in code", () => {
    const d = SCHEMA.definitions;
    expect(d.finding.properties.kind.enum).toEqual(FINDING_KIND_NAMES);
    expect(d.check.enum).toEqual([...CHECKS]);
    expect(d.severity.enum).toEqual([...SEVERITIES]);
    expect(d.finding.properties.remedy.enum).toEqual([...REMEDIES]);
    expect(d.target.properties.type.enum).toEqual([...TARGET_TYPES]);
  });

  test("JSON is valid against the schema and sorted deterministically", () => {
    const r = sampleReport();
    const validate = new Ajv({ allErrors: true }).compile(SCHEMA);
    const parsed = JSON.parse(formatReport(r, "json"));
    expect(validate(parsed)).toBe(true);
    const sev = parsed.findings.map((f: Finding) => f.severity);
    expect(sev).toEqual(
      [...sev].sort((a: string, b: string) => SEVERITIES.indexOf(a as never) - SEVERITIES.indexOf(b as never)),
    );
    const shuffled = buildReport({
      ...r,
      findings: [...r.findings].reverse(),
      units: [...r.checked].reverse(),
      integrations: r.integrations,
    });
    expect(formatReport(shuffled, "json")).toBe(formatReport(r, "json"));
    expect(parsed.summary).toMatchObject({ total: FINDING_KIND_NAMES.length, checked: parsed.checked.length });
  });

  test("JUnit: one test case per unit, failures for findings at or above --fail-on, escaped", () => {
    const parser = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: "@",
      isArray: (n) => n === "testsuite" || n === "testcase",
    });
    for (const failOn of ["error", "warning"] as const) {
      const r = sampleReport(failOn);
      const doc = parser.parse(formatReport(r, "junit"));
      const cases = doc.testsuites.testsuite.flatMap((s: { testcase: unknown[] }) => s.testcase);
      expect(cases).toHaveLength(r.checked.length);
      const failing = r.findings.filter(
        (f) => f.severity === "error" || (failOn === "warning" && f.severity === "warning"),
      ).length;
      expect(Number(doc.testsuites["@failures"])).toBe(failing); // one finding per unit here
      expect(cases.some((c: { "@name": string }) => c["@name"].includes('acct <&> | "0"'))).toBe(true);
    }
  });

  test("Markdown escapes table cells; text lists kinds and fixes", () => {
    expect(cell("a | b\nc <d>")).toBe("a \\| b<br>c &lt;d&gt;");
    const r = sampleReport();
    const md = formatReport(r, "markdown");
    const rows = md.split("\n").filter((l) => l.startsWith("| ") && l.includes("`"));
    for (const row of rows.filter((l) => /\| (❌|⚠️|ℹ️)/.test(l))) expect(row.split(/(?<!\\)\|/).length).toBe(10);
    const text = formatReport(r, "text");
    for (const k of FINDING_KIND_NAMES) expect(text).toContain(k);
    expect(text).toContain("fix:");
  });
});

describe("docs/drift-and-ci.md: Drift in CI", () => {
  test("has a row for every finding kind and the workflow runs the commands the tests run", () => {
    const doc = fs.readFileSync(path.join(ROOT, "docs", "drift-and-ci.md"), "utf8");
    for (const k of FINDING_KIND_NAMES) expect(doc).toContain(`| \`${k}\` |`);
    for (const k of FINDING_KIND_NAMES) expect(FINDING_KINDS[k].meaning.length).toBeGreaterThan(10);
    expect(doc).toContain(
      'npx orgtrust drift --deep --generated generated --format markdown --report junit=drift-junit.xml >> "$GITHUB_STEP_SUMMARY"',
    );
    expect(doc).toContain("aws-actions/configure-aws-credentials");
    expect(doc).toContain("$GITHUB_STEP_SUMMARY");
  });
});
