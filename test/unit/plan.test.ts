import { InputError } from "../../common/errors";
import { COVERAGE_FILE, coverageDocument } from "../../plan/coverage-file";
import { planIntegration, planIntegrations } from "../../plan/integration";
import { directAccountsLive, managementAccountOf, planMemberRole } from "../../plan/member-role";
import { MGMT, ROOT, integrationFrom, snapshotOf, type Tree } from "../fixtures/constructs";

/**
 * The planner (plan/): pure, no AWS, no cdktf app. What each integration deploys and who gets the member role and
 * how: through the StackSet (OU targets), directly (the management account; with stackSet.uncoveredAccounts: direct
 * the accounts no OU target reaches), or not at all, and why. Synth, drift, sync and orgtrust-coverage.json read it.
 */

const PRINCIPAL = "trustedPrincipal: arn:aws:iam::444455556666:role/backstage-backend";
const backstage = (extra = "", org: { exclusions?: string } = {}) =>
  integrationFrom("backstage", `consumer: backstage\n${PRINCIPAL}\n${extra}`, org);

// Root: Management, Loose (directly under the root), Prod {Web, Api}, Sandbox {Play}
const TREE: Tree = {
  rootAccounts: [{ name: "Loose" }],
  ous: [
    { name: "Prod", accounts: [{ name: "Web" }, { name: "Api" }] },
    { name: "Sandbox", accounts: [{ name: "Play" }] },
  ],
};

describe("planMemberRole: targets and coverage", () => {
  test("nothing excluded: the root is the one target, every member through the StackSet, the management account directly", () => {
    const { snapshot, account } = snapshotOf(TREE);
    const plan = planMemberRole(backstage(), snapshot, {});
    expect(plan.targets).toEqual({ kind: "organizational-units", ids: [ROOT] });
    expect(plan.coverage.targets).toEqual([{ id: ROOT, name: "Root" }]);
    expect(plan.coverage.viaStackSet.map((a) => a.name).sort()).toEqual(["Api", "Loose", "Play", "Web"]);
    expect(plan.coverage.direct).toEqual([{ id: MGMT, name: "Management", how: "management-account" }]);
    expect(plan.managementRole).toBe(true);
    expect(managementAccountOf(plan)).toEqual({ id: MGMT, name: "Management", how: "management-account" });
    expect(plan.coverage.uncovered).toEqual([]);
    expect(plan.coverage.exact).toBe(true);
    expect(plan.directAccounts).toEqual([]);
    expect(plan.warnings).toEqual([]);
    expect(account.Loose).toBeDefined();
  });

  test("an excluded OU: the other OUs are targeted, an account directly under the root is uncovered, with why, and warned about", () => {
    const { snapshot, ou, account } = snapshotOf(TREE);
    const plan = planMemberRole(
      backstage(`stackSet: { uncoveredAccounts: none }\nexclusions: { organizationalUnits: ["${ou.Sandbox}"] }`),
      snapshot,
      {},
    );
    expect(plan.targets).toEqual({ kind: "organizational-units", ids: [ou.Prod] });
    expect(plan.coverage.uncovered).toEqual([
      {
        id: account.Loose,
        name: "Loose",
        reason: expect.stringMatching(/sits directly in Root .*cannot be targeted: an excluded OU lies below it/),
      },
    ]);
    expect(plan.coverage.excluded.map((e) => e.name)).toEqual(["Play"]);
    expect(plan.coverage.exact).toBe(false);
    expect(plan.directAccounts).toEqual([]);
    expect(plan.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^integrations\\.backstage: account ${account.Loose} \\(Loose\\) is in scope but gets no member role`,
        ),
      ),
    ]);
  });

  test("stackSet.uncoveredAccounts: direct (the default): the accounts no target reaches get the role directly (direct-provider)", () => {
    const { snapshot, ou, account } = snapshotOf(TREE);
    const plan = planMemberRole(
      backstage(`stackSet: { uncoveredAccounts: direct }\nexclusions: { organizationalUnits: ["${ou.Sandbox}"] }`),
      snapshot,
      {},
    );
    expect(plan.directAccounts).toEqual([account.Loose]);
    expect(plan.coverage.uncovered).toEqual([]);
    expect(plan.coverage.direct.map((d) => [d.id, d.how])).toEqual(
      [
        [MGMT, "management-account"],
        [account.Loose, "direct-provider"],
      ].sort(([x], [y]) => (x < y ? -1 : 1)),
    );
    expect(plan.coverage.exact).toBe(true);
    expect(plan.warnings).toEqual([expect.stringMatching(/1 in-scope account gets the member role directly/)]);
  });

  test("the management account excluded: no direct role, and the plan says so", () => {
    const { snapshot } = snapshotOf(TREE);
    const plan = planMemberRole(backstage("exclusions: { managementAccount: true }"), snapshot, {});
    expect(plan.managementRole).toBe(false);
    expect(managementAccountOf(plan)).toBeUndefined();
    expect(plan.coverage.excluded.map((e) => e.id)).toEqual([MGMT]);
  });

  test("the run's extra exclusions merge with the integration's; one that matches nothing is a warning, or an error with strict", () => {
    const { snapshot, ou } = snapshotOf(TREE);
    const extra = planMemberRole(backstage(), snapshot, {
      exclusions: { excludeOu: [ou.Sandbox], excludeAccount: [] },
    });
    expect(extra.coverage.excluded.map((e) => e.name)).toEqual(["Play"]);
    const nothing = { excludeOu: ["ou-zzzz-nothere1"], excludeAccount: [] };
    const warned = planMemberRole(backstage(), snapshot, { exclusions: nothing });
    expect(warned.unmatched).toEqual([
      expect.stringMatching(/^integrations\.backstage exclusions: OU ou-zzzz-nothere1 matches nothing/),
    ]);
    expect(warned.warnings.slice(0, 1)).toEqual(warned.unmatched);
    expect(
      planMemberRole(backstage(), snapshot, { exclusions: nothing, unmatchedLabel: "exclusions" }).unmatched,
    ).toEqual([expect.stringMatching(/^exclusions: OU/)]);
    expect(() => planMemberRole(backstage(), snapshot, { exclusions: { ...nothing, strict: true } })).toThrow(
      InputError,
    );
  });

  test("no snapshot: the root looked up at apply time; exclusions then are an input error", () => {
    const plan = planMemberRole(backstage(), undefined, {});
    expect(plan.targets).toEqual({ kind: "root-lookup" });
    expect(plan.coverage.basis).toBe("root-lookup");
    expect(plan.scope).toBeNull();
    expect(plan.managementRole).toBe(true);
    expect(() =>
      planMemberRole(backstage(), undefined, { exclusions: { excludeOu: [], excludeAccount: ["200000000001"] } }),
    ).toThrow(/need an org snapshot/);
  });

  test("pure: the same input gives the same plan, and the snapshot is not changed", () => {
    const { snapshot, ou } = snapshotOf(TREE);
    const before = JSON.stringify(snapshot);
    const i = backstage(`exclusions: { organizationalUnits: ["${ou.Sandbox}"] }`);
    expect(planMemberRole(i, snapshot, {})).toEqual(planMemberRole(i, snapshot, {}));
    expect(JSON.stringify(snapshot)).toBe(before);
  });
});

describe("directAccountsLive: what drift expects to hold the role directly", () => {
  test("only accounts synth gave the role directly that the live org still leaves out of every target", () => {
    const { snapshot: planned, ou, account } = snapshotOf(TREE);
    const i = backstage(
      `stackSet: { uncoveredAccounts: direct }\nexclusions: { organizationalUnits: ["${ou.Sandbox}"] }`,
    );
    const plannedPlan = planMemberRole(i, planned, {});
    expect([...directAccountsLive(plannedPlan, plannedPlan)]).toEqual([account.Loose]);
    // Live, Loose moved into Prod: it is reachable by a target now, so it is no longer expected to be direct.
    const live = structuredClone(planned);
    const loose = live.accounts.find((a) => a.id === account.Loose)!;
    loose.parentId = ou.Prod;
    loose.path = [
      { id: ROOT, name: "Root" },
      { id: ou.Prod, name: "Prod" },
    ];
    expect([...directAccountsLive(plannedPlan, planMemberRole(i, live, {}))]).toEqual([]);
    // With "none" nothing is direct, whatever the org.
    const none = backstage(
      `stackSet: { uncoveredAccounts: none }\nexclusions: { organizationalUnits: ["${ou.Sandbox}"] }`,
    );
    expect([...directAccountsLive(planMemberRole(none, planned, {}), planMemberRole(none, planned, {}))]).toEqual([]);
  });
});

describe("planIntegration / planIntegrations: the plan synth builds", () => {
  test("the external-ID source comes with the member-role plan", () => {
    const { snapshot } = snapshotOf(TREE);
    const plan = planIntegration(backstage("externalId: { source: env, env: BS_EXTERNAL_ID }"), snapshot, {});
    expect(plan.externalId).toMatchObject({ kind: "variable", name: "BS_EXTERNAL_ID" });
    expect(plan.targets).toEqual({ kind: "organizational-units", ids: [ROOT] });
  });

  test("a snapshot of another organization is refused; no integration is an input error", () => {
    const { snapshot } = snapshotOf(TREE);
    const other = { ...snapshot, organization: { ...snapshot.organization, managementAccountId: "999999999999" } };
    expect(() => planIntegration(backstage(), other, {})).toThrow(/the snapshot is of organization/);
    expect(() => planIntegrations([], snapshot, {})).toThrow(/no integration to synthesize/);
  });

  test("every input check runs before any integration is planned or warned about", () => {
    const { snapshot, ou } = snapshotOf(TREE);
    const warnings: string[] = [];
    const warns = backstage(`exclusions: { organizationalUnits: ["${ou.Sandbox}"] }`);
    // A reserved variable name is refused when the config loads now (config/rules.ts); the input check left to the
    // planner is the snapshot's organization, so the second integration names another management account.
    const bad = { ...backstage(), name: "zz", managementAccountId: "999999999999" };
    expect(() => planIntegrations([warns, bad], snapshot, { onWarning: (m) => warnings.push(m) })).toThrow(
      /the snapshot is of organization/,
    );
    expect(warnings).toEqual([]);
    planIntegrations([warns], snapshot, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual(planIntegration(warns, snapshot, {}).warnings);
  });
});

describe("orgtrust-coverage.json", () => {
  test("the plan's coverage with the integration's names, and nothing of the plan's internals", () => {
    const { snapshot } = snapshotOf(TREE);
    const plan = planIntegration(backstage(), snapshot, {});
    const doc = coverageDocument(plan) as Record<string, unknown>;
    expect(COVERAGE_FILE).toBe("orgtrust-coverage.json");
    expect(Object.keys(doc).sort()).toEqual(
      [
        "schemaVersion",
        "integration",
        "consumer",
        "stackSetName",
        "memberRole",
        "managementRole",
        ...Object.keys(plan.coverage),
      ].sort(),
    );
    expect(doc).toMatchObject({
      schemaVersion: 1,
      integration: "backstage",
      consumer: "backstage",
      managementRole: true,
      targets: plan.coverage.targets,
    });
  });
});
