import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ListStackInstancesCommand } from "@aws-sdk/client-cloudformation";
import { GetRoleCommand, NoSuchEntityException } from "@aws-sdk/client-iam";
import { memberTrustPolicy, type PolicyDocument } from "../../constructs/member-role-policy";
import { integrationFrom } from "../fixtures/constructs";
import { awsClients, clientsFor } from "../support/aws-clients";
import { runCli } from "../support/cli";
import { describeWithMoto } from "../support/moto";
import { createMemberRoleStackSet } from "../support/stackset";
import { buildOrg, type BuiltOrg, type OrgSpec } from "../support/org-fixture";

/**
 * The synthesized StackSet against moto: build an org, `orgtrust discover` it, `orgtrust synth` with exclusions,
 * then create the StackSet through the SDK from the synthesized template body, parameters and deployment targets
 * (what Terraform would send), and check with IAM under each account's own credentials that the member role exists
 * in exactly the accounts the coverage report says get it through the StackSet, and in no excluded one.
 *
 * With an env-sourced external ID the synthesized ExternalId parameter is a reference, `${var.NAME}`, to the stack's
 * Terraform variable; Terraform sends the variable's value (TF_VAR_NAME), so the test substitutes it the same way.
 *
 * moto's CreateStackInstances reaches only the accounts directly in a targeted OU and in its direct child OUs (AWS
 * reaches the whole subtree). The shapes below therefore keep every account at most one level below its target, so
 * moto and AWS agree and the test needs no moto-only extra targets.
 */

const TRUSTED = "arn:aws:iam::444455556666:role/backstage-backend";
const EXTERNAL_ID = "moto-test-external-id-7Hq2";
/** The environment variable (and so the Terraform variable) of the env-sourced external ID. */
const EXTERNAL_ID_VAR = "BACKSTAGE_EXTERNAL_ID";
const ROLE = "backstage-org-readonly";

/**
 *  Root: management
 *    Sandbox (excluded OU, depth 1): sb1
 *    Security: sec1, sec2                               -> target
 *    Workloads: wl-tooling                              (blocked: uncovered)
 *      Prod: p1, p2 (excluded account), p3              (blocked: p1, p3 uncovered)
 *        ProdEU: peu                                    -> target
 *      Dev: d1                                          -> target
 *        DevTeam: d2                                    (reached through Dev)
 *      Regulated (excluded OU, depth 2): r1
 */
const SHAPE: OrgSpec = {
  ous: [
    { name: "Sandbox", accounts: [{ name: "sb1" }] },
    { name: "Security", accounts: [{ name: "sec1" }, { name: "sec2" }] },
    {
      name: "Workloads",
      accounts: [{ name: "wl-tooling" }],
      ous: [
        {
          name: "Prod",
          accounts: [{ name: "p1" }, { name: "p2" }, { name: "p3" }],
          ous: [{ name: "ProdEU", accounts: [{ name: "peu" }] }],
        },
        { name: "Dev", accounts: [{ name: "d1" }], ous: [{ name: "DevTeam", accounts: [{ name: "d2" }] }] },
        { name: "Regulated", accounts: [{ name: "r1" }] },
      ],
    },
  ],
};

interface Synthesized {
  templateBody: string;
  parameters: Record<string, string>;
  tags?: Record<string, string>;
  /** Instance resources in dependency order, each with its targets. */
  targets: string[][];
  coverage: {
    viaStackSet: Array<{ id: string }>;
    uncovered: Array<{ id: string }>;
    excluded: Array<{ id: string }>;
    direct: Array<{ id: string; how: string }>;
  };
}

async function discoverAndSynth(
  endpoint: string,
  built: BuiltOrg,
  exclusions: string,
  source: "env" | "value",
  memberRole = "{ tags: { team: platform } }",
): Promise<Synthesized> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-stackset-"));
  const snapshot = path.join(dir, "org.json");
  const d = await runCli(["discover", "--out", snapshot], { endpoint });
  expect(d.code).toBe(0);
  const config = path.join(dir, "orgtrust.yaml");
  fs.writeFileSync(
    config,
    `version: 1
organization:
  managementAccountId: "${built.managementAccountId}"
  homeRegion: us-east-1
snapshot: org.json
${exclusions}
integrations:
  backstage:
    consumer: backstage
    trustedPrincipal: ${TRUSTED}
    externalId: ${source === "env" ? `{ source: env, env: ${EXTERNAL_ID_VAR} }` : `{ source: value, value: ${EXTERNAL_ID} }`}
    memberRole: ${memberRole}
`,
  );
  const out = path.join(dir, "out");
  // Synth never reads the env source: the variable is set here only to prove its value stays out of the output.
  const s = await runCli(["synth", "--config", config, "--out", out], { env: { [EXTERNAL_ID_VAR]: EXTERNAL_ID } });
  expect(s.stderr).not.toMatch(/error/);
  expect(s.code).toBe(0);
  const text = fs.readFileSync(path.join(out, "stacks", "backstage", "cdk.tf.json"), "utf8");
  const tf = JSON.parse(text);
  const set = tf.resource.aws_cloudformation_stack_set.member_role;
  if (source === "env") {
    expect(text).not.toContain(EXTERNAL_ID);
    expect(set.parameters.ExternalId).toBe(`\${var.${EXTERNAL_ID_VAR}}`);
    // What Terraform sends: the variable's value in place of the reference.
    set.parameters = Object.fromEntries(
      Object.entries(set.parameters as Record<string, string>).map(([k, v]) => [
        k,
        v.split(`\${var.${EXTERNAL_ID_VAR}}`).join(EXTERNAL_ID),
      ]),
    );
  } else {
    expect(set.parameters.ExternalId).toBe(EXTERNAL_ID);
  }
  const instances = Object.entries<{
    depends_on?: string[];
    deployment_targets: { organizational_unit_ids: string[] };
  }>(tf.resource.aws_cloudformation_stack_set_instance ?? {});
  // Order by the depends_on chain, as Terraform would apply them.
  const ordered: string[][] = [];
  let prev: string | undefined;
  for (let i = 0; i < instances.length; i++) {
    const next = instances.find(
      ([, r]) =>
        (r.depends_on?.[0] ?? undefined) === (prev ? `aws_cloudformation_stack_set_instance.${prev}` : undefined),
    );
    expect(next).toBeDefined();
    ordered.push(next![1].deployment_targets.organizational_unit_ids);
    prev = next![0];
  }
  const coverage = JSON.parse(fs.readFileSync(path.join(out, "stacks", "backstage", "orgtrust-coverage.json"), "utf8"));
  return { templateBody: set.template_body, parameters: set.parameters, tags: set.tags, targets: ordered, coverage };
}

/** CreateStackSet + CreateStackInstances (one call per instance resource, in order), as the provider does. */
async function deploy(endpoint: string, s: Synthesized): Promise<void> {
  const c = awsClients(endpoint);
  try {
    await createMemberRoleStackSet(c.cfn, { name: "orgtrust-backstage-member-role", ...s });
  } finally {
    c.destroy();
  }
}

/** The member role's permissions boundary ARN in an account. */
async function memberBoundaryIn(endpoint: string, accountId: string): Promise<string | undefined> {
  const c = await clientsFor(endpoint, accountId);
  try {
    return (await c.iam.send(new GetRoleCommand({ RoleName: ROLE }))).Role!.PermissionsBoundary?.PermissionsBoundaryArn;
  } finally {
    c.destroy();
  }
}

/** The member role's trust policy in an account, or undefined when the role does not exist there. */
async function memberRoleIn(endpoint: string, accountId: string): Promise<PolicyDocument | undefined> {
  const c = await clientsFor(endpoint, accountId);
  try {
    const r = await c.iam.send(new GetRoleCommand({ RoleName: ROLE }));
    return JSON.parse(decodeURIComponent(r.Role!.AssumeRolePolicyDocument!)) as PolicyDocument;
  } catch (e) {
    if (e instanceof NoSuchEntityException) return undefined;
    throw e;
  } finally {
    c.destroy();
  }
}

const ids = (xs: Array<{ id: string }>) => xs.map((x) => x.id).sort();

describeWithMoto("member-role StackSet from the synthesized template and targets (moto)", (moto) => {
  test("excluded OUs (depth 1 and 2) and an excluded account, env-sourced external ID: the role lands in exactly the covered accounts", async () => {
    const c = awsClients(moto().endpoint);
    const built = await buildOrg(c, SHAPE);
    c.destroy();
    const a = built.account;
    const s = await discoverAndSynth(
      moto().endpoint,
      built,
      `exclusions:
  organizationalUnits: [${built.ou.Sandbox}, ${built.ou["Workloads/Regulated"]}]
  accounts: ["${a.p2}"]`,
      "env",
    );

    // The targets: whole-subtree-in-scope OUs only, one instance resource each.
    expect(s.targets.flat().sort()).toEqual(
      [built.ou.Security, built.ou["Workloads/Prod/ProdEU"], built.ou["Workloads/Dev"]].sort(),
    );
    expect(s.targets.every((t) => t.length === 1)).toBe(true);
    expect(ids(s.coverage.viaStackSet)).toEqual([a.sec1, a.sec2, a.peu, a.d1, a.d2].sort());
    // The accounts beside the excluded parts get the role directly (stackSet.uncoveredAccounts defaults to direct):
    // Terraform creates it through their own providers, the StackSet never reaches them.
    const viaProvider = s.coverage.direct.filter((d) => d.how === "direct-provider");
    expect(ids(viaProvider)).toEqual([a["wl-tooling"], a.p1, a.p3].sort());
    expect(s.coverage.uncovered).toEqual([]);
    expect(ids(s.coverage.excluded)).toEqual([a.sb1, a.p2, a.r1].sort());
    expect(ids(s.coverage.direct.filter((d) => d.how === "management-account"))).toEqual([built.managementAccountId]);

    await deploy(moto().endpoint, s);

    const expectedTrust = memberTrustPolicy(
      integrationFrom("backstage", `consumer: backstage\ntrustedPrincipal: ${TRUSTED}`),
      EXTERNAL_ID,
    );
    for (const id of ids(s.coverage.viaStackSet)) {
      expect({ id, trust: await memberRoleIn(moto().endpoint, id) }).toEqual({ id, trust: expectedTrust });
    }
    // Excluded accounts never get it; the accounts no target reaches and the management account do not get it
    // from the StackSet either: Terraform creates their role directly.
    for (const id of [...ids(s.coverage.excluded), ...ids(s.coverage.direct)]) {
      expect({ id, trust: await memberRoleIn(moto().endpoint, id) }).toEqual({ id, trust: undefined });
    }
    // Every account of the org was checked one way or the other.
    expect(ids(s.coverage.viaStackSet).length + ids(s.coverage.excluded).length + ids(s.coverage.direct).length).toBe(
      built.accounts.length,
    );

    const c2 = awsClients(moto().endpoint);
    const inst = await c2.cfn.send(new ListStackInstancesCommand({ StackSetName: "orgtrust-backstage-member-role" }));
    c2.destroy();
    expect((inst.Summaries ?? []).map((x) => x.Account).sort()).toEqual(ids(s.coverage.viaStackSet));
    expect(new Set((inst.Summaries ?? []).map((x) => x.Region))).toEqual(new Set(["us-east-1"]));
  });

  test("no exclusions, external ID given as a value, a boundary in each account: the root is targeted and every member account gets the role, bounded by its own policy", async () => {
    const c = awsClients(moto().endpoint);
    // Accounts at most one level below the root (moto's reach from a root target).
    const built = await buildOrg(c, {
      rootAccounts: [{ name: "loose" }],
      ous: [
        { name: "A", accounts: [{ name: "a1" }] },
        { name: "B", accounts: [{ name: "b1" }, { name: "b2" }] },
      ],
    });
    c.destroy();
    const s = await discoverAndSynth(
      moto().endpoint,
      built,
      "",
      "value",
      '{ permissionsBoundary: "arn:aws:iam::${AWS::AccountId}:policy/org/boundary" }',
    );
    expect(s.targets).toEqual([[built.rootId]]);
    const members = built.accounts
      .filter((x) => x.id !== built.managementAccountId)
      .map((x) => x.id)
      .sort();
    expect(ids(s.coverage.viaStackSet)).toEqual(members);
    expect(s.parameters).toMatchObject({
      PermissionsBoundary: "",
      PermissionsBoundaryInEachAccount: "policy/org/boundary",
    });

    await deploy(moto().endpoint, s);
    for (const id of members) {
      expect({ id, exists: (await memberRoleIn(moto().endpoint, id)) !== undefined }).toEqual({ id, exists: true });
      // The template completes the boundary's ARN with the account each stack instance runs in.
      expect({ id, boundary: await memberBoundaryIn(moto().endpoint, id) }).toEqual({
        id,
        boundary: `arn:aws:iam::${id}:policy/org/boundary`,
      });
    }
    // Not asserted for the management account: moto deploys a root-targeted instance there too, AWS never does
    // (service-managed StackSets skip the management account; synth gives it the role directly instead).
  });
});
