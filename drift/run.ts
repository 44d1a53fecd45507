import type { LoadedConfig } from "../config/load";
import type { ResolvedIntegration } from "../config/resolve";
import type { Logger } from "../common/log";
import type { AwsOptions } from "../aws/options";
import { discoverOrganization } from "../org/discover";
import { computeScope, type Scope } from "../org/scope";
import type { Snapshot } from "../org/snapshot";
import { computeOuCover, type OuCover } from "../org/targets";
import { checkManagementAccount, integrationRules, scopeWithChecks, type ScopeFlags } from "../org/scope-rules";
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

export interface DriftOptions {
  loaded: LoadedConfig;
  integrations: ResolvedIntegration[];
  /** The saved snapshot and its path; absent: the live org is the only basis. */
  snapshot?: { snapshot: Snapshot; path: string };
  aws: AwsOptions;
  deep: boolean;
  auditRoleName: string;
  /** --generated DIR: run the generator's check for every integration against DIR/<integration>/. */
  generatedDir?: string;
  failOn: Severity;
  cli: ScopeFlags;
  log: Logger;
  /** Runs the generated-files check (check 6); injected so drift/ works before and without the generator. */
  checkGenerated?: (p: { live: Snapshot; planned: Snapshot; integrations: ResolvedIntegration[]; dir: string }) => Promise<CheckResult>;
}

interface Plan {
  integration: ResolvedIntegration;
  liveScope: Scope;
  liveCover: OuCover;
  plannedCover: OuCover;
  externalId: ExpectedExternalId;
  /**
   * Accounts synth gives the member role directly (stackSet.uncoveredAccounts "direct"): uncoverable both in the
   * planned cover (what synth saw) and live. They have no stack instance by design.
   */
  direct: Set<string>;
}

/**
 * Runs every check and returns the report. The live organization (discovered now) is compared with the saved
 * snapshot (check 1); the StackSet targets are expected to match what synthesis computes from the snapshot
 * (the planned scope); coverage, the management role and member roles are checked against the live scope.
 * AWS errors on the caller's own reads abort with exit 3; per-account failures under --deep are findings.
 */
export async function runDrift(opts: DriftOptions): Promise<DriftReport> {
  const { log } = opts;
  const needTags = !opts.snapshot && !!opts.generatedDir;
  const discovered = await discoverOrganization({
    ...opts.aws,
    tags: needTags,
    onProgress: (p) => log.progress(`drift: discovering ${p.ous} OUs, ${p.accounts} accounts`),
  });
  log.done();
  const live = discovered.snapshot;
  const planned = opts.snapshot?.snapshot ?? live;
  checkManagementAccount(opts.loaded, live.organization, "the live organization");

  const results: CheckResult[] = [];
  const rulesOf = (i: ResolvedIntegration) => integrationRules(i, opts.cli);
  if (opts.snapshot) {
    results.push(checkOrgVsSnapshot(opts.snapshot.snapshot, live, opts.integrations.map((i) => ({ name: i.name, rules: rulesOf(i) })), opts.snapshot.path));
  } else {
    results.push({
      units: [{ check: "org", integration: null, target: { type: "organization", id: live.organization.id, name: null } }],
      findings: [
        finding("snapshot-not-given", {
          integration: null,
          target: { type: "organization", id: live.organization.id, name: null },
          message: "no snapshot given (--snapshot or the config's snapshot field): the live organization was not compared with one",
        }),
      ],
    });
  }

  // A global exclusion that matches nothing would otherwise be warned about once per integration.
  const warned = new Set<string>();
  const onceLog: Logger = { ...log, warn: (m) => void (warned.has(m) || (warned.add(m), log.warn(m))) };
  const plans: Plan[] = opts.integrations.map((integration) => {
    const rules = rulesOf(integration);
    const liveScope = scopeWithChecks(live, rules, opts.cli, onceLog, "exclusions");
    const liveCover = computeOuCover(liveScope);
    const plannedCover = opts.snapshot ? computeOuCover(computeScope(planned, rules)) : liveCover;
    const plannedUncovered = new Set(plannedCover.uncovered.map((u) => u.account.id));
    const direct = new Set(integration.stackSet.uncoveredAccounts === "direct" ? liveCover.uncovered.map((u) => u.account.id).filter((id) => plannedUncovered.has(id)) : []);
    return { integration, liveScope, liveCover, plannedCover, externalId: expectedExternalId(integration), direct };
  });

  const aws = new DriftAws(opts.aws);
  try {
    let caller: string | undefined;
    for (const p of plans) {
      const i = p.integration;
      // Check 2 and 3: the StackSet and its instances.
      const stackSet = await readStackSet(aws, i);
      results.push(checkStackSet(i, stackSet, expectedStackSet(i, p.externalId, p.plannedCover, planned)));
      if (stackSet.stackSet) results.push(checkCoverage(i.name, p.liveScope, p.liveCover, stackSet.instances, { accounts: p.direct, enabled: i.stackSet.uncoveredAccounts === "direct" }));
      // Check 4: the management account's own role.
      if (p.liveCover.direct.length) {
        caller ??= await aws.callerAccount();
        results.push(await checkManagementRole(aws, caller, p.liveCover, expectedManagementRole(i, p.externalId)));
      }
      // Check 4b: the discovery role, unless check 4 just read it (one role with the member role's name).
      if (!(memberRoleIsDiscoveryRole(i) && p.liveCover.direct.length)) {
        caller ??= await aws.callerAccount();
        results.push(await checkDiscoveryRole(aws, caller, i, live, expectedDiscoveryRole(i, p.externalId), opts.deep ? { roleName: opts.auditRoleName } : undefined));
      }
    }
    // Check 5: every member role, one AssumeRole per account.
    if (opts.deep) {
      results.push(
        await checkMemberRoles(
          aws,
          plans.map((p) => ({ expected: expectedRole(p.integration, p.externalId), scope: p.liveScope, cover: p.liveCover, direct: p.direct })),
          { auditRoleName: opts.auditRoleName, partition: live.organization.partition, concurrency: opts.aws.concurrency, log },
        ),
      );
    }
  } finally {
    aws.destroy();
  }
  // Say once per integration when the external ID could only be checked for presence (StackSet parameter, trust).
  for (const p of plans) {
    if (!p.externalId.unknownBecause) continue;
    const check = p.liveCover.direct.length ? "management-role" : opts.deep ? "member-role" : "stackset";
    results.push({
      units: [],
      findings: [
        finding("external-id-unverified", {
          integration: p.integration.name,
          target: { type: "integration", id: p.integration.name, name: null },
          check,
          message: `external ID value unknown (${p.externalId.unknownBecause}): the StackSet's ExternalId parameter and the trust policies were checked for a StringEquals sts:ExternalId condition, not its value`,
        }),
      ],
    });
  }
  // Check 6: generated files.
  if (opts.generatedDir && opts.checkGenerated) {
    results.push(await opts.checkGenerated({ live, planned, integrations: opts.integrations, dir: opts.generatedDir }));
  }

  return buildReport({
    organizationId: live.organization.id,
    managementAccountId: live.organization.managementAccountId,
    snapshot: opts.snapshot?.path ?? null,
    integrations: opts.integrations.map((i) => i.name),
    deep: opts.deep,
    failOn: opts.failOn,
    findings: redactFindings(
      results.flatMap((r) => r.findings),
      plans.map((p) => p.externalId.value),
    ),
    units: results.flatMap((r) => r.units),
  });
}
