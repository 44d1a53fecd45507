import { DeleteStackInstancesCommand, DeleteStackSetCommand } from "@aws-sdk/client-cloudformation";
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeletePolicyCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
} from "@aws-sdk/client-iam";
import { CreateAccountCommand, MoveAccountCommand } from "@aws-sdk/client-organizations";
import Ajv from "ajv";
import { XMLParser } from "fast-xml-parser";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadConfig, type LoadedConfig } from "../../config/load";
import type { ResolvedIntegration } from "../../config/resolve";
import {
  DISCOVERY_POLICY_NAME,
  discoveryRolePolicy,
  discoveryTrustPolicy,
  memberRoleParameters,
  memberRoleTemplateBody,
  memberTrustPolicy,
} from "../../constructs/member-role-policy";
import type { DriftReport } from "../../drift/report";
import { runGenerate } from "../../generate";
import { computeScope } from "../../org/scope";
import { loadSnapshot } from "../../org/snapshot";
import { computeOuCover } from "../../org/targets";
import { awsClients, clientsFor } from "../support/aws-clients";
import { runCli, type CliResult } from "../support/cli";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { startFaultProxy, type FaultProxy } from "../support/fault-proxy";
import { describeWithMoto } from "../support/moto";
import { createMemberRoleStackSet } from "../support/stackset";
import { buildOrg, type BuiltOrg, type OrgSpec } from "../support/org-fixture";

/**
 * End to end: an org in moto, the synthesized member-role StackSet and the management-account role deployed
 * through the SDK, generated files on disk; `orgtrust drift` is clean, then each kind of drift is induced and
 * must be reported with exit 1. What moto cannot produce (instance statuses, drift status, AutoDeployment, OU ids
 * in ListStackInstances, access denied) comes through the fault proxy rewriting moto's responses.
 */

const EXT = "ext-SECRET-drift-7f3a9c2e51";
const POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const EXTRA_POLICY = "arn:aws:iam::aws:policy/SecurityAudit";
const PRINCIPAL = "arn:aws:iam::444455556666:role/auditor";
const SCHEMA = JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "..", "drift", "finding.schema.json"), "utf8"));

/** 3 member accounts (CreateAccount costs ~0.5-1 s each with AWS managed policies loaded); Sandbox is excluded. */
const SPEC: OrgSpec = {
  ous: [
    {
      name: "Workloads",
      accounts: [{ name: "w1" }, { name: "w2" }],
      ous: [{ name: "Prod", accounts: [{ name: "p1" }] }],
    },
    { name: "Sandbox" },
  ],
};

interface Fixture {
  dir: string;
  /** Config with the external ID as a value. */
  config: string;
  /** The same integration with the external ID from the environment variable AUDIT_EXTERNAL_ID. */
  envConfig: string;
  snapshot: string;
  generated: string;
  built: BuiltOrg;
  loaded: LoadedConfig;
  integration: ResolvedIntegration;
  endpoint: string;
}

type ExternalIdYaml = "value" | "env";

function configYaml(built: BuiltOrg, externalId: ExternalIdYaml, integrationExtra = ""): string {
  const ext = externalId === "value" ? `{ source: value, value: "${EXT}" }` : "{ source: env, env: AUDIT_EXTERNAL_ID }";
  return `version: 1
organization:
  managementAccountId: "${built.managementAccountId}"
  homeRegion: us-east-1
snapshot: org.json
exclusions:
  organizationalUnits: ["${built.ou.Sandbox}"]
integrations:
  audit:
    consumer: aws-cli
    trustedPrincipal: ${PRINCIPAL}
    externalId: ${ext}
    memberRole:
      policyArns: ["${POLICY}"]
${integrationExtra}`;
}

/** A variant of the fixture's config (same integration, same snapshot) with extra integration fields, in f.dir. */
function variantConfig(f: Fixture, file: string, integrationExtra: string): string {
  const p = path.join(f.dir, file);
  fs.writeFileSync(p, configYaml(f.built, "value", integrationExtra));
  return p;
}

/** Builds the org, snapshots it, deploys what synth would deploy, and generates the files. */
async function deploy(endpoint: string): Promise<Fixture> {
  const c = awsClients(endpoint);
  try {
    const built = await buildOrg(c, SPEC);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-drift-"));
    const config = path.join(dir, "orgtrust.yaml");
    const snapshot = path.join(dir, "org.json");
    fs.writeFileSync(config, configYaml(built, "value"));
    const envConfig = path.join(dir, "orgtrust-env.yaml");
    fs.writeFileSync(envConfig, configYaml(built, "env"));
    const d = await runCli(["discover", "--config", config, "--out", snapshot], { endpoint });
    expect(d.code).toBe(0);
    const loaded = loadConfig(config);
    const integration = loaded.integrations.find((i) => i.name === "audit")!;
    const snap = loadSnapshot(snapshot);
    const cover = computeOuCover(
      computeScope(snap, {
        organizationalUnits: integration.exclusions.organizationalUnits,
        accounts: [],
        skipInactiveAccounts: true,
        managementAccount: false,
      }),
    );
    expect(cover.targets).toEqual([built.ou.Workloads]);
    // The StackSet, as the constructs synthesize it (moto reaches one OU level: Workloads and Prod).
    await createMemberRoleStackSet(c.cfn, {
      name: integration.stackSet.name,
      templateBody: memberRoleTemplateBody(),
      parameters: memberRoleParameters(integration, EXT),
      targets: [cover.targets],
    });
    // moto ignores ManagedPolicyArns: attach the member policy in each account ourselves.
    for (const a of cover.viaStackSet) {
      const m = await clientsFor(endpoint, a.id);
      await m.iam.send(new AttachRolePolicyCommand({ RoleName: integration.memberRole.name, PolicyArn: POLICY }));
      m.destroy();
    }
    // The management account's own role.
    await c.iam.send(
      new CreateRoleCommand({
        RoleName: integration.memberRole.name,
        Path: integration.memberRole.path,
        AssumeRolePolicyDocument: JSON.stringify(memberTrustPolicy(integration, EXT)),
      }),
    );
    await c.iam.send(new AttachRolePolicyCommand({ RoleName: integration.memberRole.name, PolicyArn: POLICY }));
    // The discovery role beside it.
    const discovery = integration.discoveryRole;
    await c.iam.send(
      new CreateRoleCommand({
        RoleName: discovery.name,
        Path: discovery.path,
        AssumeRolePolicyDocument: JSON.stringify(discoveryTrustPolicy(integration, EXT)),
      }),
    );
    await c.iam.send(
      new PutRolePolicyCommand({
        RoleName: discovery.name,
        PolicyName: DISCOVERY_POLICY_NAME,
        PolicyDocument: JSON.stringify(discoveryRolePolicy(integration)),
      }),
    );
    // Generated files, as `orgtrust generate --out <dir>` writes them.
    const generated = path.join(dir, "generated");
    const quiet = { info() {}, warn() {}, progress() {}, done() {} };
    await runGenerate({
      loaded,
      snapshot: snap,
      integrations: [integration],
      outDir: generated,
      check: false,
      inlineSecrets: false,
      log: quiet,
    });
    expect(fs.readdirSync(path.join(generated, "audit")).length).toBeGreaterThan(0);
    return { dir, config, envConfig, snapshot, generated, built, loaded, integration, endpoint };
  } finally {
    c.destroy();
  }
}

interface DriftRun extends CliResult {
  report: DriftReport;
}

/** Runs `orgtrust drift --format json` and checks what every run must satisfy: schema-valid JSON, no external ID. */
async function drift(
  f: Fixture,
  args: string[] = [],
  opts: { endpoint?: string; env?: Record<string, string | undefined>; config?: string } = {},
): Promise<DriftRun> {
  const r = await runCli(["drift", "--config", opts.config ?? f.config, "--format", "json", ...args], {
    endpoint: opts.endpoint ?? f.endpoint,
    env: opts.env,
  });
  expect(r.stdout + r.stderr).not.toContain(EXT);
  if (r.code !== 0 && r.code !== 1) throw new Error(`drift exited ${r.code}: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as DriftReport;
  expectValid(report);
  expect(r.code).toBe(report.summary.exitCode);
  return { ...r, report };
}

const ajv = new Ajv({ allErrors: true });
const validate = ajv.compile(SCHEMA);
function expectValid(report: unknown): void {
  const ok = validate(report);
  if (!ok) throw new Error(`drift JSON does not match drift/finding.schema.json: ${ajv.errorsText(validate.errors)}`);
}

const kinds = (r: DriftReport, severity?: string) =>
  r.findings.filter((f) => !severity || f.severity === severity).map((f) => f.kind);
const find = (r: DriftReport, kind: string, targetId?: string) =>
  r.findings.filter((f) => f.kind === kind && (!targetId || f.target.id === targetId));

/** Rewrites each ListStackInstances summary through `fn(memberXml, account)`. */
function rewriteInstances(proxy: FaultProxy, fn: (member: string, account: string) => string): void {
  proxy.setRewrite((op, body) =>
    op === "ListStackInstances"
      ? body.replace(/<member>([\s\S]*?)<\/member>/g, (m, inner: string) => {
          const account = /<Account>(\d{12})<\/Account>/.exec(inner)?.[1];
          return account ? `<member>${fn(inner, account)}</member>` : m;
        })
      : undefined,
  );
}

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  isArray: (name) => name === "testsuite" || name === "testcase",
});

/** Clients acting in a member account, destroyed after `fn`. */
async function inAccount<T>(
  endpoint: string,
  accountId: string,
  fn: (c: Awaited<ReturnType<typeof clientsFor>>) => Promise<T>,
): Promise<T> {
  const c = await clientsFor(endpoint, accountId);
  try {
    return await fn(c);
  } finally {
    c.destroy();
  }
}

async function inManagement<T>(endpoint: string, fn: (c: ReturnType<typeof awsClients>) => Promise<T>): Promise<T> {
  const c = awsClients(endpoint);
  try {
    return await fn(c);
  } finally {
    c.destroy();
  }
}

const trustText = (f: Fixture) => JSON.stringify(memberTrustPolicy(f.integration, EXT));

/**
 * One deployment shared by the tests below (building it costs seconds with managed policies loaded). Every test
 * induces one drift and undoes it in `finally`, so each starts from the clean deployment the first test checks.
 */
describeWithMoto(
  "orgtrust drift against moto (one deployment; each test induces one drift and undoes it, the irreversible ones last)",
  (moto) => {
    let f: Fixture;
    let proxy: FaultProxy;
    beforeAll(async () => {
      f = await deploy(moto().endpoint);
      proxy = await startFaultProxy(moto().endpoint, 11);
    }, 120_000);
    afterEach(() => {
      proxy.clearRules();
      proxy.setRewrite(undefined);
      proxy.resetCounts();
    });
    afterAll(async () => {
      await proxy?.stop();
    });

    test("a clean deployment: exit 0, every format well formed, the external ID never printed", async () => {
      const junit = path.join(f.dir, "drift.xml");
      const md = path.join(f.dir, "drift.md");
      const text = path.join(f.dir, "drift.txt");
      const r = await drift(f, [
        "--deep",
        "--generated",
        f.generated,
        "--report",
        `junit=${junit}`,
        "--report",
        `markdown=${md}`,
        "--report",
        `text=${text}`,
      ]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      // moto reports no AutoDeployment: unknown (info), never an error.
      expect(kinds(r.report)).toEqual(["stackset-auto-deployment-unknown"]);
      expect(r.report.summary).toMatchObject({ errors: 0, warnings: 0, infos: 1, failing: 0, exitCode: 0 });
      expect(r.report.snapshot).toBe(f.snapshot);
      const checked = (check: string) =>
        r.report.checked
          .filter((u) => u.check === check)
          .map((u) => u.target.id)
          .sort();
      const members = [f.built.account.w1, f.built.account.w2, f.built.account.p1].sort();
      expect(checked("coverage")).toEqual(members);
      expect(checked("member-role")).toEqual(members);
      expect(checked("management-role")).toEqual([f.built.managementAccountId]);
      expect(checked("stackset")).toEqual([f.integration.stackSet.name]);
      expect(checked("generated")).toEqual(["audit/aws-config"]);

      const junitText = fs.readFileSync(junit, "utf8");
      const doc = xml.parse(junitText);
      const cases = doc.testsuites.testsuite.flatMap((s: { testcase: unknown[] }) => s.testcase);
      expect(Number(doc.testsuites["@tests"])).toBe(r.report.checked.length);
      expect(cases).toHaveLength(r.report.checked.length);
      expect(Number(doc.testsuites["@failures"])).toBe(0);
      const mdText = fs.readFileSync(md, "utf8");
      expect(mdText).toContain("## orgtrust drift: ✅ no drift");
      expect(mdText).toContain("| Severity | Kind | Integration | Target | Finding | Expected | Found | Fix |");
      expect(mdText).toContain("`stackset-auto-deployment-unknown`");
      const t = fs.readFileSync(text, "utf8");
      expect(t).toContain("stackset-auto-deployment-unknown");
      expect(t).toMatch(/none at or above --fail-on error: exit 0/);
      for (const out of [junitText, mdText, t]) expect(out).not.toContain(EXT);

      // The command line of the GitHub Actions workflow in docs/drift-and-ci.md ("Drift in CI"), run in the project folder as CI runs it.
      const ci = await runCli(
        ["drift", "--deep", "--generated", "generated", "--format", "markdown", "--report", "junit=drift-junit.xml"],
        { endpoint: f.endpoint, cwd: f.dir },
      );
      expect(ci.code).toBe(0);
      expect(ci.stdout).toContain("## orgtrust drift: ✅ no drift");
      const ciJunit = xml.parse(fs.readFileSync(path.join(f.dir, "drift-junit.xml"), "utf8"));
      expect(Number(ciJunit.testsuites["@tests"])).toBe(r.report.checked.length);
      expect(ci.stdout + fs.readFileSync(path.join(f.dir, "drift-junit.xml"), "utf8")).not.toContain(EXT);

      // The default format is the text table, on stdout.
      const plain = await runCli(["drift", "--config", f.config], { endpoint: f.endpoint });
      expect(plain.code).toBe(0);
      expect(plain.stdout).toContain("SEVERITY  CHECK");
    });

    test("an account moved into an excluded OU keeps an instance: reported as excluded", async () => {
      const w2 = f.built.account.w2;
      const move = (from: string, to: string) =>
        inManagement(f.endpoint, (c) =>
          c.org.send(new MoveAccountCommand({ AccountId: w2, SourceParentId: from, DestinationParentId: to })),
        );
      await move(f.built.ou.Workloads, f.built.ou.Sandbox);
      try {
        const r = await drift(f, ["--deep"]);
        expect(r.code).toBe(1);
        const ex = find(r.report, "instance-in-excluded-account", w2);
        expect(ex).toHaveLength(1);
        expect(ex[0]).toMatchObject({ check: "coverage", severity: "error", target: { name: "w2" } });
        expect(ex[0].message).toContain(`in excluded OU Sandbox (${f.built.ou.Sandbox})`);
        const moved = find(r.report, "account-moved", w2)[0];
        expect(moved).toMatchObject({
          severity: "error",
          remedy: "regenerate",
          expected: `Root/Workloads (${f.built.ou.Workloads})`,
          found: `Root/Sandbox (${f.built.ou.Sandbox})`,
        });
        expect(moved.message).toContain("now out of scope");
        expect(kinds(r.report, "error").sort()).toEqual(["account-moved", "instance-in-excluded-account"]);
        // Out of scope now: --deep no longer reads its role.
        expect(r.report.checked.some((u) => u.check === "member-role" && u.target.id === w2)).toBe(false);
      } finally {
        await move(f.built.ou.Sandbox, f.built.ou.Workloads);
      }
    });

    test("an account the StackSet cannot cover is a warning (uncoveredAccounts: none); --fail-on warning makes it fail", async () => {
      const w1 = f.built.account.w1;
      const none = variantConfig(f, "orgtrust-none.yaml", "    stackSet: { uncoveredAccounts: none }\n");
      const move = (from: string, to: string) =>
        inManagement(f.endpoint, (c) =>
          c.org.send(new MoveAccountCommand({ AccountId: w1, SourceParentId: from, DestinationParentId: to })),
        );
      await move(f.built.ou.Workloads, f.built.rootId);
      try {
        const r = await drift(f, [], { config: none });
        expect(r.code).toBe(0);
        expect(find(r.report, "account-not-coverable", w1)[0]).toMatchObject({
          severity: "warning",
          check: "coverage",
        });
        expect(find(r.report, "account-moved", w1)[0]).toMatchObject({ severity: "warning", remedy: "regenerate" });
        // The default (direct): synth's snapshot did not see w1 there, so it has no direct role yet: still a warning,
        // now saying to re-run discover and synth.
        const d = await drift(f);
        expect(d.code).toBe(0);
        expect(find(d.report, "account-not-coverable", w1)[0].message).toContain(
          "re-run `orgtrust discover --out <snapshot>`, then synth and deploy",
        );
        const strict = await drift(f, ["--fail-on", "warning"], { config: none });
        expect(strict.code).toBe(1);
        expect(strict.report.failOn).toBe("warning");
        const junit = await runCli(["drift", "--config", none, "--fail-on", "warning", "--format", "junit"], {
          endpoint: f.endpoint,
        });
        expect(junit.code).toBe(1);
        expect(Number(xml.parse(junit.stdout).testsuites["@failures"])).toBe(2);
      } finally {
        await move(f.built.rootId, f.built.ou.Workloads);
      }
    });

    test("uncoveredAccounts: direct: an account in a mixed OU has no instance by design; --deep checks its role (role-missing when deleted)", async () => {
      const { w1, w2 } = f.built.account;
      // Excluding w2 makes Workloads untargetable: w1 sits directly in it, so synth gives w1 the role directly.
      const direct = variantConfig(f, "orgtrust-direct.yaml", `    exclusions: { accounts: ["${w2}"] }\n`);
      // Neither has a stack instance (as when deployed with that config): drop them from ListStackInstances.
      proxy.setRewrite((op, body) =>
        op === "ListStackInstances"
          ? body.replace(/<member>([\s\S]*?)<\/member>/g, (m, inner: string) =>
              inner.includes(`<Account>${w1}</Account>`) || inner.includes(`<Account>${w2}</Account>`) ? "" : m,
            )
          : undefined,
      );
      const name = f.integration.memberRole.name;
      const r = await drift(f, ["--deep"], { endpoint: proxy.endpoint, config: direct });
      expect(find(r.report, "instance-missing", w1)).toEqual([]);
      expect(find(r.report, "account-not-coverable", w1)).toEqual([]);
      expect(r.report.findings.filter((x) => x.target.id === w1)).toEqual([]);
      expect(r.report.checked.some((u) => u.check === "member-role" && u.target.id === w1)).toBe(true);
      expect(r.report.checked.some((u) => u.check === "coverage" && u.target.id === w1)).toBe(true);
      expect(kinds(r.report, "error")).toEqual([]);
      expect(kinds(r.report, "warning")).toEqual([]);
      expect(r.code).toBe(0);
      // The same account with uncoveredAccounts: none is uncoverable (a warning), and its role is not required.
      const none = variantConfig(
        f,
        "orgtrust-direct-none.yaml",
        `    exclusions: { accounts: ["${w2}"] }\n    stackSet: { uncoveredAccounts: none }\n`,
      );
      const n = await drift(f, [], { endpoint: proxy.endpoint, config: none });
      expect(find(n.report, "account-not-coverable", w1)[0]).toMatchObject({ severity: "warning" });

      await inAccount(f.endpoint, w1, async (m) => {
        await m.iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: POLICY }));
        await m.iam.send(new DeleteRoleCommand({ RoleName: name }));
      });
      try {
        const gone = await drift(f, ["--deep"], { endpoint: proxy.endpoint, config: direct });
        expect(gone.code).toBe(1);
        expect(kinds(gone.report, "error")).toEqual(["role-missing"]);
        expect(find(gone.report, "role-missing", w1)[0]).toMatchObject({
          severity: "error",
          check: "member-role",
          target: { type: "account", id: w1 },
        });
        expect(find(gone.report, "role-missing", w1)[0].message).not.toContain("cannot cover");
      } finally {
        await inAccount(f.endpoint, w1, async (m) => {
          await m.iam.send(
            new CreateRoleCommand({
              RoleName: name,
              Path: f.integration.memberRole.path,
              AssumeRolePolicyDocument: trustText(f),
            }),
          );
          await m.iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: POLICY }));
        });
      }
    });

    test("--deep sessions in member accounts carry a session policy limited to the IAM role reads (issue 11 item 11)", async () => {
      const policies = new Map<string, string>();
      proxy.setRewrite((op, _body, req) => {
        if (op !== "AssumeRole") return undefined;
        const q = new URLSearchParams(req.body);
        if (q.get("RoleSessionName") === "orgtrust-drift") policies.set(q.get("RoleArn")!, q.get("Policy") ?? "");
        return undefined;
      });
      try {
        const r = await drift(f, ["--deep"], { endpoint: proxy.endpoint });
        expect(r.code).toBe(0);
      } finally {
        proxy.setRewrite(undefined);
      }
      const members = [f.built.account.w1, f.built.account.w2, f.built.account.p1];
      expect([...policies.keys()].map((a) => a.split(":")[4]).sort()).toEqual([...members].sort());
      for (const [roleArn, text] of policies) {
        const account = roleArn.split(":")[4];
        const policy = JSON.parse(text);
        expect(policy.Statement).toEqual([
          {
            Sid: "OrgtrustDriftRoleReads",
            Effect: "Allow",
            Action: ["iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies"],
            Resource: `arn:aws:iam::${account}:role/*`,
          },
        ]);
        // Under an independent evaluator, an administrator session with this session policy can only read roles there.
        const allowed = async (action: string, resource: string) => {
          const sim = await runSimulation(
            {
              identityPolicies: [
                {
                  name: "AdministratorAccess",
                  policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
                },
              ],
              serviceControlPolicies: [],
              resourceControlPolicies: [],
              sessionPolicy: policy,
              request: {
                action,
                principal: `arn:aws:sts::${account}:assumed-role/OrganizationAccountAccessRole/orgtrust-drift`,
                resource: { resource, accountId: account },
                contextVariables: {},
              },
            },
            {},
          );
          if (sim.resultType === "error") throw new Error(JSON.stringify(sim.errors));
          return sim.overallResult;
        };
        expect(await allowed("iam:GetRole", `arn:aws:iam::${account}:role/${f.integration.memberRole.name}`)).toBe(
          "Allowed",
        );
        expect(await allowed("iam:ListAttachedRolePolicies", `arn:aws:iam::${account}:role/x`)).toBe("Allowed");
        expect(await allowed("iam:CreateRole", `arn:aws:iam::${account}:role/x`)).not.toBe("Allowed");
        expect(await allowed("iam:PutRolePolicy", `arn:aws:iam::${account}:role/x`)).not.toBe("Allowed");
        expect(await allowed("iam:GetUser", `arn:aws:iam::${account}:user/x`)).not.toBe("Allowed");
        expect(await allowed("s3:GetObject", "arn:aws:s3:::bucket/key")).not.toBe("Allowed");
        expect(await allowed("sts:AssumeRole", `arn:aws:iam::${account}:role/x`)).not.toBe("Allowed");
      }
    });

    test("a deleted member role is only visible with --deep", async () => {
      const p1 = f.built.account.p1;
      const name = f.integration.memberRole.name;
      await inAccount(f.endpoint, p1, async (m) => {
        await m.iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: POLICY }));
        await m.iam.send(new DeleteRoleCommand({ RoleName: name }));
      });
      try {
        const shallow = await drift(f);
        expect(shallow.code).toBe(0);
        const r = await drift(f, ["--deep"]);
        expect(r.code).toBe(1);
        expect(kinds(r.report, "error")).toEqual(["role-missing"]);
        expect(find(r.report, "role-missing", p1)[0]).toMatchObject({
          check: "member-role",
          target: { type: "account", id: p1, name: "p1" },
          found: null,
        });
      } finally {
        await inAccount(f.endpoint, p1, async (m) => {
          await m.iam.send(
            new CreateRoleCommand({
              RoleName: name,
              Path: f.integration.memberRole.path,
              AssumeRolePolicyDocument: trustText(f),
            }),
          );
          await m.iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: POLICY }));
        });
      }
    });

    test("a trust policy changed to another principal without the external ID (member with --deep, management without)", async () => {
      const w1 = f.built.account.w1;
      const name = f.integration.memberRole.name;
      const other = JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: "999988887777" }, Action: "sts:AssumeRole" }],
      });
      try {
        await inAccount(f.endpoint, w1, (m) =>
          m.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: other })),
        );
        const shallow = await drift(f);
        expect(shallow.code).toBe(0);
        const r = await drift(f, ["--deep"]);
        expect(r.code).toBe(1);
        const t = find(r.report, "role-trust-differs", w1);
        expect(t).toHaveLength(1);
        expect(t[0].check).toBe("member-role");
        expect(t[0].message).toContain(
          "trusted principal is arn:aws:iam::999988887777:root instead of arn:aws:iam::444455556666:role/auditor",
        );
        expect(t[0].message).toContain("the sts:ExternalId condition is missing");
        expect(t[0].expected).toContain("<external-id>");
        expect(kinds(r.report, "error")).toEqual(["role-trust-differs"]);

        // The management account's role is checked on every run.
        await inManagement(f.endpoint, (c) =>
          c.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: other })),
        );
        const mg = await drift(f);
        expect(mg.code).toBe(1);
        expect(find(mg.report, "role-trust-differs", f.built.managementAccountId)[0]).toMatchObject({
          check: "management-role",
          severity: "error",
        });
      } finally {
        await inAccount(f.endpoint, w1, (m) =>
          m.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: trustText(f) })),
        );
        await inManagement(f.endpoint, (c) =>
          c.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: trustText(f) })),
        );
      }
    });

    test("the same trust policy spelled differently is not drift (semantic comparison)", async () => {
      const w1 = f.built.account.w1;
      const same = JSON.stringify({
        Statement: [
          {
            Condition: { StringEquals: { "sts:externalid": [EXT] } },
            Action: ["sts:AssumeRole"],
            Principal: { AWS: [PRINCIPAL] },
            Effect: "Allow",
          },
          {
            Effect: "Allow",
            Principal: { AWS: PRINCIPAL },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "sts:ExternalId": EXT } },
            Sid: "Duplicate",
          },
        ],
        Version: "2012-10-17",
      });
      try {
        await inAccount(f.endpoint, w1, (m) =>
          m.iam.send(
            new UpdateAssumeRolePolicyCommand({ RoleName: f.integration.memberRole.name, PolicyDocument: same }),
          ),
        );
        const r = await drift(f, ["--deep"]);
        expect(r.code).toBe(0);
        expect(kinds(r.report)).toEqual(["stackset-auto-deployment-unknown"]);
      } finally {
        await inAccount(f.endpoint, w1, (m) =>
          m.iam.send(
            new UpdateAssumeRolePolicyCommand({
              RoleName: f.integration.memberRole.name,
              PolicyDocument: trustText(f),
            }),
          ),
        );
      }
    });

    test("a managed policy detached or an extra one attached", async () => {
      const { w1, p1 } = f.built.account;
      const name = f.integration.memberRole.name;
      try {
        await inAccount(f.endpoint, w1, (m) =>
          m.iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: POLICY })),
        );
        await inAccount(f.endpoint, p1, (m) =>
          m.iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: EXTRA_POLICY })),
        );
        await inManagement(f.endpoint, (c) =>
          c.iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: EXTRA_POLICY })),
        );
        const r = await drift(f, ["--deep"]);
        expect(r.code).toBe(1);
        expect(find(r.report, "role-policy-missing", w1)[0]).toMatchObject({
          check: "member-role",
          expected: POLICY,
          found: "(none attached)",
        });
        expect(find(r.report, "role-policy-extra", p1)[0]).toMatchObject({ check: "member-role", found: EXTRA_POLICY });
        expect(find(r.report, "role-policy-extra", f.built.managementAccountId)[0]).toMatchObject({
          check: "management-role",
          found: EXTRA_POLICY,
        });
        expect(kinds(r.report, "error").sort()).toEqual([
          "role-policy-extra",
          "role-policy-extra",
          "role-policy-missing",
        ]);
      } finally {
        await inAccount(f.endpoint, w1, (m) =>
          m.iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: POLICY })),
        );
        await inAccount(f.endpoint, p1, (m) =>
          m.iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: EXTRA_POLICY })),
        );
        await inManagement(f.endpoint, (c) =>
          c.iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: EXTRA_POLICY })),
        );
      }
    });

    test("a permissions boundary added, a session length changed; a boundary in each account is checked against each account's policy", async () => {
      const { w1, w2, p1 } = f.built.account;
      const mgmt = f.built.managementAccountId;
      const name = f.integration.memberRole.name;
      const BOUNDARY = "arn:aws:iam::aws:policy/PowerUserAccess";
      try {
        await inAccount(f.endpoint, w1, (m) =>
          m.iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: name, PermissionsBoundary: BOUNDARY })),
        );
        await inAccount(f.endpoint, p1, (m) =>
          m.iam.send(new UpdateRoleCommand({ RoleName: name, MaxSessionDuration: 7200 })),
        );
        const r = await drift(f, ["--deep"]);
        expect(r.code).toBe(1);
        expect(find(r.report, "role-boundary-differs")).toEqual([
          expect.objectContaining({
            check: "member-role",
            target: expect.objectContaining({ id: w1 }),
            expected: "(none)",
            found: BOUNDARY,
          }),
        ]);
        expect(find(r.report, "role-session-duration-differs")).toEqual([
          expect.objectContaining({
            check: "member-role",
            target: expect.objectContaining({ id: p1 }),
            expected: "3600",
            found: "7200",
          }),
        ]);
        expect(kinds(r.report, "error").sort()).toEqual(["role-boundary-differs", "role-session-duration-differs"]);

        // memberRole.permissionsBoundary with ${AWS::AccountId}: w1 carries its own org-boundary; the others none.
        const config = variantConfig(
          f,
          "boundary.yaml",
          '      permissionsBoundary: "arn:aws:iam::${AWS::AccountId}:policy/org-boundary"\n',
        );
        await inAccount(f.endpoint, w1, async (m) => {
          await m.iam.send(
            new CreatePolicyCommand({
              PolicyName: "org-boundary",
              PolicyDocument: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
              }),
            }),
          );
          await m.iam.send(
            new PutRolePermissionsBoundaryCommand({
              RoleName: name,
              PermissionsBoundary: `arn:aws:iam::${w1}:policy/org-boundary`,
            }),
          );
        });
        const each = await drift(f, ["--deep"], { config });
        const boundary = find(each.report, "role-boundary-differs");
        expect(boundary.map((x) => [x.target.id, x.expected, x.found]).sort()).toEqual(
          [mgmt, w2, p1].map((a) => [a, `arn:aws:iam::${a}:policy/org-boundary`, "(none)"]).sort(),
        );
        expect(boundary.find((x) => x.target.id === mgmt)!.check).toBe("management-role");
      } finally {
        await inAccount(f.endpoint, w1, async (m) => {
          await m.iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: name }));
          await m.iam
            .send(new DeletePolicyCommand({ PolicyArn: `arn:aws:iam::${w1}:policy/org-boundary` }))
            .catch(() => undefined);
        });
        await inAccount(f.endpoint, p1, (m) =>
          m.iam.send(new UpdateRoleCommand({ RoleName: name, MaxSessionDuration: 3600 })),
        );
      }
      expect((await drift(f, ["--deep"])).code).toBe(0);
    });

    test("the discovery role given more than discovery (a managed policy, a write action inline) is drift; a denied read skips it", async () => {
      const name = f.integration.discoveryRole.name;
      const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
      const write = {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "organizations:CreateAccount", Resource: "*" }],
      };
      try {
        await inManagement(f.endpoint, async (c) => {
          await c.iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: ADMIN }));
          await c.iam.send(
            new PutRolePolicyCommand({ RoleName: name, PolicyName: "more", PolicyDocument: JSON.stringify(write) }),
          );
        });
        const r = await drift(f);
        expect(r.code).toBe(1);
        const mgmt = f.built.managementAccountId;
        expect(find(r.report, "role-policy-extra", mgmt)).toEqual([
          expect.objectContaining({ check: "discovery-role", found: ADMIN }),
        ]);
        expect(find(r.report, "role-inline-policy-differs", mgmt)).toEqual([
          expect.objectContaining({ check: "discovery-role" }),
        ]);
        expect(find(r.report, "role-inline-policy-differs", mgmt)[0].message).toContain(
          "2 inline policies: more, orgtrust-discovery",
        );
        expect(kinds(r.report, "error").sort()).toEqual(["role-inline-policy-differs", "role-policy-extra"]);
        // Credentials that may not read it (an older CI role): skipped (info), not an error and not exit 3.
        // (The management account is left out so that the discovery role is the only role read.)
        const config = variantConfig(f, "no-management-role.yaml", "    exclusions: { managementAccount: true }\n");
        proxy.addRule({
          operations: ["GetRole"],
          rate: 1,
          fault: {
            kind: "error",
            code: "AccessDenied",
            status: 403,
            message: "not authorized to perform: iam:GetRole",
          },
        });
        const denied = await drift(f, [], { endpoint: proxy.endpoint, config });
        expect(denied.code).toBe(0);
        expect(find(denied.report, "discovery-role-skipped")).toEqual([
          expect.objectContaining({
            severity: "info",
            check: "discovery-role",
            target: expect.objectContaining({ id: mgmt }),
          }),
        ]);
        expect(find(denied.report, "discovery-role-skipped")[0].found).toMatch(/^AccessDenied/);
      } finally {
        await inManagement(f.endpoint, async (c) => {
          await c.iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: ADMIN }));
          await c.iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: "more" }));
        });
      }
      expect((await drift(f)).code).toBe(0);
    });

    test("a discovery role in the delegated administrator: skipped with management credentials, read through the audit role under --deep", async () => {
      const { w1 } = f.built.account;
      // The same integration with its discovery role in w1, registered as the delegated administrator.
      const config = path.join(f.dir, "delegated.yaml");
      const text = configYaml(f.built, "value", "    discoveryRole: { account: delegatedAdmin }\n").replace(
        `  managementAccountId: "${f.built.managementAccountId}"\n`,
        `  managementAccountId: "${f.built.managementAccountId}"\n  delegatedAdminAccountId: "${w1}"\n`,
      );
      fs.writeFileSync(config, text);
      const variant = loadConfig(config).integrations.find((i) => i.name === "audit")!;
      const name = variant.discoveryRole.name;
      const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
      await inAccount(f.endpoint, w1, async (m) => {
        await m.iam.send(
          new CreateRoleCommand({
            RoleName: name,
            AssumeRolePolicyDocument: JSON.stringify(discoveryTrustPolicy(variant, EXT)),
          }),
        );
        await m.iam.send(
          new PutRolePolicyCommand({
            RoleName: name,
            PolicyName: DISCOVERY_POLICY_NAME,
            PolicyDocument: JSON.stringify(discoveryRolePolicy(variant)),
          }),
        );
      });
      try {
        const shallow = await drift(f, [], { config });
        expect(find(shallow.report, "discovery-role-skipped", w1)).toEqual([
          expect.objectContaining({
            severity: "info",
            found: expect.stringContaining(`the credentials are for account ${f.built.managementAccountId}`),
          }),
        ]);
        const deep = await drift(f, ["--deep"], { config });
        expect(deep.report.findings.filter((x) => x.check === "discovery-role")).toEqual([]);
        await inAccount(f.endpoint, w1, (m) =>
          m.iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: ADMIN })),
        );
        const drifted = await drift(f, ["--deep"], { config });
        expect(drifted.code).toBe(1);
        expect(drifted.report.findings.filter((x) => x.check === "discovery-role")).toEqual([
          expect.objectContaining({
            kind: "role-policy-extra",
            target: expect.objectContaining({ id: w1 }),
            found: ADMIN,
          }),
        ]);
      } finally {
        await inAccount(f.endpoint, w1, async (m) => {
          await m.iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: ADMIN })).catch(() => undefined);
          await m.iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: DISCOVERY_POLICY_NAME }));
          await m.iam.send(new DeleteRoleCommand({ RoleName: name }));
        });
      }
    });

    test("a member role that shares the discovery role's name (Port Ocean) is the discovery role in the management account", async () => {
      const name = f.integration.memberRole.name;
      const config = variantConfig(f, "same-name.yaml", `    discoveryRole: { name: ${name} }\n`);
      const variant = loadConfig(config).integrations.find((i) => i.name === "audit")!;
      // The management role lacks the discovery policy the discovery role carries: drift.
      const before = await drift(f, [], { config });
      expect(find(before.report, "role-inline-policy-differs")).toEqual([
        expect.objectContaining({
          check: "management-role",
          target: expect.objectContaining({ id: f.built.managementAccountId }),
        }),
      ]);
      try {
        await inManagement(f.endpoint, (c) =>
          c.iam.send(
            new PutRolePolicyCommand({
              RoleName: name,
              PolicyName: DISCOVERY_POLICY_NAME,
              PolicyDocument: JSON.stringify(discoveryRolePolicy(variant)),
            }),
          ),
        );
        const r = await drift(f, [], { config });
        expect(r.code).toBe(0);
        expect(kinds(r.report, "error")).toEqual([]);
        // ...which the member role of the ordinary config must not have.
        expect(find((await drift(f)).report, "role-inline-policy-differs")).toHaveLength(1);
      } finally {
        await inManagement(f.endpoint, (c) =>
          c.iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: DISCOVERY_POLICY_NAME })),
        );
      }
    });

    test("a generated file edited, one the generator no longer renders, one missing", async () => {
      const file = path.join(f.generated, "audit", "aws-config");
      const stale = path.join(f.generated, "audit", "stale.ini");
      const original = fs.readFileSync(file, "utf8");
      try {
        fs.appendFileSync(file, "\n[profile hand-edited]\nrole_arn = arn:aws:iam::111111111111:role/x\n");
        fs.writeFileSync(stale, "old\n");
        const r = await drift(f, ["--generated", f.generated]);
        expect(r.code).toBe(1);
        const d = find(r.report, "generated-file-differs", "audit/aws-config")[0];
        expect(d).toMatchObject({ check: "generated", severity: "error", remedy: "regenerate" });
        expect(d.fix).toContain("orgtrust generate");
        expect(d.found).toContain("hand-edited");
        expect(find(r.report, "generated-file-extra", "audit/stale.ini")[0]).toMatchObject({ severity: "warning" });
        fs.rmSync(file);
        const gone = await drift(f, ["--generated", f.generated]);
        expect(find(gone.report, "generated-file-missing", "audit/aws-config")).toHaveLength(1);
      } finally {
        fs.writeFileSync(file, original);
        fs.rmSync(stale, { force: true });
      }
    });

    test("instance statuses moto cannot produce (OUTDATED, FAILED, DRIFTED) and reported OU targets, through the proxy", async () => {
      const { w1, w2, p1 } = f.built.account;
      const ou = f.built.ou.Workloads;
      rewriteInstances(proxy, (m, account) => {
        let out = m.replace(
          "</StackInstanceStatus>",
          `</StackInstanceStatus><OrganizationalUnitId>${ou}</OrganizationalUnitId>`,
        );
        if (account === w1)
          out = out.replace(
            "<Status>CURRENT</Status>",
            "<Status>OUTDATED</Status><StatusReason>Account should have 'AWSCloudFormationStackSetExecutionRole'</StatusReason>",
          );
        if (account === p1)
          out = out.replace("<DetailedStatus>SUCCEEDED</DetailedStatus>", "<DetailedStatus>FAILED</DetailedStatus>");
        if (account === w2)
          out = out.replace("</StackInstanceStatus>", "</StackInstanceStatus><DriftStatus>DRIFTED</DriftStatus>");
        return out;
      });
      const r = await drift(f, [], { endpoint: proxy.endpoint });
      expect(r.code).toBe(1);
      expect(find(r.report, "instance-status", w1)[0]).toMatchObject({
        severity: "error",
        found: "OUTDATED/SUCCEEDED",
        expected: "CURRENT/SUCCEEDED",
      });
      expect(find(r.report, "instance-status", w1)[0].message).toContain("AWSCloudFormationStackSetExecutionRole");
      expect(find(r.report, "instance-status", p1)[0]).toMatchObject({ found: "CURRENT/FAILED" });
      expect(find(r.report, "instance-drifted", w2)[0]).toMatchObject({ severity: "error", found: "DRIFTED" });
      // The OU AWS reports equals the computed target: no target finding.
      expect(kinds(r.report, "error").sort()).toEqual(["instance-drifted", "instance-status", "instance-status"]);

      rewriteInstances(proxy, (m) =>
        m.replace(
          "</StackInstanceStatus>",
          `</StackInstanceStatus><OrganizationalUnitId>${f.built.rootId}</OrganizationalUnitId>`,
        ),
      );
      const t = await drift(f, [], { endpoint: proxy.endpoint });
      expect(t.code).toBe(1);
      const td = find(t.report, "stackset-targets-differ")[0];
      expect(td.message).toContain(`deployed through ${f.built.rootId} which the computed cover does not target`);
      expect(td.message).toContain(`no instance deployed through ${ou}`);
      expect(td).toMatchObject({ expected: ou, found: f.built.rootId });
    });

    test("AutoDeployment disabled, a parameter and the template changed, through DescribeStackSet rewrites", async () => {
      proxy.setRewrite((op, body) =>
        op === "DescribeStackSet"
          ? body
              .replace(
                "<PermissionModel>",
                "<AutoDeployment><Enabled>false</Enabled><RetainStacksOnAccountRemoval>false</RetainStacksOnAccountRemoval></AutoDeployment><PermissionModel>",
              )
              .replace(
                "<ParameterKey>MaxSessionDuration</ParameterKey><ParameterValue>3600</ParameterValue>",
                "<ParameterKey>MaxSessionDuration</ParameterKey><ParameterValue>7200</ParameterValue>",
              )
              .replace(
                `<ParameterValue>${EXT}</ParameterValue>`,
                "<ParameterValue>ext-some-other-value-123</ParameterValue>",
              )
              .replace("MaxValue: 43200", "MaxValue: 40000")
              .replace("sts:ExternalId: !Ref ExternalId", `sts:ExternalId: ${EXT}`) // a literal secret in the template
          : undefined,
      );
      const r = await drift(f, [], { endpoint: proxy.endpoint });
      expect(r.code).toBe(1);
      expect(r.stdout).not.toContain("ext-some-other-value-123");
      expect(find(r.report, "stackset-auto-deployment-disabled")[0]).toMatchObject({
        severity: "error",
        expected: "Enabled=true",
        found: "Enabled=false",
      });
      const p = find(r.report, "stackset-parameters-differ")[0];
      expect(p.message).toContain("ExternalId, MaxSessionDuration");
      expect(p.expected).toBe("ExternalId=<secret>, MaxSessionDuration=3600");
      expect(p.found).toBe("ExternalId=<secret>, MaxSessionDuration=7200");
      const t = find(r.report, "stackset-template-differs")[0];
      expect(t.message).toContain("Parameters.MaxSessionDuration.MaxValue");
      expect(t.message).toContain("AssumeRolePolicyDocument.Statement.0.Condition.StringEquals.sts:ExternalId");
      expect(t).toMatchObject({
        expected: 'Parameters.MaxSessionDuration.MaxValue: "43200"',
        found: 'Parameters.MaxSessionDuration.MaxValue: "40000"',
      });
      expect(kinds(r.report).sort()).toEqual([
        "stackset-auto-deployment-disabled",
        "stackset-parameters-differ",
        "stackset-template-differs",
      ]);

      proxy.setRewrite((op, body) =>
        op === "DescribeStackSet"
          ? body.replace(
              "<PermissionModel>SERVICE_MANAGED</PermissionModel>",
              "<PermissionModel>SELF_MANAGED</PermissionModel>",
            )
          : undefined,
      );
      const sm = await drift(f, [], { endpoint: proxy.endpoint });
      expect(find(sm.report, "stackset-permission-model")[0]).toMatchObject({
        expected: "SERVICE_MANAGED",
        found: "SELF_MANAGED",
      });
    });

    test("access denied on DescribeStackSet: exit 3 naming the action", async () => {
      proxy.addRule({
        operations: ["DescribeStackSet"],
        rate: 1,
        fault: {
          kind: "error",
          code: "AccessDenied",
          status: 403,
          message:
            "User: arn:aws:sts::123456789012:assumed-role/ci/run is not authorized to perform: cloudformation:DescribeStackSet",
        },
      });
      const r = await runCli(["drift", "--config", f.config], { endpoint: proxy.endpoint });
      expect(r.code).toBe(3);
      expect(r.stdout).toBe("");
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain("cloudformation:DescribeStackSet");
      expect(r.stderr).toContain("arn:aws:sts::123456789012:assumed-role/ci/run");
    });

    test("throttling on the StackSet and IAM reads is retried to the same result", async () => {
      proxy.addRule({
        operations: ["DescribeStackSet", "ListStackInstances", "GetRole", "ListAttachedRolePolicies", "AssumeRole"],
        rate: 0.4,
        fault: { kind: "error", code: "Throttling" },
      });
      const r = await drift(f, ["--deep"], { endpoint: proxy.endpoint });
      expect(r.code).toBe(0);
      expect([...proxy.faulted.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(kinds(r.report)).toEqual(["stackset-auto-deployment-unknown"]);
    });

    test("--deep through an assumed discovery role whose sessions expire: credentials are refreshed, the result is unchanged", async () => {
      const role = `arn:aws:iam::${f.built.managementAccountId}:role/orgtrust-discovery`;
      // One-second sessions (refreshed halfway), on a serial run whose every answer takes at least 150 ms: it lasts at
      // least (calls x 150 ms), whatever the machine's speed.
      proxy.addRule({ rate: 1, fault: { kind: "delay", ms: 150 } });
      const r = await drift(
        f,
        ["--deep", "--role-arn", role, "--external-id", "discovery-ext-id-01", "--concurrency", "1"],
        {
          endpoint: proxy.endpoint,
          env: { ORGTRUST_ROLE_SESSION_SECONDS: "1" },
        },
      );
      expect(r.code).toBe(0);
      expect(kinds(r.report)).toEqual(["stackset-auto-deployment-unknown"]);
      // 3 member accounts each need one AssumeRole into the audit role; the rest are refreshes of the discovery role.
      const withRefresh = proxy.forwarded.get("AssumeRole")!;
      const otherCalls = [...proxy.forwarded.entries()]
        .filter(([op]) => op !== "AssumeRole")
        .reduce((n, [, c]) => n + c, 0);
      const minimumSeconds = Math.floor((otherCalls * 150) / 1000);
      expect(minimumSeconds).toBeGreaterThanOrEqual(2);
      expect(r.stdout + r.stderr).not.toContain("discovery-ext-id-01");
      // With hour-long sessions the discovery role is assumed once, shared by every client.
      proxy.resetCounts();
      proxy.clearRules();
      const hour = await drift(
        f,
        ["--deep", "--role-arn", role, "--external-id", "discovery-ext-id-01", "--concurrency", "1"],
        { endpoint: proxy.endpoint },
      );
      expect(hour.code).toBe(0);
      expect(proxy.forwarded.get("AssumeRole")).toBe(3 + 1);
      expect(withRefresh).toBeGreaterThanOrEqual(3 + minimumSeconds);
    });

    test("an account that cannot be assumed under --deep is a finding, not dropped", async () => {
      proxy.addRule({
        operations: ["AssumeRole"],
        count: 1,
        fault: {
          kind: "error",
          code: "AccessDenied",
          status: 403,
          message: "not authorized to perform: sts:AssumeRole",
        },
      });
      const r = await drift(f, ["--deep", "--concurrency", "1"], { endpoint: proxy.endpoint });
      expect(r.code).toBe(1);
      const na = find(r.report, "account-not-assumable");
      expect(na).toHaveLength(1);
      expect(na[0].message).toContain(":role/OrganizationAccountAccessRole");
      expect(kinds(r.report, "error")).toEqual(["account-not-assumable"]);
      // The other two accounts were still read (and the management account's role and the discovery role).
      expect(proxy.forwarded.get("GetRole")).toBe(4);
      proxy.resetCounts();
      const custom = await drift(f, ["--deep", "--audit-role-name", "AuditReader"], { endpoint: proxy.endpoint });
      expect(custom.code).toBe(0); // moto's AssumeRole checks nothing
      expect(proxy.forwarded.get("AssumeRole")).toBe(3);
    });

    test("external ID from the environment: unknown means presence only (info); a wrong value is drift; never printed", async () => {
      const config = f.envConfig;
      const unknown = await drift(f, ["--deep"], { config, env: { AUDIT_EXTERNAL_ID: undefined } });
      expect(unknown.code).toBe(0);
      const info = find(unknown.report, "external-id-unverified");
      expect(info).toHaveLength(1);
      expect(info[0].message).toContain("AUDIT_EXTERNAL_ID is not set");
      const known = await drift(f, ["--deep"], { config, env: { AUDIT_EXTERNAL_ID: EXT } });
      expect(known.code).toBe(0);
      expect(kinds(known.report)).toEqual(["stackset-auto-deployment-unknown"]);
      const wrong = "ext-WRONG-value-0042";
      const bad = await drift(f, ["--deep"], { config, env: { AUDIT_EXTERNAL_ID: wrong } });
      expect(bad.code).toBe(1);
      expect(bad.stdout + bad.stderr).not.toContain(wrong);
      const trust = find(bad.report, "role-trust-differs");
      expect(trust).toHaveLength(5); // three members, the management account's role and the discovery role
      expect(trust.map((t) => t.check).sort()).toEqual([
        "discovery-role",
        "management-role",
        "member-role",
        "member-role",
        "member-role",
      ]);
      expect(trust[0].message).toContain("the sts:ExternalId condition holds a different value");
      expect(trust[0].found).toContain("<a different external-id>");
      expect(find(bad.report, "stackset-parameters-differ")[0].expected).toBe("ExternalId=<secret>");
      for (const format of ["text", "junit", "markdown"]) {
        const out = await runCli(["drift", "--config", config, "--deep", "--format", format], {
          endpoint: f.endpoint,
          env: { AUDIT_EXTERNAL_ID: wrong },
        });
        expect(out.code).toBe(1);
        expect(out.stdout + out.stderr).not.toContain(wrong);
        expect(out.stdout + out.stderr).not.toContain(EXT);
      }
    });

    // Irreversible drift last (moto cannot remove an account from the org, and a deleted StackSet stays deleted).
    test("a new account in a targeted OU without an instance; its role is missing too (--deep); every format says so", async () => {
      const id = await inManagement(moto().endpoint, async (c) => {
        const accountId = (
          await c.org.send(new CreateAccountCommand({ AccountName: "late", Email: "late@example.com" }))
        ).CreateAccountStatus!.AccountId!;
        await c.org.send(
          new MoveAccountCommand({
            AccountId: accountId,
            SourceParentId: f.built.rootId,
            DestinationParentId: f.built.ou.Workloads,
          }),
        );
        return accountId;
      });
      const r = await drift(f, ["--deep"]);
      expect(r.code).toBe(1);
      const missing = find(r.report, "instance-missing", id);
      expect(missing).toHaveLength(1);
      expect(missing[0]).toMatchObject({
        check: "coverage",
        severity: "error",
        integration: "audit",
        target: { type: "account", id, name: "late" },
        remedy: "resynth-deploy",
      });
      const added = find(r.report, "account-added", id);
      expect(added[0]).toMatchObject({ check: "org", severity: "error", remedy: "regenerate" });
      expect(added[0].message).toContain("now in scope");
      expect(find(r.report, "role-missing", id)[0]).toMatchObject({ check: "member-role", severity: "error" });
      expect(kinds(r.report, "error").sort()).toEqual(["account-added", "instance-missing", "role-missing"]);

      const text = await runCli(["drift", "--config", f.config, "--deep"], { endpoint: f.endpoint });
      expect(text.code).toBe(1);
      for (const k of ["instance-missing", "account-added", "role-missing"]) expect(text.stdout).toContain(k);
      expect(text.stdout).toMatch(/3 error\(s\).*exit 1/);
      const junit = await runCli(["drift", "--config", f.config, "--deep", "--format", "junit"], {
        endpoint: f.endpoint,
      });
      expect(junit.code).toBe(1);
      const doc = xml.parse(junit.stdout);
      const cases: Array<{ "@name": string; failure?: { "@type": string } }> = doc.testsuites.testsuite.flatMap(
        (s: { testcase: unknown[] }) => s.testcase,
      );
      const failed = cases.filter((x) => x.failure);
      expect(Number(doc.testsuites["@failures"])).toBe(failed.length);
      expect(failed.map((x) => x.failure!["@type"]).sort()).toEqual([
        "account-added",
        "instance-missing",
        "role-missing",
      ]);
      expect(failed.every((x) => x["@name"].includes(id))).toBe(true);
      expect(cases.length).toBe(r.report.checked.length);
      const md = await runCli(["drift", "--config", f.config, "--deep", "--format", "markdown"], {
        endpoint: f.endpoint,
      });
      expect(md.code).toBe(1);
      expect(md.stdout).toContain("## orgtrust drift: ❌ drift found (3 at or above `error`)");
      expect(md.stdout).toMatch(/\| ❌ error \| `instance-missing` \| audit \| account \d{12} \(late\) \|/);
      for (const out of [text.stdout, junit.stdout, md.stdout]) expect(out).not.toContain(EXT);
    });

    test("the StackSet deleted", async () => {
      const name = f.integration.stackSet.name;
      await inManagement(moto().endpoint, async (c) => {
        // moto deletes instances by account only (AWS wants the OU for SERVICE_MANAGED sets).
        const accounts = [f.built.account.w1, f.built.account.w2, f.built.account.p1];
        // CloudFormation would delete the roles; moto's stack deletion needs their policies detached first.
        for (const a of accounts)
          await inAccount(f.endpoint, a, (m) =>
            m.iam.send(new DetachRolePolicyCommand({ RoleName: f.integration.memberRole.name, PolicyArn: POLICY })),
          );
        await c.cfn.send(
          new DeleteStackInstancesCommand({
            StackSetName: name,
            Accounts: accounts,
            Regions: ["us-east-1"],
            RetainStacks: true,
          }),
        );
        await c.cfn.send(new DeleteStackSetCommand({ StackSetName: name }));
      });
      // The snapshot catches up with the account the previous test added.
      expect(
        (await runCli(["discover", "--config", f.config, "--out", f.snapshot], { endpoint: f.endpoint })).code,
      ).toBe(0);
      const r = await drift(f);
      expect(r.code).toBe(1);
      expect(kinds(r.report)).toEqual(["stackset-missing"]); // no coverage findings without a StackSet
      expect(r.report.findings[0]).toMatchObject({
        check: "stackset",
        target: { type: "stackset", id: name },
        remedy: "resynth-deploy",
      });
      expect(r.report.findings[0].fix).toContain("`terraform apply` in its stacks/<integration> folder");
      expect(r.report.findings[0].fix).toContain("`cdktf deploy` of your own cdktf app");
      expect(r.report.findings[0].fix).not.toMatch(/\(`cdktf deploy`\)|, `cdktf deploy`/); // never the orgtrust checkout's own app
    });
  },
  { managedPolicies: true, resetEachTest: false },
);

describe("orgtrust drift input errors (no AWS needed)", () => {
  test("bad flags, a missing --generated folder and an unknown integration exit 2 with the fix", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-drift-input-"));
    const config = path.join(dir, "orgtrust.yaml");
    fs.writeFileSync(
      config,
      `version: 1\norganization:\n  managementAccountId: "111122223333"\n  homeRegion: us-east-1\nintegrations:\n  audit:\n    consumer: aws-cli\n    trustedPrincipal: ${PRINCIPAL}\n`,
    );
    const cases = [
      ["--format", "xml"],
      ["--fail-on", "info"],
      ["--generated", path.join(dir, "nope")],
      ["--integration", "nope"],
      ["--report", "pdf=x.pdf"],
      ["--audit-role-name", "bad name"],
    ];
    for (const args of cases) {
      const r = await runCli(["drift", "--config", config, ...args], { endpoint: "http://127.0.0.1:9" });
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(/fix: /);
    }
    const noConfig = await runCli(["drift", "--config", path.join(dir, "missing.yaml")]);
    expect(noConfig.code).toBe(2);
  });
});
