import "cdktf/lib/testing/adapters/jest";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { CloudformationStackSet } from "@cdktf/provider-aws/lib/cloudformation-stack-set";
import { CloudformationStackSetInstance } from "@cdktf/provider-aws/lib/cloudformation-stack-set-instance";
import { DataAwsOrganizationsOrganization } from "@cdktf/provider-aws/lib/data-aws-organizations-organization";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { Password } from "@cdktf/provider-random/lib/password";
import { App, Testing, TerraformStack } from "cdktf";
import { InputError } from "../../common/errors";
import type { ResolvedIntegration } from "../../config/resolve";
import { DiscoveryRole } from "../../constructs/discovery-role";
import { ExternalIdSecret, literalVersion } from "../../constructs/external-id-secret";
import { IntegrationStack } from "../../constructs/integration-stack";
import { DirectMemberRole, ManagementAccountRole } from "../../constructs/direct-member-role";
import {
  DATA_READ_ACTIONS,
  CONSUMER_DISCOVERY_ACTIONS,
  DISCOVERY_ACTIONS,
  discoveryRolePolicy,
  memberInlinePolicy,
  memberRoleParameters,
  memberRoleTemplateBody,
  memberTrustPolicy,
  type PolicyDocument,
} from "../../constructs/member-role-policy";
import { MemberRoleStackSet } from "../../constructs/member-role-stack-set";
import type { Snapshot } from "../../org/snapshot";
import { planIntegration, type IntegrationPlan } from "../../plan/integration";
import { integrationStackProps } from "../../synth/stack-props";
import { INCREMENTAL_READ_ACTIONS } from "../../sync/trigger-synth";
import { MGMT, ROOT, integrationFrom, snapshotOf, type Tree } from "../fixtures/constructs";

type TfJson = {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  provider: Record<string, Array<Record<string, unknown>>>;
  output: Record<string, { value: unknown; sensitive?: boolean }>;
  variable?: Record<string, unknown>;
  terraform: Record<string, unknown>;
};

const RANDOM_REF = "${random_password.external_id_secret_random.result}";
const terraformOnPath = spawnSync("sh", ["-c", "command -v terraform"], { encoding: "utf8" }).status === 0;
const BACKSTAGE = `consumer: backstage
trustedPrincipal: arn:aws:iam::444455556666:role/backstage-backend`;

interface Synth {
  text: string;
  json: TfJson;
  plan: IntegrationPlan;
  warnings: string[];
}

function synth(
  integration: ResolvedIntegration,
  opts: { snapshot?: Snapshot; excludeOu?: string[]; excludeAccount?: string[] } = {},
): Synth {
  const plan = planIntegration(integration, opts.snapshot, {
    exclusions: { excludeOu: opts.excludeOu ?? [], excludeAccount: opts.excludeAccount ?? [] },
  });
  const stack = new IntegrationStack(Testing.app(), integration.name, integrationStackProps(plan));
  const text = Testing.synth(stack);
  return { text, json: JSON.parse(text) as TfJson, plan, warnings: plan.warnings };
}

const resources = (s: Synth, type: string) => s.json.resource[type] ?? {};
const parsePolicy = (v: unknown) => JSON.parse(v as string) as PolicyDocument;
const allowedActions = (doc: PolicyDocument) =>
  doc.Statement.filter((st) => st.Effect === "Allow")
    .flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]))
    .sort();

/** The instance resources in dependency order, with their single target each. */
function instanceChain(s: Synth): Array<{ name: string; target: string; dependsOn?: string[] }> {
  const inst = resources(s, "aws_cloudformation_stack_set_instance");
  return Object.entries(inst).map(([name, r]) => ({
    name,
    target: ((r.deployment_targets as { organizational_unit_ids: string[] }).organizational_unit_ids ?? []).join(","),
    dependsOn: r.depends_on as string[] | undefined,
  }));
}
const targetsOf = (s: Synth) =>
  instanceChain(s)
    .map((i) => i.target)
    .sort();

describe("discovery role", () => {
  const integ = integrationFrom("backstage", BACKSTAGE);
  const s = synth(integ);
  const role = resources(s, "aws_iam_role").discovery_role;
  const policy = parsePolicy(resources(s, "aws_iam_role_policy").discovery_role_policy.policy);

  test("trusts exactly the trusted principal, with sts:ExternalId StringEquals the generated value", () => {
    expect(role.name).toBe("backstage-org-discovery");
    const trust = parsePolicy(role.assume_role_policy);
    expect(trust.Statement).toHaveLength(1);
    const st = trust.Statement[0];
    expect(st.Effect).toBe("Allow");
    expect(st.Action).toBe("sts:AssumeRole");
    expect(st.Principal).toEqual({ AWS: "arn:aws:iam::444455556666:role/backstage-backend" });
    expect(st.Condition).toEqual({ StringEquals: { "sts:ExternalId": RANDOM_REF } });
  });

  test("inline policy: exactly the read calls discovery and drift make, nothing that writes", () => {
    expect(allowedActions(policy)).toEqual(
      [
        "cloudformation:DescribeStackInstance",
        "cloudformation:DescribeStackSet",
        "cloudformation:ListStackInstances",
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies",
        "organizations:DescribeOrganization",
        // Backstage's own call (AwsOrganizationCloudAccountProcessor: paginateListAccounts).
        "organizations:ListAccounts",
        "organizations:ListAccountsForParent",
        "organizations:ListOrganizationalUnitsForParent",
        "organizations:ListRoots",
        "organizations:ListTagsForResource",
      ].sort(),
    );
    expect(allowedActions(policy)).toEqual([...DISCOVERY_ACTIONS, "organizations:ListAccounts"].sort());
    for (const a of allowedActions(policy)) {
      expect(a).not.toMatch(/:(Create|Update|Delete|Put|Attach|Invite|Move|Close|Remove)|\*/);
    }
    expect(policy.Statement.every((st) => st.Effect === "Allow")).toBe(true);
  });

  test("every Organizations call discovery makes is allowed (and nothing it does not make)", () => {
    // Every Organizations read of discovery and sync's incremental refresh goes through aws/organizations.ts:
    // single calls as `new XCommand(`, listings through the SDK's generated `paginateX(`.
    const src = fs.readFileSync(path.join(__dirname, "..", "..", "aws", "organizations.ts"), "utf8");
    const calls = [
      ...new Set([...src.matchAll(/new (\w+)Command\(|paginate(\w+)\(/g)].map((m) => `organizations:${m[1] ?? m[2]}`)),
    ].sort();
    expect(calls.length).toBeGreaterThan(3);
    // The reads only the incremental refresh makes are the sync trigger role's (sync/trigger-synth.ts), not discovery's.
    const incremental: string[] = [...INCREMENTAL_READ_ACTIONS];
    expect(calls).toEqual(expect.arrayContaining(incremental));
    const crawl = calls.filter((c) => !incremental.includes(c));
    const orgActions = allowedActions(policy).filter((a) => a.startsWith("organizations:"));
    expect(orgActions).toEqual([...crawl, ...CONSUMER_DISCOVERY_ACTIONS.backstage].sort());
  });

  test("StackSet and role reads are scoped to this integration's resources", () => {
    const byResource = Object.fromEntries(policy.Statement.map((st) => [st.Sid, st.Resource]));
    expect(byResource.ReadMemberRoleStackSet).toBe(
      `arn:aws:cloudformation:us-east-1:${MGMT}:stackset/orgtrust-backstage-member-role:*`,
    );
    // The management-account member role and the discovery role itself (drift reads both).
    expect(byResource.ReadOrgtrustRoles).toEqual([
      `arn:aws:iam::${MGMT}:role/backstage-org-readonly`,
      `arn:aws:iam::${MGMT}:role/backstage-org-discovery`,
    ]);
    expect(byResource.ReadOrganization).toBe("*");
  });

  test("max session, path, permissions boundary and tags come from the config", () => {
    const custom = synth(
      integrationFrom(
        "backstage",
        `${BACKSTAGE}
discoveryRole: { name: disc, path: /orgtrust/, maxSessionDuration: 7200, permissionsBoundary: "arn:aws:iam::${MGMT}:policy/boundary", tags: { team: platform } }
tags: { cost-center: "42" }`,
      ),
    );
    expect(custom.text).toHaveResourceWithProperties(IamRole, {
      name: "disc",
      path: "/orgtrust/",
      max_session_duration: 7200,
      permissions_boundary: `arn:aws:iam::${MGMT}:policy/boundary`,
      tags: { team: "platform", "cost-center": "42" },
    });
  });
});

describe("member-role StackSet", () => {
  const integ = integrationFrom(
    "backstage",
    `${BACKSTAGE}
stackSet: { maxConcurrentPercentage: 10, failureTolerancePercentage: 5 }
memberRole: { tags: { owner: sec } }`,
  );
  const { snapshot, ou } = snapshotOf({
    ous: [
      { name: "A", accounts: [{ name: "a1" }] },
      { name: "B", ous: [{ name: "B1", accounts: [{ name: "b1" }] }] },
      { name: "C", accounts: [{ name: "c1" }] },
    ],
  });
  const s = synth(integ, { snapshot });

  test("SERVICE_MANAGED, auto-deployment on, stacks removed on account removal, CAPABILITY_NAMED_IAM, SELF", () => {
    expect(s.text).toHaveResourceWithProperties(CloudformationStackSet, {
      name: "orgtrust-backstage-member-role",
      permission_model: "SERVICE_MANAGED",
      auto_deployment: { enabled: true, retain_stacks_on_account_removal: false },
      capabilities: ["CAPABILITY_NAMED_IAM"],
      call_as: "SELF",
      operation_preferences: { max_concurrent_percentage: 10, failure_tolerance_percentage: 5 },
      lifecycle: { ignore_changes: ["administration_role_arn"] },
      tags: { owner: "sec" },
    });
  });

  test("template body is the static template and every template parameter is set from memberRoleParameters", () => {
    const set = resources(s, "aws_cloudformation_stack_set").member_role;
    expect(set.template_body).toBe(memberRoleTemplateBody());
    expect(set.parameters).toEqual(memberRoleParameters(integ, RANDOM_REF));
    const body = memberRoleTemplateBody();
    const section = body.slice(body.indexOf("\nParameters:\n"), body.indexOf("\nConditions:\n"));
    const templateParams = [...section.matchAll(/^ {2}([A-Za-z]+):$/gm)].map((m) => m[1]).sort();
    expect(templateParams.length).toBe(10);
    expect(Object.keys(set.parameters as object).sort()).toEqual(templateParams);
  });

  test("instances: one region (stack_set_instance_region, never the provider-level region), chained with depends_on", () => {
    const inst = resources(s, "aws_cloudformation_stack_set_instance");
    const names = Object.keys(inst);
    expect(names.length).toBe(1); // the root: nothing is excluded
    for (const r of Object.values(inst)) {
      expect(r.stack_set_instance_region).toBe("us-east-1");
      expect(r.region).toBeUndefined();
      expect(r.call_as).toBe("SELF");
      expect(r.stack_set_name).toBe("${aws_cloudformation_stack_set.member_role.name}");
    }
    const excl = synth(integrationFrom("backstage", `${BACKSTAGE}\nexclusions: { organizationalUnits: [${ou.A}] }`), {
      snapshot,
    });
    const chain = instanceChain(excl);
    expect(chain.map((c) => c.target)).toEqual([ou.B, ou.C]);
    expect(chain[0].dependsOn).toBeUndefined();
    expect(chain[1].dependsOn).toEqual([`aws_cloudformation_stack_set_instance.${chain[0].name}`]);
  });

  test("retainStacksOnAccountRemoval: true is passed through", () => {
    const r = synth(integrationFrom("backstage", `${BACKSTAGE}\nstackSet: { retainStacksOnAccountRemoval: true }`));
    expect(r.text).toHaveResourceWithProperties(CloudformationStackSet, {
      auto_deployment: expect.objectContaining({ enabled: true, retain_stacks_on_account_removal: true }),
    });
  });

  test("delegated administrator: DELEGATED_ADMIN everywhere, management role through an aliased provider", () => {
    const da = "999988887777";
    const r = synth(
      integrationFrom("backstage", `${BACKSTAGE}\ndiscoveryRole: { account: delegatedAdmin }`, { delegatedAdmin: da }),
    );
    expect(r.text).toHaveResourceWithProperties(CloudformationStackSet, { call_as: "DELEGATED_ADMIN" });
    expect(r.text).toHaveResourceWithProperties(CloudformationStackSetInstance, { call_as: "DELEGATED_ADMIN" });
    const aws = r.json.provider.aws;
    expect(aws.find((p) => !p.alias)?.allowed_account_ids).toEqual([da]);
    const mgmt = aws.find((p) => p.alias === "management")!;
    expect(mgmt.allowed_account_ids).toEqual([MGMT]);
    expect(mgmt.assume_role).toEqual([{ role_arn: "${var.management_account_role_arn}" }]);
    expect(resources(r, "aws_iam_role").management_role.provider).toBe("aws.management");
    expect(resources(r, "aws_iam_role").discovery_role.provider).toBeUndefined();
    const stmt = parsePolicy(resources(r, "aws_iam_role_policy").discovery_role_policy.policy).Statement.find(
      (x) => x.Sid === "ReadMemberRoleStackSet",
    )!;
    expect(stmt.Resource).toBe("arn:aws:cloudformation:us-east-1:*:stackset/orgtrust-backstage-member-role:*");
  });
});

describe("deployment targets for org shapes", () => {
  const tree: Tree = {
    ous: [
      { name: "Sandbox", accounts: [{ name: "sb1" }, { name: "sb2" }] },
      { name: "Security", accounts: [{ name: "sec1" }] },
      {
        name: "Workloads",
        accounts: [{ name: "wl-tooling" }],
        ous: [
          {
            name: "L2",
            accounts: [{ name: "l2a" }],
            ous: [
              {
                name: "L3",
                accounts: [{ name: "l3a" }],
                ous: [
                  { name: "L4", accounts: [{ name: "l4a" }] },
                  { name: "L4b", accounts: [{ name: "l4b" }] },
                ],
              },
            ],
          },
          {
            name: "Prod",
            accounts: [{ name: "p1" }, { name: "p2" }, { name: "p3" }],
            ous: [{ name: "ProdEU", accounts: [{ name: "peu" }] }],
          },
        ],
      },
    ],
  };
  const { snapshot, ou, account } = snapshotOf(tree);

  test("no exclusions: the root, every member account through the StackSet, the management account directly", () => {
    const s = synth(integrationFrom("backstage", BACKSTAGE), { snapshot });
    expect(targetsOf(s)).toEqual([ROOT]);
    expect(s.plan.coverage.viaStackSet.map((a) => a.id).sort()).toEqual(
      Object.entries(account)
        .filter(([k]) => k !== "management")
        .map(([, v]) => v)
        .sort(),
    );
    expect(s.plan.coverage.direct.map((a) => a.id)).toEqual([MGMT]);
    expect(s.plan.coverage.exact).toBe(true);
    expect(resources(s, "aws_iam_role").management_role).toBeDefined();
    expect(s.warnings).toEqual([]);
  });

  test("excluded OU at depth 1: its siblings, never the root or the OU", () => {
    const s = synth(
      integrationFrom("backstage", `${BACKSTAGE}\nexclusions: { organizationalUnits: [${ou.Sandbox}] }`),
      { snapshot },
    );
    expect(targetsOf(s)).toEqual([ou.Security, ou.Workloads].sort());
    expect(s.plan.coverage.uncovered).toEqual([]);
    const excludedIds = s.plan.coverage.excluded.map((e) => e.id).sort();
    expect(excludedIds).toEqual([account.sb1, account.sb2].sort());
    expect(s.plan.coverage.viaStackSet.map((a) => a.id)).not.toContain(account.sb1);
  });

  test("excluded OU at depth 4: its wanted siblings and uncles are targeted; accounts sitting beside the path are uncovered and warned", () => {
    const l4 = ou["Workloads/L2/L3/L4"];
    const s = synth(
      integrationFrom(
        "backstage",
        `${BACKSTAGE}\nstackSet: { uncoveredAccounts: none }\nexclusions: { organizationalUnits: [${l4}] }`,
      ),
      { snapshot },
    );
    expect(targetsOf(s)).toEqual([ou.Sandbox, ou.Security, ou["Workloads/Prod"], ou["Workloads/L2/L3/L4b"]].sort());
    const targeted = targetsOf(s);
    for (const banned of [ROOT, ou.Workloads, ou["Workloads/L2"], ou["Workloads/L2/L3"], l4])
      expect(targeted).not.toContain(banned);
    expect(s.plan.coverage.uncovered.map((u) => u.id).sort()).toEqual(
      [account["wl-tooling"], account.l2a, account.l3a].sort(),
    );
    for (const name of ["wl-tooling", "l2a", "l3a"]) {
      expect(
        s.warnings.some((w) => w.includes(account[name]) && w.includes(name) && /an excluded OU lies below it/.test(w)),
      ).toBe(true);
    }
    expect(s.plan.coverage.exact).toBe(false);
    // The default (direct) gives the same three accounts the role directly.
    const d = synth(integrationFrom("backstage", `${BACKSTAGE}\nexclusions: { organizationalUnits: [${l4}] }`), {
      snapshot,
    });
    expect(d.plan.directAccounts).toEqual([account["wl-tooling"], account.l2a, account.l3a].sort());
    expect(d.plan.coverage.exact).toBe(true);
  });

  test("excluded single account in a wanted OU (default uncoveredAccounts: direct): siblings get the member role through their own provider", () => {
    const s = synth(integrationFrom("backstage", `${BACKSTAGE}\nexclusions: { accounts: ["${account.p2}"] }`), {
      snapshot,
    });
    const siblings = [account["wl-tooling"], account.p1, account.p3].sort();
    expect(targetsOf(s)).toContain(ou["Workloads/Prod/ProdEU"]);
    expect(targetsOf(s)).not.toContain(ou["Workloads/Prod"]);
    // Coverage: the siblings move to direct (marked direct-provider), nothing is left uncovered, exact.
    expect(s.plan.coverage.uncovered).toEqual([]);
    expect(s.plan.coverage.exact).toBe(true);
    expect(s.plan.coverage.direct.map((d) => [d.id, d.how])).toEqual(
      [[MGMT, "management-account"], ...siblings.map((id) => [id, "direct-provider"])].sort((x, y) =>
        x[0] < y[0] ? -1 : 1,
      ),
    );
    expect(s.plan.directAccounts).toEqual(siblings);
    // One warning line for the integration, none per account.
    expect(s.warnings.filter((w) => /gets no member role/.test(w))).toEqual([]);
    const warned = s.warnings.filter((w) => /get the member role directly/.test(w));
    expect(warned.length).toBe(1);
    expect(warned[0]).toMatch(
      /3 in-scope accounts get the member role directly .*cannot be targeted.*will not get it automatically \(re-run discover and synth\)/,
    );

    // One aliased provider per sibling, assuming OrganizationAccountAccessRole there, pinned to the account.
    const aliased = s.json.provider.aws.filter((p) => typeof p.alias === "string" && p.alias.startsWith("account_"));
    expect(aliased.map((p) => p.alias)).toEqual(siblings.map((id) => `account_${id}`));
    for (const id of siblings) {
      const p = aliased.find((x) => x.alias === `account_${id}`)!;
      expect(p.allowed_account_ids).toEqual([id]);
      expect(p.region).toBe("us-east-1");
      expect(p.assume_role).toEqual([
        { role_arn: `arn:aws:iam::${id}:role/OrganizationAccountAccessRole`, session_name: "orgtrust" },
      ]);
    }
    // The same member role as in the management account: trust, managed policy, session, provider per account.
    const roles = resources(s, "aws_iam_role");
    const integ = integrationFrom("backstage", `${BACKSTAGE}\nexclusions: { accounts: ["${account.p2}"] }`);
    for (const id of siblings) {
      const r = roles[`direct_role_${id}`];
      expect(r.provider).toBe(`aws.account_${id}`);
      expect(r.name).toBe("backstage-org-readonly");
      expect(r.path).toBe("/");
      expect(r.max_session_duration).toBe(3600);
      expect(parsePolicy(r.assume_role_policy)).toEqual(memberTrustPolicy(integ, RANDOM_REF));
      expect(parsePolicy(r.assume_role_policy)).toEqual(parsePolicy(roles.management_role.assume_role_policy));
      const att = resources(s, "aws_iam_role_policy_attachment")[`direct_role_${id}_policy_0`];
      expect(att).toEqual({
        provider: `aws.account_${id}`,
        policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
        role: `\${aws_iam_role.direct_role_${id}.name}`,
      });
    }
    // The excluded account gets nothing: no provider, no role, no instance target.
    expect(JSON.stringify(s.json)).not.toContain(account.p2);
  });

  test("direct roles carry the inline policy, boundary and tags; partition-aware ARNs; a custom directAccessRoleName", () => {
    const { snapshot: gov, account: ga } = snapshotOf(
      { ous: [{ name: "Prod", accounts: [{ name: "x1" }, { name: "x2" }] }] },
      "aws-us-gov",
    );
    const integ = integrationFrom(
      "backstage",
      `consumer: backstage
trustedPrincipal: arn:aws-us-gov:iam::444455556666:role/backstage-backend
exclusions: { accounts: ["${ga.x2}"] }
stackSet: { directAccessRoleName: AWSControlTowerExecution }
memberRole: { policy: ViewOnlyAccess, denyDataReads: true, permissionsBoundary: "arn:aws-us-gov:iam::\${AWS::AccountId}:policy/boundary", tags: { owner: sec } }`,
      { partition: "aws-us-gov" },
    );
    const s = synth(integ, { snapshot: gov });
    // The boundary names the policy of each account's own: the management role's is the management account's.
    expect(resources(s, "aws_iam_role").management_role.permissions_boundary).toBe(
      `arn:aws-us-gov:iam::${MGMT}:policy/boundary`,
    );
    expect(s.text).not.toContain("${AWS::AccountId}"); // Terraform would read it as an interpolation
    expect(s.plan.directAccounts).toEqual([ga.x1]);
    const p = s.json.provider.aws.find((x) => x.alias === `account_${ga.x1}`)!;
    expect(p.assume_role).toEqual([
      { role_arn: `arn:aws-us-gov:iam::${ga.x1}:role/AWSControlTowerExecution`, session_name: "orgtrust" },
    ]);
    const r = resources(s, "aws_iam_role")[`direct_role_${ga.x1}`];
    expect(r.permissions_boundary).toBe(`arn:aws-us-gov:iam::${ga.x1}:policy/boundary`);
    expect(r.tags).toEqual({ owner: "sec" });
    const inline = resources(s, "aws_iam_role_policy")[`direct_role_${ga.x1}_inline`];
    expect(inline.provider).toBe(`aws.account_${ga.x1}`);
    expect(parsePolicy(inline.policy)).toEqual(memberInlinePolicy(integ));
    expect(resources(s, "aws_iam_role_policy_attachment")[`direct_role_${ga.x1}_policy_0`].policy_arn).toBe(
      integ.memberRole.policyArns[0],
    );
    expect(integ.memberRole.policyArns[0]).toMatch(/^arn:aws-us-gov:iam::aws:policy\//);
  });

  test("delegated administrator with direct accounts: the provider chain starts from the management-account role", () => {
    const da = "999988887777";
    const integ = integrationFrom(
      "backstage",
      `${BACKSTAGE}\ndiscoveryRole: { account: delegatedAdmin }\nexclusions: { accounts: ["${account.p2}"], managementAccount: true }`,
      { delegatedAdmin: da },
    );
    const s = synth(integ, { snapshot });
    // The management account is out, but the variable is still declared: the direct providers need it.
    expect(resources(s, "aws_iam_role").management_role).toBeUndefined();
    expect(s.json.variable).toHaveProperty("management_account_role_arn");
    const p = s.json.provider.aws.find((x) => x.alias === `account_${account.p1}`)!;
    expect(p.allowed_account_ids).toEqual([account.p1]);
    expect(p.assume_role).toEqual([
      { role_arn: "${var.management_account_role_arn}", session_name: "orgtrust" },
      { role_arn: `arn:aws:iam::${account.p1}:role/OrganizationAccountAccessRole`, session_name: "orgtrust" },
    ]);
  });

  test("uncoveredAccounts: none keeps the old behaviour: uncovered, warned per account, no extra provider or role", () => {
    const s = synth(
      integrationFrom(
        "backstage",
        `${BACKSTAGE}\nstackSet: { uncoveredAccounts: none }\nexclusions: { accounts: ["${account.p2}"] }`,
      ),
      { snapshot },
    );
    const targeted = targetsOf(s);
    expect(targeted).toContain(ou["Workloads/Prod/ProdEU"]);
    expect(targeted).not.toContain(ou["Workloads/Prod"]);
    expect(targeted).not.toContain(ou.Workloads);
    expect(targeted).not.toContain(ROOT);
    // Workloads holds Prod, so it is blocked too: the account sitting directly in it is uncovered as well.
    expect(s.plan.coverage.uncovered.map((u) => u.id).sort()).toEqual(
      [account["wl-tooling"], account.p1, account.p3].sort(),
    );
    const warned = s.warnings.filter((w) => /excluded account .* sits beside it/.test(w));
    expect(warned.map((w) => w.match(/account (\d{12})/)![1]).sort()).toEqual([account.p1, account.p3].sort());
    expect(s.plan.coverage.excluded.map((e) => e.id)).toEqual([account.p2]);
    expect(s.plan.coverage.exact).toBe(false);
    expect(s.plan.coverage.direct.map((d) => d.id)).toEqual([MGMT]);
    expect(s.plan.directAccounts).toEqual([]);
    expect(s.json.provider.aws.filter((p) => p.alias)).toEqual([]);
    expect(Object.keys(resources(s, "aws_iam_role")).sort()).toEqual(["discovery_role", "management_role"]);
  });

  test("management account excluded: no direct role, the StackSet is unchanged", () => {
    const s = synth(integrationFrom("backstage", `${BACKSTAGE}\nexclusions: { managementAccount: true }`), {
      snapshot,
    });
    expect(resources(s, "aws_iam_role").management_role).toBeUndefined();
    expect(resources(s, "aws_iam_role_policy_attachment")).toEqual({});
    expect(s.json.output.management_role_arn).toBeUndefined();
    expect(s.plan.coverage.direct).toEqual([]);
    expect(s.plan.coverage.excluded.map((e) => e.id)).toEqual([MGMT]);
    expect(targetsOf(s)).toEqual([ROOT]);
    expect(resources(s, "aws_iam_role").discovery_role).toBeDefined();
  });

  test("--exclude-ou from the command line narrows the targets like config exclusions", () => {
    const s = synth(integrationFrom("backstage", BACKSTAGE), { snapshot, excludeOu: [ou.Sandbox] });
    expect(targetsOf(s)).toEqual([ou.Security, ou.Workloads].sort());
  });

  test("no snapshot and no exclusions: the root looked up at apply time", () => {
    const s = synth(integrationFrom("backstage", BACKSTAGE));
    expect(s.text).toHaveDataSource(DataAwsOrganizationsOrganization);
    expect(targetsOf(s)).toEqual(["${data.aws_organizations_organization.organization.roots[0].id}"]);
    expect(s.plan.coverage.basis).toBe("root-lookup");
    expect(resources(s, "aws_iam_role").management_role).toBeDefined();
  });

  test("exclusions without a snapshot: an input error that says to run discover", () => {
    const integ = integrationFrom("backstage", `${BACKSTAGE}\nexclusions: { organizationalUnits: [ou-ab12-00000001] }`);
    expect(() => synth(integ)).toThrow(InputError);
    expect(() => synth(integ)).toThrow(/orgtrust discover --out org\.json/);
    expect(() => synth(integrationFrom("backstage", BACKSTAGE), { excludeAccount: ["200000000001"] })).toThrow(
      /need an org snapshot/,
    );
  });

  test("a snapshot of another organization is refused", () => {
    const other = { ...snapshot, organization: { ...snapshot.organization, managementAccountId: "555566667777" } };
    expect(() => synth(integrationFrom("backstage", BACKSTAGE), { snapshot: other })).toThrow(
      /management account 555566667777/,
    );
  });
});

describe("external ID and its secret", () => {
  test("generated: random_password of 40 external-ID-safe characters, written to the secret write-only, sensitive output", () => {
    const s = synth(integrationFrom("backstage", BACKSTAGE));
    expect(s.text).toHaveResourceWithProperties(Password, { length: 40, special: true, override_special: "-_." });
    const pw = resources(s, "random_password").external_id_secret_random;
    expect(pw.length as number).toBeGreaterThanOrEqual(32);
    expect(s.text).toHaveResourceWithProperties(SecretsmanagerSecretVersion, {
      secret_string_wo: RANDOM_REF,
      secret_id: "${aws_secretsmanager_secret.external_id_secret.id}",
      lifecycle: { replace_triggered_by: ["random_password.external_id_secret_random"] },
    });
    const version = resources(s, "aws_secretsmanager_secret_version").external_id_secret_version;
    expect(version.secret_string).toBeUndefined();
    expect(Number.isInteger(version.secret_string_wo_version)).toBe(true);
    expect(resources(s, "aws_secretsmanager_secret").external_id_secret.name).toBe("orgtrust/backstage/external-id");
    expect(s.json.output.external_id).toEqual(expect.objectContaining({ sensitive: true, value: RANDOM_REF }));
    for (const [name, o] of Object.entries(s.json.output)) {
      if (name !== "external_id") expect(JSON.stringify(o.value)).not.toContain("random_password");
    }
    expect(s.json.output.external_id_secret_arn.value).toBe("${aws_secretsmanager_secret.external_id_secret.arn}");
    expect(s.json.output.discovery_role_arn.value).toBe("${aws_iam_role.discovery_role.arn}");
    expect(s.json.output.management_role_arn.value).toBe("${aws_iam_role.management_role.arn}");
    expect(s.json.terraform.required_version).toBe(">= 1.11.0");
  });

  test("turbot-pipes: trusts 316881668097 with the Pipes prefix + 8 alphanumeric characters", () => {
    const s = synth(
      integrationFrom(
        "pipes",
        "consumer: turbot-pipes\nexternalId: { source: generate, prefix: o_acme123 }\noptions: { organizationHandle: acme }",
      ),
    );
    const pw = resources(s, "random_password").external_id_secret_random;
    expect(pw).toEqual(expect.objectContaining({ length: 8, special: false }));
    expect(pw.override_special).toBeUndefined();
    const trust = parsePolicy(resources(s, "aws_iam_role").discovery_role.assume_role_policy);
    expect(trust.Statement[0].Principal).toEqual({ AWS: "arn:aws:iam::316881668097:root" });
    // "{identifier}:{random_string}" (turbot/pipes-docs docs/integrations/aws.md, 2d94c5ae: o_456def:xyz789).
    expect(trust.Statement[0].Condition!.StringEquals["sts:ExternalId"]).toBe(`o_acme123:${RANDOM_REF}`);
    expect(
      (resources(s, "aws_cloudformation_stack_set").member_role.parameters as Record<string, string>).ExternalId,
    ).toBe(`o_acme123:${RANDOM_REF}`);
    expect(resources(s, "random_password").external_id_secret_random).toMatchObject({ length: 8, special: false });
  });

  test("supplied value: used as is, no random provider or resource", () => {
    const s = synth(
      integrationFrom(
        "apono",
        "consumer: apono\ntrustedPrincipal: arn:aws:iam::444455556666:role/apono\nexternalId: { source: value, value: apono-issued-123 }\noptions: { connectorId: acme-connector }",
      ),
    );
    expect(s.json.resource.random_password).toBeUndefined();
    expect(s.json.provider.random).toBeUndefined();
    expect(parsePolicy(resources(s, "aws_iam_role").discovery_role.assume_role_policy)).toEqual(
      memberTrustPolicy(s.plan.integration, "apono-issued-123"),
    );
    expect(resources(s, "aws_secretsmanager_secret_version").external_id_secret_version.secret_string_wo).toBe(
      "apono-issued-123",
    );
  });

  describe("env source: a sensitive, validated Terraform variable; synth never reads the environment", () => {
    const NAME = "APONO_EXT";
    const REF = `\${var.${NAME}}`;
    const VALUE = "apono-issued-Zq7-x9";
    const integ = integrationFrom(
      "apono",
      `consumer: apono\ntrustedPrincipal: arn:aws:iam::444455556666:role/apono\nexternalId: { source: env, env: ${NAME} }\noptions: { connectorId: acme-connector }`,
    );
    let s: Synth;
    beforeAll(() => {
      // Set while synthesizing: the value must still appear nowhere in the output.
      const before = process.env[NAME];
      process.env[NAME] = VALUE;
      try {
        s = synth(integ);
      } finally {
        if (before === undefined) delete process.env[NAME];
        else process.env[NAME] = before;
      }
    });

    test("declares the variable named like the environment variable: string, sensitive, not nullable, validated, described", () => {
      const v = (s.json.variable ?? {})[NAME] as {
        type: string;
        sensitive: boolean;
        nullable: boolean;
        description: string;
        validation: Array<{ condition: string; error_message: string }>;
      };
      expect(v).toEqual(expect.objectContaining({ type: "string", sensitive: true, nullable: false }));
      expect(v.description).toContain(`TF_VAR_${NAME}="$${NAME}"`);
      expect(v.description).toContain('integration "apono"');
      expect(v.validation).toHaveLength(1);
      expect(v.validation[0].condition).toMatch(/^\$\{.*can\(regex\(.*var\.APONO_EXT.*\)\}$/);
      expect(v.validation[0].error_message).toMatch(/^The external ID in APONO_EXT must be 2-1,224 characters .*\.$/);
      expect(Object.keys(s.json.variable ?? {})).toEqual([NAME]);
    });

    test("the value flows by reference only: secret, both trust policies, StackSet parameter, output", () => {
      expect(s.text).not.toContain(VALUE);
      const version = resources(s, "aws_secretsmanager_secret_version").external_id_secret_version;
      expect(version.secret_string_wo).toBe(REF);
      expect(version.secret_string_wo_version).toBe(`\${(parseint(substr(sha256(var.${NAME}), 0, 7), 16) + 1)}`);
      const roles = resources(s, "aws_iam_role");
      for (const role of ["discovery_role", "management_role"]) {
        const trust = parsePolicy(roles[role].assume_role_policy);
        expect({ role, condition: trust.Statement[0].Condition }).toEqual({
          role,
          condition: { StringEquals: { "sts:ExternalId": REF } },
        });
      }
      expect(parsePolicy(roles.discovery_role.assume_role_policy)).toEqual(memberTrustPolicy(s.plan.integration, REF));
      expect(resources(s, "aws_cloudformation_stack_set").member_role.parameters).toEqual(
        memberRoleParameters(s.plan.integration, REF),
      );
      expect(s.json.output.external_id).toEqual(expect.objectContaining({ sensitive: true, value: REF }));
      expect(s.json.resource.random_password).toBeUndefined();
      expect(s.json.provider.random).toBeUndefined();
    });

    test("synth needs no environment variable and gives the same output with or without one", () => {
      expect(process.env[NAME]).toBeUndefined();
      expect(synth(integ).text).toBe(s.text);
    });

    test("a name Terraform reserves, or the stack's own variable, is an input error at load naming the field and the fix", () => {
      for (const name of ["count", "version", "management_account_role_arn"]) {
        const bad = () =>
          integrationFrom(
            "apono",
            `consumer: apono\ntrustedPrincipal: arn:aws:iam::444455556666:role/apono\nexternalId: { source: env, env: ${name} }\noptions: { connectorId: acme-connector }`,
          );
        expect(bad).toThrow(InputError);
        expect(bad).toThrow(
          new RegExp(
            `^test\\.yaml: integrations\\.apono\\.externalId\\.env: ${name} names the stack's Terraform input variable .*\\(fix: use another environment variable name`,
          ),
        );
      }
      expect(
        () =>
          new ExternalIdSecret(new TerraformStack(Testing.app(), "t"), "e", {
            secretName: "s",
            source: { kind: "variable", name: "count" },
          }),
      ).toThrow(/ExternalIdSecret props.source.name: "count" is reserved by Terraform/);
      expect(
        () =>
          new ExternalIdSecret(new TerraformStack(Testing.app(), "t"), "e", {
            secretName: "s",
            source: { kind: "variable", name: "1x" },
          }),
      ).toThrow(/props.source.name: "1x" must be a Terraform identifier/);
    });

    // Terraform itself evaluates what synth wrote, the validation rule and the write-only version, through
    // `terraform console` (no provider, no init, plan or apply).
    const tfTest = terraformOnPath ? test : test.skip;
    tfTest(
      "terraform: the validation accepts external IDs and refuses others; the version is literalVersion() of the value",
      () => {
        const v = (s.json.variable ?? {})[NAME];
        const expr = resources(s, "aws_secretsmanager_secret_version").external_id_secret_version
          .secret_string_wo_version as string;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-tfvar-"));
        fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ variable: { [NAME]: v } }));
        const consoleEval = (expression: string, value: string) =>
          spawnSync("terraform", ["console", "-no-color"], {
            cwd: dir,
            input: `${expression}\n`,
            encoding: "utf8",
            env: {
              ...process.env,
              CHECKPOINT_DISABLE: "1",
              TF_CLI_CONFIG_FILE: "/dev/null",
              [`TF_VAR_${NAME}`]: value,
            },
          });
        const versionOf = (value: string) => {
          const r = consoleEval(`nonsensitive(${expr.slice(2, -1)})`, value);
          expect({ value: value.slice(0, 20), status: r.status, stderr: r.stderr }).toEqual({
            value: value.slice(0, 20),
            status: 0,
            stderr: "",
          });
          return Number(r.stdout.trim());
        };
        try {
          for (const good of [VALUE, "ab", "a+=,.@:/_-Z9", "x".repeat(1224)])
            expect({ good: good.slice(0, 20), version: versionOf(good) }).toEqual({
              good: good.slice(0, 20),
              version: literalVersion(good),
            });
          expect(versionOf("apono-issued-one")).not.toBe(versionOf("apono-issued-two"));
          for (const bad of ["x", "has space", "x".repeat(1225), "tab\there", "caf\u00e9"]) {
            const r = consoleEval(`var.${NAME}`, bad);
            expect({ bad: bad.slice(0, 20), out: r.stdout + r.stderr }).toEqual({
              bad: bad.slice(0, 20),
              out: expect.stringContaining("Invalid value for variable"),
            });
            expect(r.stdout + r.stderr).toContain(`The external ID in ${NAME} must be 2-1,224 characters`);
          }
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  });
});

describe("consumer presets and member policies", () => {
  test("port-ocean: one role name; in the management account the discovery role carries the member policies", () => {
    const s = synth(
      integrationFrom(
        "port",
        "consumer: port-ocean\ntrustedPrincipal: arn:aws:iam::444455556666:role/port\nexternalId: { source: value, value: port-ext-123 }",
      ),
    );
    const roles = resources(s, "aws_iam_role");
    expect(Object.keys(roles)).toEqual(["discovery_role"]);
    expect(roles.discovery_role.name).toBe("PortOceanReadRole");
    expect(
      (resources(s, "aws_cloudformation_stack_set").member_role.parameters as Record<string, string>).RoleName,
    ).toBe("PortOceanReadRole");
    const att = Object.values(resources(s, "aws_iam_role_policy_attachment"));
    expect(att).toEqual([
      { role: "${aws_iam_role.discovery_role.name}", policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
    ]);
    expect(s.json.output.management_role_arn.value).toBe("${aws_iam_role.discovery_role.arn}");
  });

  test("port-ocean in a delegated administrator is refused: the StackSet would collide with the discovery role", () => {
    // The config refuses this at load (next test); the construct refuses it too, for library users.
    const valid = integrationFrom(
      "port",
      "consumer: port-ocean\ntrustedPrincipal: arn:aws:iam::444455556666:role/port\nexternalId: { source: value, value: port-ext-123 }",
    );
    const integ = {
      ...valid,
      discoveryRole: {
        ...valid.discoveryRole,
        accountId: "999988887777",
        arn: "arn:aws:iam::999988887777:role/PortOceanReadRole",
        callAsDelegatedAdmin: true,
      },
    };
    expect(() => synth(integ)).toThrow(
      /IntegrationStack "port" props.discoveryRole.accountId: the member role and the discovery role share the name "PortOceanReadRole"/,
    );
  });

  test("port-ocean in a delegated administrator is refused at load, naming the field and the fix", () => {
    expect(() =>
      integrationFrom(
        "port",
        "consumer: port-ocean\ntrustedPrincipal: arn:aws:iam::444455556666:role/port\nexternalId: { source: value, value: port-ext-123 }\ndiscoveryRole: { account: delegatedAdmin }",
        { delegatedAdmin: "999988887777" },
      ),
    ).toThrow(
      /^test\.yaml: integrations\.port\.discoveryRole\.account: the member role and the discovery role share the name "PortOceanReadRole", .* \(fix: keep the discovery role in the management account/,
    );
  });

  test("ViewOnlyAccess gets organizations:DescribeOrganization inline; denyDataReads adds the explicit deny", () => {
    const s = synth(
      integrationFrom("backstage", `${BACKSTAGE}\nmemberRole: { policy: ViewOnlyAccess, denyDataReads: true }`),
    );
    expect(Object.values(resources(s, "aws_iam_role_policy_attachment")).map((a) => a.policy_arn)).toEqual([
      "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
    ]);
    const inline = parsePolicy(resources(s, "aws_iam_role_policy").management_role_inline.policy);
    expect(inline).toEqual(memberInlinePolicy(s.plan.integration));
    expect(inline.Statement.find((x) => x.Effect === "Deny")!.Action).toEqual([...DATA_READ_ACTIONS]);
    expect(inline.Statement.find((x) => x.Effect === "Allow")!.Action).toBe("organizations:DescribeOrganization");
    const params = resources(s, "aws_cloudformation_stack_set").member_role.parameters as Record<string, string>;
    expect(params).toEqual(expect.objectContaining({ DenyDataReads: "true", AddDescribeOrganization: "true" }));
  });

  test("SecurityAudit and an explicit policy list are attached in order; no inline policy by default", () => {
    const s = synth(
      integrationFrom(
        "backstage",
        `${BACKSTAGE}\nmemberRole: { policyArns: ["arn:aws:iam::aws:policy/SecurityAudit", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"] }`,
      ),
    );
    expect(Object.values(resources(s, "aws_iam_role_policy_attachment")).map((a) => a.policy_arn)).toEqual([
      "arn:aws:iam::aws:policy/SecurityAudit",
      "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
    ]);
    expect(resources(s, "aws_iam_role_policy").management_role_inline).toBeUndefined();
    expect(
      (resources(s, "aws_cloudformation_stack_set").member_role.parameters as Record<string, string>).ManagedPolicyArns,
    ).toBe("arn:aws:iam::aws:policy/SecurityAudit,arn:aws:iam::aws:policy/job-function/ViewOnlyAccess");
  });

  test("partition aws-us-gov: every ARN carries it, none is a literal arn:aws:", () => {
    const s = synth(
      integrationFrom(
        "backstage",
        `consumer: backstage\ntrustedPrincipal: arn:aws-us-gov:iam::444455556666:role/backstage-backend\nmemberRole: { policy: ViewOnlyAccess }`,
        { partition: "aws-us-gov" },
      ),
    );
    expect(s.text).not.toMatch(/arn:aws:/);
    expect(s.text).toContain("arn:aws-us-gov:iam::aws:policy/job-function/ViewOnlyAccess");
    expect(s.text).toContain("arn:aws-us-gov:cloudformation:us-gov-west-1:");
  });

  test("the local backend path is relative and names the integration", () => {
    const s = synth(integrationFrom("backstage", BACKSTAGE));
    expect(s.json.terraform.backend).toEqual({ local: { path: "terraform.backstage.tfstate" } });
  });
});

describe("trust policies under an independent IAM evaluator (@cloud-copilot/iam-simulate)", () => {
  const EXT = "Zx9-Qp4_Lm2.Rt7-Vb1_Nc8.Hy3-Kd6_Wf0";
  const TRUSTED = "arn:aws:iam::444455556666:role/backstage-backend";
  const s = synth(integrationFrom("backstage", BACKSTAGE));
  // An env source: the policies reference the variable ${var.ORG_EXT}.
  const v = synth(
    integrationFrom(
      "apono",
      `consumer: apono\ntrustedPrincipal: ${TRUSTED}\nexternalId: { source: env, env: ORG_EXT }\noptions: { connectorId: acme-connector }`,
    ),
  );
  // Terraform substitutes the generated value (or the variable's) at apply time; do the same here.
  const applied = (v: unknown, ref = RANDOM_REF) => {
    expect(v as string).toContain(ref);
    return JSON.parse((v as string).split(ref).join(EXT)) as PolicyDocument;
  };
  const policies: Array<[string, PolicyDocument, string]> = [
    [
      "discovery role",
      applied(resources(s, "aws_iam_role").discovery_role.assume_role_policy),
      `arn:aws:iam::${MGMT}:role/backstage-org-discovery`,
    ],
    [
      "management-account role",
      applied(resources(s, "aws_iam_role").management_role.assume_role_policy),
      `arn:aws:iam::${MGMT}:role/backstage-org-readonly`,
    ],
    [
      "member role (StackSet)",
      memberTrustPolicy(s.plan.integration, EXT),
      "arn:aws:iam::210987654321:role/backstage-org-readonly",
    ],
    [
      "discovery role, env source",
      applied(resources(v, "aws_iam_role").discovery_role.assume_role_policy, "${var.ORG_EXT}"),
      `arn:aws:iam::${MGMT}:role/apono-org-discovery`,
    ],
    [
      "management-account role, env source",
      applied(resources(v, "aws_iam_role").management_role.assume_role_policy, "${var.ORG_EXT}"),
      `arn:aws:iam::${MGMT}:role/apono-readonly`,
    ],
  ];

  async function assume(
    trust: PolicyDocument,
    roleArn: string,
    principal: string,
    externalId?: string,
  ): Promise<string> {
    const r = await runSimulation(
      {
        identityPolicies: [
          {
            name: "caller",
            policy: {
              Version: "2012-10-17",
              Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }],
            },
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
    return r.overallResult;
  }

  test.each(policies)(
    "%s: allowed only for the trusted principal with the right external ID",
    async (_label, trust, roleArn) => {
      expect(await assume(trust, roleArn, TRUSTED, EXT)).toBe("Allowed");
      expect(await assume(trust, roleArn, TRUSTED)).not.toBe("Allowed");
      expect(await assume(trust, roleArn, TRUSTED, `${EXT}x`)).not.toBe("Allowed");
      expect(await assume(trust, roleArn, TRUSTED, "")).not.toBe("Allowed");
      expect(await assume(trust, roleArn, "arn:aws:iam::444455556666:role/someone-else", EXT)).not.toBe("Allowed");
      expect(await assume(trust, roleArn, "arn:aws:iam::777788889999:role/backstage-backend", EXT)).not.toBe("Allowed");
    },
  );
});

describe("constructor validation names the prop", () => {
  const stack = () => new TerraformStack(Testing.app(), "t");
  const trust = { trustedPrincipal: "arn:aws:iam::444455556666:role/x", externalId: "valid-external-id" };
  const integ = integrationFrom("backstage", BACKSTAGE);

  test("DiscoveryRole", () => {
    expect(
      () => new DiscoveryRole(stack(), "d", { roleName: "bad name", ...trust, policy: discoveryRolePolicy(integ) }),
    ).toThrow(/DiscoveryRole props.roleName: "bad name"/);
    expect(
      () =>
        new DiscoveryRole(stack(), "d", {
          roleName: "ok",
          trustedPrincipal: "nope",
          externalId: "x1",
          policy: discoveryRolePolicy(integ),
        }),
    ).toThrow(/DiscoveryRole props.trustedPrincipal/);
    expect(
      () =>
        new DiscoveryRole(stack(), "d", {
          roleName: "ok",
          ...trust,
          externalId: "a b",
          policy: discoveryRolePolicy(integ),
        }),
    ).toThrow(/props.externalId: .*\(value not shown\)/);
    const writes: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["organizations:ListRoots", "organizations:MoveAccount"], Resource: "*" }],
    };
    expect(() => new DiscoveryRole(stack(), "d", { roleName: "ok", ...trust, policy: writes })).toThrow(
      /DiscoveryRole props.policy: grants organizations:MoveAccount/,
    );
    const wildcard: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "organizations:*", Resource: "*" }],
    };
    expect(() => new DiscoveryRole(stack(), "d", { roleName: "ok", ...trust, policy: wildcard })).toThrow(
      /props.policy/,
    );
    expect(
      () =>
        new DiscoveryRole(stack(), "d", {
          roleName: "ok",
          ...trust,
          policy: discoveryRolePolicy(integ),
          maxSessionDuration: 100,
        }),
    ).toThrow(/props.maxSessionDuration: 100/);
    expect(
      () =>
        new DiscoveryRole(stack(), "d", {
          roleName: "ok",
          ...trust,
          policy: discoveryRolePolicy(integ),
          path: "nopath",
        }),
    ).toThrow(/props.path/);
  });

  test("MemberRoleStackSet", () => {
    const base = {
      stackSetName: "s",
      templateBody: "x",
      parameters: {},
      region: "us-east-1",
      organizationalUnitIds: ["r-ab12"],
      callAs: "SELF" as const,
    };
    expect(() => new MemberRoleStackSet(stack(), "m", { ...base, region: "mars-1" })).toThrow(
      /MemberRoleStackSet props.region: "mars-1"/,
    );
    expect(() => new MemberRoleStackSet(stack(), "m", { ...base, organizationalUnitIds: ["123456789012"] })).toThrow(
      /props.organizationalUnitIds\[0\]/,
    );
    expect(
      () => new MemberRoleStackSet(stack(), "m", { ...base, organizationalUnitIds: ["r-ab12", "r-ab12"] }),
    ).toThrow(/lists a target twice/);
    expect(() => new MemberRoleStackSet(stack(), "m", { ...base, maxConcurrentPercentage: 0 })).toThrow(
      /props.maxConcurrentPercentage: 0/,
    );
    expect(() => new MemberRoleStackSet(stack(), "m", { ...base, stackSetName: "1bad" })).toThrow(/props.stackSetName/);
    expect(() => new MemberRoleStackSet(stack(), "m", { ...base, templateBody: "x".repeat(51_201) })).toThrow(
      /props.templateBody/,
    );
  });

  test("ExternalIdSecret and DirectMemberRole", () => {
    expect(
      () =>
        new ExternalIdSecret(stack(), "e", {
          secretName: "s",
          source: { kind: "generate", length: 4, alphanumeric: false },
        }),
    ).toThrow(/ExternalIdSecret props.source.length: 4/);
    expect(
      () =>
        new ExternalIdSecret(stack(), "e", { secretName: "bad name!", source: { kind: "literal", value: "abc-123" } }),
    ).toThrow(/props.secretName/);
    expect(
      () => new DirectMemberRole(stack(), "m", { managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] }),
    ).toThrow(/DirectMemberRole props.role: give exactly one/);
    expect(
      () => new DirectMemberRole(stack(), "m", { role: { roleName: "r", ...trust }, managedPolicyArns: [] }),
    ).toThrow(/props.managedPolicyArns/);
    // The old name stays exported (docs/synth-and-deploy.md documented it), as the same class.
    expect(ManagementAccountRole).toBe(DirectMemberRole);
    expect(
      () => new ManagementAccountRole(stack(), "m", { managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] }),
    ).toThrow(/DirectMemberRole props.role: give exactly one/);
  });

  test("IntegrationStack refuses an absolute backend path", () => {
    expect(
      () =>
        new IntegrationStack(Testing.app(), "b", {
          homeRegion: "us-east-1",
          managementAccountId: MGMT,
          trustedPrincipal: "arn:aws:iam::444455556666:role/backstage-backend",
          externalId: { kind: "literal", value: "abc-123" },
          backendPath: "/var/state.tfstate",
        }),
    ).toThrow(/IntegrationStack "b" props.backendPath/);
  });

  test("errors are InputErrors (exit 2 from the CLI)", () => {
    try {
      new MemberRoleStackSet(stack(), "m", {
        stackSetName: "s",
        templateBody: "x",
        parameters: {},
        region: "nowhere",
        organizationalUnitIds: [],
        callAs: "SELF",
      });
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return;
    }
    throw new Error("no error thrown");
  });
});

describe("IntegrationStack with plain props (the library API)", () => {
  const base = {
    homeRegion: "us-east-1",
    managementAccountId: MGMT,
    trustedPrincipal: "arn:aws:iam::444455556666:role/tool",
  };
  const synthPlain = (props: Record<string, unknown>, id = "tool") =>
    JSON.parse(Testing.synth(new IntegrationStack(Testing.app(), id, { ...base, ...props }))) as TfJson;

  test("the three required values are enough: documented defaults for names, external ID, policies and targets", () => {
    const tf = synthPlain({});
    const roles = tf.resource.aws_iam_role;
    expect(roles.discovery_role).toMatchObject({
      name: "orgtrust-tool-discovery",
      path: "/",
      max_session_duration: 3600,
    });
    expect(roles.management_role).toMatchObject({ name: "orgtrust-tool-readonly", path: "/" });
    expect(tf.resource.random_password.external_id_secret_random).toMatchObject({
      length: 40,
      special: true,
      override_special: "-_.",
    });
    expect(tf.resource.aws_secretsmanager_secret.external_id_secret.name).toBe("orgtrust/tool/external-id");
    expect(Object.values(tf.resource.aws_iam_role_policy_attachment).map((a) => a.policy_arn)).toEqual([
      "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ]);
    expect(tf.resource.aws_iam_role_policy.management_role_inline).toBeUndefined();
    const stackSet = tf.resource.aws_cloudformation_stack_set.member_role;
    expect(stackSet).toMatchObject({
      name: "orgtrust-tool-member-role",
      call_as: "SELF",
      template_body: memberRoleTemplateBody(),
    });
    expect(stackSet.operation_preferences).toEqual({ max_concurrent_percentage: 25, failure_tolerance_percentage: 0 });
    // No OU list: the root, looked up at apply time.
    expect(Object.keys(tf.data!.aws_organizations_organization)).toEqual(["organization"]);
    const instances = Object.values(tf.resource.aws_cloudformation_stack_set_instance);
    expect(
      instances.map((i) => (i.deployment_targets as { organizational_unit_ids: string[] }).organizational_unit_ids),
    ).toEqual([["${data.aws_organizations_organization.organization.roots[0].id}"]]);
    // The default discovery policy: orgtrust's reads, on this stack's StackSet and roles.
    const policy = parsePolicy(tf.resource.aws_iam_role_policy.discovery_role_policy.policy);
    expect(allowedActions(policy)).toEqual([...DISCOVERY_ACTIONS]);
    expect(policy.Statement.find((st) => st.Sid === "ReadMemberRoleStackSet")!.Resource).toBe(
      `arn:aws:cloudformation:us-east-1:${MGMT}:stackset/orgtrust-tool-member-role:*`,
    );
    expect(policy.Statement.find((st) => st.Sid === "ReadOrgtrustRoles")!.Resource).toEqual([
      `arn:aws:iam::${MGMT}:role/orgtrust-tool-readonly`,
      `arn:aws:iam::${MGMT}:role/orgtrust-tool-discovery`,
    ]);
  });

  test("a delegated administrator, an empty OU list and no management role; tags merge over the stack's", () => {
    const tf = synthPlain({
      discoveryRole: { accountId: "999988887777", tags: { team: "sec" } },
      organizationalUnitIds: [],
      managementAccountRole: false,
      tags: { owner: "platform", team: "all" },
    });
    expect(tf.resource.aws_cloudformation_stack_set.member_role.call_as).toBe("DELEGATED_ADMIN");
    expect(tf.resource.aws_cloudformation_stack_set_instance).toBeUndefined();
    expect(Object.keys(tf.resource.aws_iam_role)).toEqual(["discovery_role"]);
    expect(tf.resource.aws_iam_role.discovery_role.tags).toEqual({ owner: "platform", team: "sec" });
    expect(tf.resource.aws_secretsmanager_secret.external_id_secret.tags).toEqual({ owner: "platform", team: "all" });
    expect(tf.provider.aws[0].allowed_account_ids).toEqual(["999988887777"]);
  });

  test.each([
    [{ homeRegion: "mars-1" }, /^IntegrationStack "tool" props\.homeRegion: "mars-1" must be an AWS region/],
    [{ managementAccountId: "1234" }, /props\.managementAccountId: "1234" must be a 12-digit account id/],
    [{ trustedPrincipal: "backstage" }, /props\.trustedPrincipal: "backstage" must be an IAM principal ARN/],
    [{ partition: "aws-eu" }, /props\.partition: "aws-eu" must be one of aws, aws-us-gov, aws-cn/],
    [{ memberRole: { managedPolicyArns: [] } }, /props\.memberRole\.managedPolicyArns: must list 1-20/],
    [
      { memberRole: { managedPolicyArns: ["arn:aws-cn:iam::aws:policy/ReadOnlyAccess"] } },
      /props\.memberRole\.managedPolicyArns\[0\]: .* is not in partition aws/,
    ],
    [
      { memberRole: { managedPolicyArns: ["arn:aws:iam::111122223333:policy/extra"] } },
      /props\.memberRole\.managedPolicyArns\[0\]: .* must be an AWS managed policy ARN/,
    ],
    [
      { memberRole: { permissionsBoundary: "arn:aws:iam::111122223333:policy/b" } },
      /props\.memberRole\.permissionsBoundary: .* must be an AWS managed policy or name a policy in every account/,
    ],
    [
      { discoveryRole: { permissionsBoundary: "arn:aws:iam::999988887777:policy/b" } },
      /props\.discoveryRole\.permissionsBoundary: .* must be an AWS managed policy or a policy of account 111122223333/,
    ],
    [{ memberRole: { denyDataReads: "yes" } }, /props\.memberRole\.denyDataReads: must be true or false/],
    [{ memberRole: { roleName: "has space" } }, /props\.memberRole\.roleName: "has space" must be an IAM role name/],
    [{ discoveryRole: { accountId: "x" } }, /props\.discoveryRole\.accountId: "x" must be a 12-digit account id/],
    [
      {
        discoveryRole: {
          policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:CreateRole", Resource: "*" }] },
        },
      },
      /DiscoveryRole props\.policy: grants iam:CreateRole/,
    ],
    [{ stackSet: { name: "9lives" } }, /props\.stackSet\.name: "9lives" must start with a letter/],
    [
      { stackSet: { maxConcurrentPercentage: 0 } },
      /props\.stackSet\.maxConcurrentPercentage: 0 must be a whole number from 1 to 100/,
    ],
    [
      { organizationalUnitIds: ["ou-ab12-prod0001", "ou-ab12-prod0001"] },
      /props\.organizationalUnitIds: lists a target twice/,
    ],
    [
      { externalId: { kind: "variable", name: "management_account_role_arn" } },
      /props\.externalId\.name: "management_account_role_arn" is the stack's own variable/,
    ],
    [{ directAccounts: [MGMT] }, /props\.directAccounts\[0\]: 111122223333 is the management account/],
    [
      { memberRoles: {} },
      /props\.memberRoles: is not a prop of IntegrationStack \(fix: use one of partition, homeRegion, /,
    ],
    [
      { stackSet: { retain: true } },
      /props\.stackSet\.retain: is not a prop of IntegrationStack \(fix: use one of name, retainStacksOnAccountRemoval, /,
    ],
  ])("refuses %j naming the prop", (bad, message) => {
    expect(() => synthPlain(bad)).toThrow(message);
    expect(() => synthPlain(bad)).toThrow(InputError);
  });

  test("a stack id that makes no valid default name asks for the name", () => {
    const id = "t".repeat(50);
    expect(() => synthPlain({}, id)).toThrow(
      new RegExp(
        `IntegrationStack "${id}" props\\.discoveryRole\\.roleName: "orgtrust-${id}-discovery" must be an IAM role name: 1-64 characters`,
      ),
    );
    expect(() => synthPlain({ discoveryRole: { roleName: "d" }, memberRole: { roleName: "m" } }, "tool.x")).toThrow(
      /props\.stackSet\.name: "orgtrust-tool\.x-member-role" must start with a letter and hold only letters, digits and -/,
    );
  });
});

describe("DirectMemberRoles (the member role in accounts no StackSet target reaches)", () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-direct-roles-"));
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));
  const accounts = ["222233334444", "111133335555", "333344445555"];
  const variants: Array<[string, Record<string, unknown>]> = [
    ["generated external ID, management-account discovery role", {}],
    [
      "delegated administrator, a variable external ID, inline policy, per-account boundary, tags",
      {
        discoveryRole: { accountId: "999988887777" },
        externalId: { kind: "variable", name: "EXT_ID" },
        memberRole: {
          denyDataReads: true,
          addDescribeOrganization: true,
          permissionsBoundary: "arn:aws:iam::${AWS::AccountId}:policy/boundary",
          tags: { owner: "sec" },
        },
        tags: { team: "platform" },
      },
    ],
    [
      "no management-account role, a literal external ID, two managed policies",
      {
        managementAccountRole: false,
        externalId: { kind: "literal", value: "vendor-issued-0123456789" },
        memberRole: {
          managedPolicyArns: ["arn:aws:iam::aws:policy/SecurityAudit", "arn:aws:iam::aws:policy/ViewOnlyAccess"],
        },
      },
    ],
  ];
  test.each(variants)(
    "%s: one element writes exactly what one AwsProvider and one DirectMemberRole per account write, in the same order",
    (_label, extra) => {
      const props = {
        homeRegion: "us-east-1",
        managementAccountId: MGMT,
        trustedPrincipal: "arn:aws:iam::444455556666:role/consumer",
        directAccounts: accounts,
        ...extra,
      };
      const fast = new IntegrationStack(new App({ outdir, stackTraces: false }), "s", props);
      // With cdktf's hclOutput the stack builds the constructs themselves (their HCL attributes are what cdktf reads).
      const constructs = new IntegrationStack(new App({ outdir, stackTraces: false, hclOutput: true }), "s", props);
      expect(fast.directRoles?.accounts).toEqual([...accounts].sort());
      expect(fast.directRoles?.roleArn(accounts[0])).toBe(`\${aws_iam_role.direct_role_${accounts[0]}.arn}`);
      expect(constructs.directRoles).toBeUndefined();
      const a = fast.toTerraform();
      const b = constructs.toTerraform();
      expect(a).toEqual(b);
      // Key order too: the HCL writer keeps the document's order.
      expect(JSON.stringify(a)).toBe(JSON.stringify(b));
      expect(Object.keys(b.resource?.aws_iam_role ?? {})).toContain(`direct_role_${accounts[1]}`);
    },
  );
});
