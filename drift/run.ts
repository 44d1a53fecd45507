import type { LoadedConfig } from "../config/load";
import type { ResolvedIntegration } from "../config/resolve";
import type { Logger } from "../common/log";
import type { AwsOptions } from "../aws/options";
import { discoverOrganization } from "../org/discover";
import type { Snapshot } from "../org/snapshot";
import { checkManagementAccount, integrationRules, NO_EXTRA_EXCLUSIONS, type ScopeFlags } from "../org/scope-rules";
import { directAccountsLive, managementAccountOf, planMemberRole, type MemberRolePlan } from "../plan/member-role";
import { DriftAws } from "./aws";
import { checkCoverage } from "./coverage";
import { memberRoleIsDiscoveryRole } from "../constructs/member-role-policy";
import { checkDiscoveryRole } from "./discovery-role";
import { expectedDiscoveryRole, expectedManagementRole, expectedRole, expectedStackSet } from "./expected";
import { expectedExternalId, type ExpectedExternalId } from "./external-id";
import { finding, type CheckResult, type Severity } from "./finding";
import { checkManagementRole } from "./management-role";
import { checkMemberRoles } from "./member-roles";
import { checkOrgVsSnapshot } from "./org-vs-snapshot";
import { buildReport, type DriftReport } from "./report";
import { redactFindings } from "./redact";
import { checkStackSet, readStackSet } from "./stackset";

export { DEFAULT_AUDIT_ROLE } from "./audit-role";

/** What `orgtrust drift` checks and how (cli/drift.ts maps the flags to it; sync's --drift builds it too). */
export interface DriftOptions {
  loaded: LoadedConfig;
  integrations: ResolvedIntegration[];
  /** The saved snapshot and its path; absent: the live org is the only basis. */
  snapshot?: { snapshot: Snapshot; path: string };
  aws: AwsOptions;
  /** Check 5: assume the audit role in every in-scope member account and read the member role. */
  deep: boolean;
  auditRoleName: string;
  /** --generated DIR: run the generator's check for every integration against DIR/<integration>/. */
  generatedDir?: string;
  failOn: Severity;
  /** The run's extra exclusions (--exclude-ou, --exclude-account) and --strict, merged into each integration's (default: none). */
  exclusions?: ScopeFlags;
  log: Logger;
  /** Runs the generated-files check (check 6); injected so drift/ works before and without the generator. */
  checkGenerated?: (p: {
    live: Snapshot;
    planned: Snapshot;
    integrations: ResolvedIntegration[];
    dir: string;
  }) => Promise<CheckResult>;
}

/** The organization drift compares: the live one (discovered now) and the one synthesis planned from. */
interface DriftInputs {
  live: Snapshot;
  /** The saved snapshot when given (what synth used), else the live org. */
  planned: Snapshot;
}

/** One integration as drift checks it: the planner's output over the live org and over the planned snapshot. */
interface IntegrationUnderCheck {
  integration: ResolvedIntegration;
  /** The plan of the live org: coverage, the management role and member roles are checked against it. */
  live: MemberRolePlan;
  /** The plan of the snapshot synthesis uses: the StackSet's targets are expected to match it. */
  planned: MemberRolePlan;
  externalId: ExpectedExternalId;
  /** Accounts that hold the member role directly now (plan/member-role.ts directAccountsLive): no stack instance by design. */
  direct: Set<string>;
}

/**
 * Runs every check and returns the report. The live organization (discovered now) is compared with the saved
 * snapshot (check 1); the StackSet targets are expected to match what synthesis computes from the snapshot
 * (the planned scope); coverage, the management role and member roles are checked against the live scope.
 * AWS errors on the caller's own reads abort with exit 3; per-account failures under --deep are findings.
 */
export async function runDrift(opts: DriftOptions): Promise<DriftReport> {
  const inputs = await loadDriftInputs(opts);
  const results: CheckResult[] = [checkOrg(opts, inputs)];
  const checked = planDrift(opts, inputs);
  results.push(...(await checkAws(opts, inputs, checked)));
  results.push(...checked.flatMap((c) => externalIdUnverified(opts, c)));
  // Check 6: generated files.
  if (opts.generatedDir && opts.checkGenerated) {
    results.push(
      await opts.checkGenerated({
        live: inputs.live,
        planned: inputs.planned,
        integrations: opts.integrations,
        dir: opts.generatedDir,
      }),
    );
  }
  return report(opts, inputs, checked, results);
}

/** Discovers the live organization (with tags only when the generated files are rendered from it). */
async function loadDriftInputs(opts: DriftOptions): Promise<DriftInputs> {
  const { log } = opts;
  const needTags = !opts.snapshot && !!opts.generatedDir;
  const discovered = await discoverOrganization({
    ...opts.aws,
    tags: needTags,
    onProgress: (p) => log.progress(`drift: discovering ${p.ous} OUs, ${p.accounts} accounts`),
  });
  log.done();
  const live = discovered.snapshot;
  checkManagementAccount(opts.loaded, live.organization, "the live organization");
  return { live, planned: opts.snapshot?.snapshot ?? live };
}

/** Check 1: the live organization against the saved snapshot (or a note that none was given). */
function checkOrg(opts: DriftOptions, { live }: DriftInputs): CheckResult {
  if (opts.snapshot) {
    return checkOrgVsSnapshot(
      opts.snapshot.snapshot,
      live,
      opts.integrations.map((i) => ({
        name: i.name,
        rules: integrationRules(i, opts.exclusions ?? NO_EXTRA_EXCLUSIONS),
      })),
      opts.snapshot.path,
    );
  }
  const target = { type: "organization" as const, id: live.organization.id, name: null };
  return {
    units: [{ check: "org", integration: null, target }],
    findings: [
      finding("snapshot-not-given", {
        integration: null,
        target,
        message:
          "no snapshot given (--snapshot or the config's snapshot field): the live organization was not compared with one",
      }),
    ],
  };
}

/**
 * The planner over both orgs, per integration. Exclusions that match nothing in the live org are warned about once
 * (a global one would otherwise repeat per integration), or fail with --strict; the planned snapshot is only read.
 */
function planDrift(opts: DriftOptions, { live, planned }: DriftInputs): IntegrationUnderCheck[] {
  const warned = new Set<string>();
  const warnOnce = (m: string) => void (warned.has(m) || (warned.add(m), opts.log.warn(m)));
  return opts.integrations.map((integration) => {
    const livePlan = planMemberRole(integration, live, { exclusions: opts.exclusions, unmatchedLabel: "exclusions" });
    livePlan.unmatched.forEach(warnOnce);
    const plannedPlan = opts.snapshot
      ? planMemberRole(integration, planned, {
          exclusions: { ...(opts.exclusions ?? NO_EXTRA_EXCLUSIONS), strict: false },
        })
      : livePlan;
    return {
      integration,
      live: livePlan,
      planned: plannedPlan,
      externalId: expectedExternalId(integration),
      direct: directAccountsLive(plannedPlan, livePlan),
    };
  });
}

/** Checks 2 to 5: the StackSet and its instances, the management account's role, the discovery role, member roles. */
async function checkAws(
  opts: DriftOptions,
  { live, planned }: DriftInputs,
  checked: IntegrationUnderCheck[],
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const aws = new DriftAws(opts.aws);
  try {
    let caller: string | undefined;
    for (const c of checked) {
      const i = c.integration;
      // Check 2 and 3: the StackSet and its instances.
      const stackSet = await readStackSet(aws, i);
      results.push(checkStackSet(i, stackSet, expectedStackSet(i, c.externalId, c.planned.cover!, planned)));
      if (stackSet.stackSet)
        results.push(
          checkCoverage(i.name, c.live.scope!, c.live.cover!, stackSet.instances, {
            accounts: c.direct,
            enabled: i.stackSet.uncoveredAccounts === "direct",
          }),
        );
      // Check 4: the management account's own role.
      if (c.live.managementRole) {
        caller ??= await aws.callerAccount();
        results.push(
          await checkManagementRole(aws, caller, managementAccountOf(c.live), expectedManagementRole(i, c.externalId)),
        );
      }
      // Check 4b: the discovery role, unless check 4 just read it (one role with the member role's name).
      if (!(memberRoleIsDiscoveryRole(i) && c.live.managementRole)) {
        caller ??= await aws.callerAccount();
        results.push(
          await checkDiscoveryRole(
            aws,
            caller,
            i,
            live,
            expectedDiscoveryRole(i, c.externalId),
            opts.deep ? { roleName: opts.auditRoleName } : undefined,
          ),
        );
      }
    }
    // Check 5: every member role, one AssumeRole per account.
    if (opts.deep) {
      results.push(
        await checkMemberRoles(
          aws,
          checked.map((c) => ({
            expected: expectedRole(c.integration, c.externalId),
            scope: c.live.scope!,
            cover: c.live.cover!,
            direct: c.direct,
          })),
          {
            auditRoleName: opts.auditRoleName,
            partition: live.organization.partition,
            concurrency: opts.aws.concurrency,
            log: opts.log,
          },
        ),
      );
    }
  } finally {
    aws.destroy();
  }
  return results;
}

/** Says once per integration when the external ID could only be checked for presence (StackSet parameter, trust). */
function externalIdUnverified(opts: DriftOptions, c: IntegrationUnderCheck): CheckResult[] {
  if (!c.externalId.unknownBecause) return [];
  const check = c.live.managementRole ? "management-role" : opts.deep ? "member-role" : "stackset";
  return [
    {
      units: [],
      findings: [
        finding("external-id-unverified", {
          integration: c.integration.name,
          target: { type: "integration", id: c.integration.name, name: null },
          check,
          message: `external ID value unknown (${c.externalId.unknownBecause}): the StackSet's ExternalId parameter and the trust policies were checked for a StringEquals sts:ExternalId condition, not its value`,
        }),
      ],
    },
  ];
}

/** The report: every finding (external IDs redacted) and every unit examined. */
function report(
  opts: DriftOptions,
  { live }: DriftInputs,
  checked: IntegrationUnderCheck[],
  results: CheckResult[],
): DriftReport {
  return buildReport({
    organizationId: live.organization.id,
    managementAccountId: live.organization.managementAccountId,
    snapshot: opts.snapshot?.path ?? null,
    integrations: opts.integrations.map((i) => i.name),
    deep: opts.deep,
    failOn: opts.failOn,
    findings: redactFindings(
      results.flatMap((r) => r.findings),
      checked.map((c) => c.externalId.value),
    ),
    units: results.flatMap((r) => r.units),
  });
}
