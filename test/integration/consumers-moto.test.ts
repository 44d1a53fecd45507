import {
  DescribeStackInstanceCommand,
  DescribeStackSetCommand,
  ListStackInstancesCommand,
} from "@aws-sdk/client-cloudformation";
import {
  CreateRoleCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  DescribeAccountCommand,
  DescribeOrganizationalUnitCommand,
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListChildrenCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  MoveAccountCommand,
  type Account,
} from "@aws-sdk/client-organizations";
import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ini from "ini";
import { parse as parseYaml } from "yaml";
import { loadConfig, type LoadedConfig } from "../../config/load";
import type { ResolvedIntegration } from "../../config/resolve";
import {
  CONSUMER_DISCOVERY_ACTIONS,
  DISCOVERY_ACTIONS,
  DISCOVERY_POLICY_NAME,
  discoveryRolePolicy,
  discoveryTrustPolicy,
  memberRoleIsDiscoveryRole,
  memberRoleParameters,
  memberRoleTemplateBody,
  memberTrustPolicy,
} from "../../constructs/member-role-policy";
import { runGenerate } from "../../generate";
import { computeScope } from "../../org/scope";
import { loadSnapshot, type Snapshot } from "../../org/snapshot";
import { computeOuCover } from "../../org/targets";
import { awsClients, type AwsClients, type Creds } from "../support/aws-clients";
import { runCli } from "../support/cli";
import { describeWithMoto, enforceIam } from "../support/moto";
import { buildOrg, type BuiltOrg } from "../support/org-fixture";
import { createMemberRoleStackSet } from "../support/stackset";

/**
 * Every consumer's discovery role and credential chain, by real calls against moto with IAM enforced
 * (enforceIam: moto evaluates the caller's identity policies; a missing action is 403).
 *
 * - Least privilege: each consumer's discovery role allows exactly the Organizations reads that consumer makes
 *   (CONSUMER_DISCOVERY_ACTIONS, each read from the consumer's source: docs/consumers.md "Per-consumer sources") plus orgtrust's
 *   own (discover, run through the CLI with the role; drift's StackSet and role reads): all allowed; every other
 *   Organizations read any consumer makes, a write (organizations:MoveAccount, iam:CreateRole) and sts:AssumeRole
 *   are denied.
 * - Credential chains: from the generated files only, each consumer's principal assumes the discovery role (where
 *   the consumer uses one), lists accounts the way the consumer does, then assumes each member role with the
 *   external ID the file gives; it reaches exactly the in-scope accounts. moto accepts an AssumeRole without an
 *   external ID, so the trust policies are proven with @cloud-copilot/iam-simulate (the principal each consumer
 *   really uses for each hop is allowed; the discovery-role session, which CloudQuery used before
 *   member_trusted_principal, is not).
 */

const RUNNER_ACCOUNT = "444455556666";
const PIPES_ACCOUNT = "316881668097";
const runnerArn = (name: string) => `arn:aws:iam::${RUNNER_ACCOUNT}:role/${name}`;
const EXT: Record<string, string> = {
  backstage: "bs-ExternalId-0123456789abcdef0123456789abcdef",
  port: "port-ExternalId-0123456789",
  pipes: "o_acme123:Ab3dE5gH",
  steampipe: "sp-ExternalId-0123456789",
  apono: "apono-ExternalId-0123456789",
  cloudquery: "cq-ExternalId-0123456789",
  custodian: "c7n-ExternalId-0123456789",
  awscli: "cli-ExternalId-0123456789",
  terraform: "tf-ExternalId-0123456789",
};

const SPEC = {
  ous: [
    { name: "Workloads", accounts: [{ name: "Prod App" }, { name: "Dev App" }] },
    { name: "Security", accounts: [{ name: "Audit" }] },
    { name: "Sandbox", accounts: [{ name: "Sandbox Alice" }] },
  ],
};

function configYaml(b: BuiltOrg): string {
  const principal = (n: string) => `trustedPrincipal: ${runnerArn(n)}`;
  const value = (n: string) => `externalId: { source: value, value: "${EXT[n]}" }`;
  return `version: 1
organization:
  managementAccountId: "${b.managementAccountId}"
  partition: aws
  homeRegion: us-east-1
exclusions:
  organizationalUnits: [${b.ou.Sandbox}]
integrations:
  backstage: { consumer: backstage, ${principal("backstage")}, ${value("backstage")} }
  port: { consumer: port-ocean, ${principal("port")}, ${value("port")}, exclusions: { managementAccount: true } }
  pipes: { consumer: turbot-pipes, ${value("pipes")}, options: { organizationHandle: acme } }
  steampipe: { consumer: steampipe, ${principal("steampipe")}, ${value("steampipe")}, options: { sourceProfile: runner } }
  apono: { consumer: apono, ${principal("apono")}, ${value("apono")}, options: { connectorId: acme-connector } }
  cloudquery: { consumer: cloudquery, ${principal("cloudquery")}, ${value("cloudquery")} }
  custodian: { consumer: c7n-org, ${principal("custodian")}, ${value("custodian")} }
  awscli: { consumer: aws-cli, ${principal("awscli")}, ${value("awscli")}, options: { sourceProfile: runner } }
  terraform: { consumer: terraform, ${principal("terraform")}, ${value("terraform")} }
`;
}

/** An IAM client acting in another account through moto's account header (set-up only, enforcement off). */
function iamIn(endpoint: string, accountId: string): IAMClient {
  const c = awsClients(endpoint).iam;
  c.middlewareStack.add(
    (next) => async (args: any) => {
      args.request.headers["x-moto-account-id"] = accountId;
      return next(args);
    },
    { step: "build" },
  );
  return c;
}

const allow = (actions: string[]) =>
  JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: actions, Resource: "*" }] });
const anyoneTrust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }],
});

async function session(c: AwsClients, roleArn: string, externalId?: string, name = "orgtrust-test"): Promise<Creds> {
  const out = await c.sts.send(
    new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: name, ExternalId: externalId }),
  );
  const k = out.Credentials!;
  return { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey!, sessionToken: k.SessionToken };
}

/** The HTTP status a call ends with: 200, or the error's (moto's Organizations 403 is XML to a JSON client). */
async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e: any) {
    return e.$metadata?.httpStatusCode ?? e.$response?.statusCode ?? -1;
  }
}

interface Fixture {
  dir: string;
  config: string;
  built: BuiltOrg;
  loaded: LoadedConfig;
  snapshot: Snapshot;
  integrations: Record<string, ResolvedIntegration>;
  generated: string;
  inScope: Record<string, string[]>;
  endpoint: string;
}

async function deploy(endpoint: string): Promise<Fixture> {
  const c = awsClients(endpoint);
  try {
    const built = await buildOrg(c, SPEC);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-consumers-"));
    const config = path.join(dir, "orgtrust.yaml");
    fs.writeFileSync(config, configYaml(built));
    const snapshotFile = path.join(dir, "org.json");
    const d = await runCli(["discover", "--config", config, "--out", snapshotFile], { endpoint });
    expect(d.stderr).toBe("");
    expect(d.code).toBe(0);
    const loaded = loadConfig(config);
    const snapshot = loadSnapshot(snapshotFile);
    const all = loaded.integrations;
    const inScope: Record<string, string[]> = {};
    // The consumers' principals: a runner role per integration in RUNNER_ACCOUNT, Pipes' in 316881668097. Each may
    // call sts:AssumeRole (its own identity policy), nothing else.
    for (const [account, names] of [
      [RUNNER_ACCOUNT, all.filter((i) => i.consumer !== "turbot-pipes").map((i) => i.name)],
      [PIPES_ACCOUNT, ["pipes"]],
    ] as const) {
      const iam = iamIn(endpoint, account);
      for (const n of names) {
        await iam.send(new CreateRoleCommand({ RoleName: n, AssumeRolePolicyDocument: anyoneTrust }));
        await iam.send(
          new PutRolePolicyCommand({ RoleName: n, PolicyName: "assume", PolicyDocument: allow(["sts:AssumeRole"]) }),
        );
      }
      iam.destroy();
    }
    for (const i of all) {
      const ext = EXT[i.name];
      const scope = computeScope(snapshot, {
        organizationalUnits: i.exclusions.organizationalUnits,
        accounts: i.exclusions.accounts,
        skipInactiveAccounts: true,
        managementAccount: i.exclusions.managementAccount,
      });
      inScope[i.name] = scope.inScope.map((a) => a.id).sort();
      const cover = computeOuCover(scope);
      // What synth deploys: the StackSet on the OU cover, the management-account member role, the discovery role.
      await createMemberRoleStackSet(c.cfn, {
        name: i.stackSet.name,
        templateBody: memberRoleTemplateBody(),
        parameters: memberRoleParameters(i, ext),
        targets: [cover.targets.filter((t) => t !== built.rootId)],
      });
      await c.iam.send(
        new CreateRoleCommand({
          RoleName: i.discoveryRole.name,
          Path: i.discoveryRole.path,
          AssumeRolePolicyDocument: JSON.stringify(discoveryTrustPolicy(i, ext)),
        }),
      );
      await c.iam.send(
        new PutRolePolicyCommand({
          RoleName: i.discoveryRole.name,
          PolicyName: DISCOVERY_POLICY_NAME,
          PolicyDocument: JSON.stringify(discoveryRolePolicy(i)),
        }),
      );
      if (!memberRoleIsDiscoveryRole(i) && !i.exclusions.managementAccount) {
        await c.iam.send(
          new CreateRoleCommand({
            RoleName: i.memberRole.name,
            Path: i.memberRole.path,
            AssumeRolePolicyDocument: JSON.stringify(memberTrustPolicy(i, ext)),
          }),
        );
      }
    }
    const generated = path.join(dir, "generated");
    const quiet = { info() {}, warn() {}, progress() {}, done() {} };
    await runGenerate({
      loaded,
      snapshot,
      integrations: all,
      outDir: generated,
      check: false,
      inlineSecrets: false,
      log: quiet,
      env: {},
    });
    return {
      dir,
      config,
      built,
      loaded,
      snapshot,
      integrations: Object.fromEntries(all.map((i) => [i.name, i])),
      generated,
      inScope,
      endpoint,
    };
  } finally {
    c.destroy();
  }
}

/** One real SDK call per action a discovery role may be asked for, with arguments that exist in the fixture. */
function callFor(action: string, d: AwsClients, f: Fixture, i: ResolvedIntegration): Promise<unknown> {
  const b = f.built;
  const anAccount = b.account["Prod App"];
  const calls: Record<string, () => Promise<unknown>> = {
    "organizations:DescribeOrganization": () => d.org.send(new DescribeOrganizationCommand({})),
    "organizations:ListRoots": () => d.org.send(new ListRootsCommand({})),
    "organizations:ListAccounts": () => d.org.send(new ListAccountsCommand({})),
    "organizations:ListAccountsForParent": () => d.org.send(new ListAccountsForParentCommand({ ParentId: b.rootId })),
    "organizations:ListOrganizationalUnitsForParent": () =>
      d.org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: b.rootId })),
    "organizations:ListChildren": () =>
      d.org.send(new ListChildrenCommand({ ParentId: b.rootId, ChildType: "ORGANIZATIONAL_UNIT" })),
    "organizations:ListTagsForResource": () => d.org.send(new ListTagsForResourceCommand({ ResourceId: anAccount })),
    "organizations:DescribeAccount": () => d.org.send(new DescribeAccountCommand({ AccountId: anAccount })),
    "organizations:DescribeOrganizationalUnit": () =>
      d.org.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: b.ou.Workloads })),
    "organizations:ListParents": () => d.org.send(new ListParentsCommand({ ChildId: anAccount })),
    "cloudformation:DescribeStackSet": () => d.cfn.send(new DescribeStackSetCommand({ StackSetName: i.stackSet.name })),
    "cloudformation:ListStackInstances": () =>
      d.cfn.send(new ListStackInstancesCommand({ StackSetName: i.stackSet.name })),
    "cloudformation:DescribeStackInstance": () =>
      d.cfn.send(
        new DescribeStackInstanceCommand({
          StackSetName: i.stackSet.name,
          StackInstanceAccount: anAccount,
          StackInstanceRegion: "us-east-1",
        }),
      ),
    "iam:GetRole": () => d.iam.send(new GetRoleCommand({ RoleName: i.discoveryRole.name })),
    "iam:GetRolePolicy": () =>
      d.iam.send(new GetRolePolicyCommand({ RoleName: i.discoveryRole.name, PolicyName: DISCOVERY_POLICY_NAME })),
    "iam:ListAttachedRolePolicies": () =>
      d.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: i.discoveryRole.name })),
    "iam:ListRolePolicies": () => d.iam.send(new ListRolePoliciesCommand({ RoleName: i.discoveryRole.name })),
  };
  const call = calls[action];
  if (!call) throw new Error(`no test call for ${action}`);
  return call();
}

const ALL_CONSUMER_READS = [...new Set(Object.values(CONSUMER_DISCOVERY_ACTIONS).flat())].sort();

/** Whether an identity policy allows an action on a resource (iam-simulate, the caller in the management account). */
async function identityAllows(policy: object, action: string, resource: string): Promise<boolean> {
  const r = await runSimulation(
    {
      identityPolicies: [{ name: "discovery", policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action,
        principal: "arn:aws:iam::123456789012:role/discovery",
        resource: { resource, accountId: "123456789012" },
        contextVariables: {},
      },
    },
    {},
  );
  if (r.resultType === "error") throw new Error(JSON.stringify(r.errors));
  return r.overallResult === "Allowed";
}

/** A member role ARN must be assumable with exactly this external ID by the principal (IAM's own evaluation). */
async function trustAllows(
  trust: object,
  roleArn: string,
  principal: string,
  externalId: string | undefined,
): Promise<boolean> {
  const r = await runSimulation(
    {
      identityPolicies: [
        {
          name: "caller",
          policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }] },
        },
      ],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: trust,
      request: {
        action: "sts:AssumeRole",
        principal,
        resource: { resource: roleArn, accountId: roleArn.split(":")[4] },
        contextVariables: externalId === undefined ? {} : { "sts:ExternalId": externalId },
      },
    },
    {},
  );
  if (r.resultType === "error") throw new Error(JSON.stringify(r.errors));
  return r.overallResult === "Allowed";
}

describeWithMoto(
  "consumers against moto with IAM enforced",
  (moto) => {
    let f: Fixture;
    let base: AwsClients;
    const principalOf = (name: string) =>
      name === "pipes" ? `arn:aws:iam::${PIPES_ACCOUNT}:role/pipes` : runnerArn(name);
    /** The consumers' own credentials: their principals' sessions (moto-issued before enforcement, so they pass it). */
    const runners: Record<string, Creds> = {};
    const runner = async (name: string) => awsClients(f.endpoint, runners[name]);
    const read = (file: string) => fs.readFileSync(path.join(f.generated, file), "utf8");

    beforeAll(async () => {
      f = await deploy(moto().endpoint);
      base = awsClients(f.endpoint);
      for (const name of Object.keys(f.integrations))
        runners[name] = await session(base, principalOf(name), undefined, `${name}-runner`);
      await enforceIam(f.endpoint, true);
    }, 120_000);
    afterAll(async () => {
      base?.destroy();
      await enforceIam(moto().endpoint, false);
    });

    test("enforcement is on: the bootstrap key (no IAM user behind it) is denied everything", async () => {
      expect(await status(base.org.send(new ListRootsCommand({})))).toBe(403);
    });

    test.each(["backstage", "port", "pipes", "steampipe", "apono", "cloudquery", "custodian", "awscli", "terraform"])(
      "%s: the discovery role allows exactly its consumer's reads and orgtrust's; writes, other reads and AssumeRole are denied",
      async (name) => {
        const i = f.integrations[name];
        const r = await runner(name);
        const d = awsClients(f.endpoint, await session(r, i.discoveryRole.arn, EXT[name]));
        try {
          const own = CONSUMER_DISCOVERY_ACTIONS[i.consumer];
          const allowed = [...new Set([...DISCOVERY_ACTIONS, ...own])].sort();
          // moto evaluates every non-S3 request against the resource "*" (moto/core/authorization.py), so only the
          // Resource "*" statement (the Organizations reads) is decided by moto; the StackSet and role reads, scoped to
          // their ARNs, are decided by iam-simulate on the same policy with the real resource ARNs.
          for (const a of allowed.filter((x) => x.startsWith("organizations:")))
            expect(`${a}: ${await status(callFor(a, d, f, i))}`).toBe(`${a}: 200`);
          const policy = discoveryRolePolicy(i);
          const stackSetArn = `arn:aws:cloudformation:us-east-1:${f.built.managementAccountId}:stackset/${i.stackSet.name}:0a1b2c3d`;
          for (const a of allowed.filter((x) => !x.startsWith("organizations:"))) {
            const resource = a.startsWith("cloudformation:") ? stackSetArn : i.discoveryRole.arn;
            expect(`${a}: ${await identityAllows(policy, a, resource)}`).toBe(`${a}: true`);
            expect(
              `${a} elsewhere: ${await identityAllows(policy, a, a.startsWith("cloudformation:") ? stackSetArn.replace(i.stackSet.name, "other-set") : runnerArn("other"))}`,
            ).toBe(`${a} elsewhere: false`);
          }
          for (const a of ALL_CONSUMER_READS.filter((x) => !allowed.includes(x)))
            expect(`${a}: ${await status(callFor(a, d, f, i))}`).toBe(`${a}: 403`);
          expect(
            await status(
              d.org.send(
                new MoveAccountCommand({
                  AccountId: f.built.account["Audit"],
                  SourceParentId: f.built.ou.Security,
                  DestinationParentId: f.built.rootId,
                }),
              ),
            ),
          ).toBe(403);
          expect(
            await status(
              d.iam.send(new CreateRoleCommand({ RoleName: "escalate", AssumeRolePolicyDocument: anyoneTrust })),
            ),
          ).toBe(403);
          const member = `arn:aws:iam::${f.built.account["Prod App"]}:role/${i.memberRole.name}`;
          expect(
            await status(
              d.sts.send(new AssumeRoleCommand({ RoleArn: member, RoleSessionName: "hop", ExternalId: EXT[name] })),
            ),
          ).toBe(403);
        } finally {
          d.destroy();
          r.destroy();
        }
      },
    );

    test("orgtrust discover through a discovery role under enforcement: every call it makes is allowed", async () => {
      const i = f.integrations.steampipe;
      const creds = runners.steampipe;
      const out = path.join(f.dir, "via-role.json");
      const r = await runCli(
        ["discover", "--role-arn", i.discoveryRole.arn, "--external-id", EXT.steampipe, "--out", out],
        {
          endpoint: f.endpoint,
          env: {
            AWS_ACCESS_KEY_ID: creds.accessKeyId,
            AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
            AWS_SESSION_TOKEN: creds.sessionToken,
          },
        },
      );
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(
        loadSnapshot(out)
          .accounts.map((a) => a.id)
          .sort(),
      ).toEqual(f.snapshot.accounts.map((a) => a.id).sort());
    });

    test("CloudQuery: admin_account lists the org as getOUAccounts does, member_trusted_principal assumes every member role", async () => {
      // CloudQuery substitutes ${VAR} in spec files from the environment.
      const text = read("cloudquery/aws.yml").replace(/\$\{(\w+)\}/g, (_m, v: string) =>
        v === f.integrations.cloudquery.externalId.variable ? EXT.cloudquery : `\${${v}}`,
      );
      const org = parseYaml(text).spec.spec.org;
      expect(org.member_trusted_principal).toBeDefined();
      const r = await runner("cloudquery");
      const admin = awsClients(f.endpoint, await session(r, org.admin_account.role_arn, org.admin_account.external_id));
      try {
        // cloudquery/cloudquery plugins/source/aws/client/organizations.go (0c6783f1) getOUAccounts: breadth-first from
        // organization_units, skipping skip_organization_units; ListAccountsForParent then ListChildren(ORGANIZATIONAL_UNIT).
        const queue: string[] = [...org.organization_units];
        const seen = new Set<string>();
        const found: Account[] = [];
        while (queue.length) {
          const ou = queue.shift()!;
          if (seen.has(ou) || org.skip_organization_units.includes(ou)) continue;
          seen.add(ou);
          let token: string | undefined;
          do {
            const page = await admin.org.send(new ListAccountsForParentCommand({ ParentId: ou, NextToken: token }));
            found.push(...(page.Accounts ?? []).filter((a) => !org.skip_member_accounts.includes(a.Id!)));
            token = page.NextToken;
          } while (token);
          do {
            const page = await admin.org.send(
              new ListChildrenCommand({ ParentId: ou, ChildType: "ORGANIZATIONAL_UNIT", NextToken: token }),
            );
            queue.push(...(page.Children ?? []).map((c) => c.Id!));
            token = page.NextToken;
          } while (token);
        }
        const active = [...new Set(found.filter((a) => a.Status === "ACTIVE").map((a) => a.Id!))].sort();
        expect(active).toEqual(f.inScope.cloudquery);
        // loadOrgAccounts: with member_trusted_principal the member roles are assumed from those credentials (the runner's).
        for (const id of active) {
          const roleArn = `arn:aws:iam::${id}:role/${org.member_role_name}`;
          expect(
            `${id}: ${await status(r.sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "cq", ExternalId: org.member_external_id })))}`,
          ).toBe(`${id}: 200`);
          // Without member_trusted_principal the discovery-role session would be the caller: denied by its policy here,
          // and by the member trust policy in AWS.
          expect(
            await status(
              admin.sts.send(
                new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "cq", ExternalId: org.member_external_id }),
              ),
            ),
          ).toBe(403);
        }
        const i = f.integrations.cloudquery;
        const trust = memberTrustPolicy(i, EXT.cloudquery);
        const anyMember = `arn:aws:iam::${active[0]}:role/${org.member_role_name}`;
        expect(await trustAllows(trust, anyMember, runnerArn("cloudquery"), org.member_external_id)).toBe(true);
        expect(await trustAllows(trust, anyMember, i.discoveryRole.arn, org.member_external_id)).toBe(false);
        expect(
          await trustAllows(
            discoveryTrustPolicy(i, EXT.cloudquery),
            org.admin_account.role_arn,
            runnerArn("cloudquery"),
            org.admin_account.external_id,
          ),
        ).toBe(true);
      } finally {
        admin.destroy();
        r.destroy();
      }
    });

    test("c7n-org: accounts.yml as c7n-org loads it (PyYAML safe_load); the runner assumes each role with its external_id", async () => {
      // tools/c7n_org/c7n_org/cli.py (cloud-custodian 3bfdfe76): init() yaml.safe_load, get_session() assumes
      // account['role'] with external_id=account.get('external_id') from the runner's own session.
      const py = spawnSync(
        "python3",
        [
          "-c",
          "import sys, json, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
          path.join(f.generated, "custodian", "accounts.yml"),
        ],
        { encoding: "utf8" },
      );
      expect(py.stderr).toBe("");
      const doc = JSON.parse(py.stdout);
      expect(doc.accounts.map((a: any) => a.account_id).sort()).toEqual(f.inScope.custodian);
      expect(fs.statSync(path.join(f.generated, "custodian", "accounts.yml")).mode & 0o777).toBe(0o600);
      const r = await runner("custodian");
      try {
        for (const a of doc.accounts) {
          expect(a.external_id).toBe(EXT.custodian);
          expect(
            `${a.account_id}: ${await status(r.sts.send(new AssumeRoleCommand({ RoleArn: a.role, RoleSessionName: "c7n-org", ExternalId: a.external_id })))}`,
          ).toBe(`${a.account_id}: 200`);
          expect(
            await trustAllows(
              memberTrustPolicy(f.integrations.custodian, EXT.custodian),
              a.role,
              runnerArn("custodian"),
              a.external_id,
            ),
          ).toBe(true);
        }
      } finally {
        r.destroy();
      }
    });

    test.each([
      ["awscli", "awscli/aws-config"],
      ["steampipe", "steampipe/aws-config"],
    ])(
      "%s: every profile of the default file assumes its role from the source profile with external_id",
      async (name, file) => {
        // AWS config file profile keys (role_arn, source_profile, external_id, role_session_name): the SDK's shared config.
        const profiles = ini.parse(read(file));
        const entries = Object.entries(profiles).filter(([k]) => k.startsWith("profile "));
        expect(entries.length).toBe(f.inScope[name].length);
        expect(fs.statSync(path.join(f.generated, file)).mode & 0o777).toBe(0o600);
        const r = await runner(name);
        try {
          const reached: string[] = [];
          for (const [, p] of entries) {
            expect(p.source_profile).toBe("runner");
            expect(p.external_id).toBe(EXT[name]);
            expect(
              await status(
                r.sts.send(
                  new AssumeRoleCommand({
                    RoleArn: p.role_arn,
                    RoleSessionName: p.role_session_name,
                    ExternalId: p.external_id,
                  }),
                ),
              ),
            ).toBe(200);
            reached.push(p.role_arn.split(":")[4]);
          }
          expect(reached.sort()).toEqual(f.inScope[name]);
        } finally {
          r.destroy();
        }
      },
    );

    test.each([
      ["pipes", "pipes/pipes.tf", "discovery_role_arn", "role_name"],
      ["apono", "apono/apono.tf", "role_arn", null],
    ])(
      "%s: the principal assumes the discovery role from the file, walks the OU tree, and assumes the member role in every in-scope account",
      async (name, file, arnKey, roleKey) => {
        const text = read(file);
        const attr = (k: string) => new RegExp(`^\\s*${k}\\s*=\\s*"([^"]+)"`, "m").exec(text)?.[1];
        const discoveryArn = attr(arnKey)!;
        expect(discoveryArn).toBe(f.integrations[name].discoveryRole.arn);
        // Apono's file cannot name the member role (unverified keys; its header names it): take it from the header.
        const memberRole = roleKey ? attr(roleKey)! : /the member role "([^"]+)" in every account/.exec(text)![1];
        const r = await runner(name);
        const d = awsClients(f.endpoint, await session(r, discoveryArn, EXT[name]));
        try {
          // The Organizations reads its discovery role allows (closed source: which of them it makes is unverified).
          const ids = new Set<string>();
          const walk = async (parent: string): Promise<void> => {
            for (const a of (await d.org.send(new ListAccountsForParentCommand({ ParentId: parent }))).Accounts ?? [])
              if (a.Status === "ACTIVE") ids.add(a.Id!);
            for (const o of (await d.org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parent })))
              .OrganizationalUnits ?? [])
              await walk(o.Id!);
          };
          await walk((await d.org.send(new ListRootsCommand({}))).Roots![0].Id!);
          expect([...ids].length).toBe(f.snapshot.accounts.length);
          for (const id of f.inScope[name]) {
            const roleArn = `arn:aws:iam::${id}:role/${memberRole}`;
            expect(
              `${id}: ${await status(r.sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: name, ExternalId: EXT[name] })))}`,
            ).toBe(`${id}: 200`);
            expect(
              await trustAllows(
                memberTrustPolicy(f.integrations[name], EXT[name]),
                roleArn,
                principalOf(name),
                EXT[name],
              ),
            ).toBe(true);
          }
          if (name === "pipes") expect(EXT.pipes).toMatch(/^o_[a-z0-9]+:[A-Za-z0-9]{8}$/);
        } finally {
          d.destroy();
          r.destroy();
        }
      },
    );

    test("Port Ocean: .env's ACCOUNT_ROLE_ARN + OU_ID discovery as organizations_strategy.py does, member ARNs from the discovery ARN", async () => {
      const env = Object.fromEntries(
        read("port/.env")
          .split("\n")
          .filter((l) => l && !l.startsWith("#"))
          .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
      );
      const ext = env.OCEAN__INTEGRATION__CONFIG__EXTERNAL_ID.replace(/^\$\{(\w+)\}$/, (_m: string, v: string) =>
        v === f.integrations.port.externalId.variable ? EXT.port : v,
      );
      const roleArn: string = env.OCEAN__INTEGRATION__CONFIG__ACCOUNT_ROLE_ARN;
      expect(roleArn).toBe(f.integrations.port.discoveryRole.arn);
      const r = await runner("port");
      const org = awsClients(f.endpoint, await session(r, roleArn, ext, "OceanOrgAssumeRoleSession"));
      try {
        // port-labs/ocean integrations/aws-v3/aws/auth/strategies/organizations_strategy.py (61f0e59a): with ouId,
        // list_accounts_for_parent and list_organizational_units_for_parent recursively; ACTIVE only.
        const ids = new Set<string>();
        const walk = async (parent: string): Promise<void> => {
          for (const a of (await org.org.send(new ListAccountsForParentCommand({ ParentId: parent }))).Accounts ?? [])
            if (a.State === "ACTIVE" || a.Status === "ACTIVE") ids.add(a.Id!);
          for (const o of (await org.org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parent })))
            .OrganizationalUnits ?? [])
            await walk(o.Id!);
        };
        const ous: string[] = env.OCEAN__INTEGRATION__CONFIG__OU_ID
          ? env.OCEAN__INTEGRATION__CONFIG__OU_ID.split(",")
          : [];
        if (ous.length) for (const o of ous) await walk(o);
        else
          for (const a of (await org.org.send(new ListAccountsCommand({}))).Accounts ?? [])
            if (a.Status === "ACTIVE") ids.add(a.Id!);
        expect([...ids].sort()).toEqual(f.inScope.port);
        // _build_role_arn: arn:<partition>:iam::<account>:<resource of accountRoleArn>, assumed by the provider (Port's own credentials).
        const resource = roleArn.split(":").slice(5).join(":");
        for (const id of ids)
          expect(
            `${id}: ${await status(r.sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${id}:${resource}`, RoleSessionName: "OceanMemberAssumeRoleSession", ExternalId: ext })))}`,
          ).toBe(`${id}: 200`);
      } finally {
        org.destroy();
        r.destroy();
      }
    });
  },
  { resetEachTest: false },
);

describeWithMoto("a wrong organization.managementAccountId against a live organization", (moto) => {
  test("discover, generate and drift: one exit-2 error naming the real management account, nothing written", async () => {
    const c = awsClients(moto().endpoint);
    let built: BuiltOrg;
    try {
      built = await buildOrg(c, { ous: [{ name: "Workloads", accounts: [{ name: "App" }] }] });
    } finally {
      c.destroy();
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-mgmt-"));
    const config = path.join(dir, "orgtrust.yaml");
    fs.writeFileSync(
      config,
      `version: 1\norganization: { managementAccountId: "111122223334", partition: aws, homeRegion: us-east-1 }\nintegrations:\n  cq: { consumer: cloudquery, trustedPrincipal: ${runnerArn("cq")} }\n`,
    );
    const expected = new RegExp(
      `organization\\.managementAccountId is 111122223334, but the live organization is organization ${built.orgId} with management account ${built.managementAccountId} \\(fix: set organization\\.managementAccountId: "${built.managementAccountId}"`,
    );
    for (const args of [
      ["discover", "--out", path.join(dir, "org.json")],
      ["generate", "--out", path.join(dir, "out")],
      ["drift"],
    ]) {
      const r = await runCli([...args, "--config", config], { endpoint: moto().endpoint });
      expect(`${args[0]}: ${r.code}`).toBe(`${args[0]}: 2`);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(expected);
    }
    expect(fs.readdirSync(dir)).toEqual(["orgtrust.yaml"]);
  });
});
