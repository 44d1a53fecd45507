import type { StackInstanceSummary } from "@aws-sdk/client-cloudformation";
import { describeReason, type Scope } from "../org/scope";
import type { OuCover } from "../org/targets";
import { accountTarget, finding, type CheckResult, type CheckedUnit, type Finding, type Severity } from "./finding";
import { byEntryKey } from "../common/compare";

/**
 * Check 3: stack instances against the live in-scope member accounts (the management account never gets an
 * instance: StackSets skip it, it has its own role).
 *
 * - An in-scope member account without an instance: instance-missing (error); when computeOuCover says the
 *   account cannot be covered exactly, account-not-coverable (warning) instead.
 * - Accounts in `direct` (directAccountsLive of the plans, plan/member-role.ts; stackSet.uncoveredAccounts "direct":
 *   synth gave them the member role with their own provider) are expected to have no instance: neither finding. Decision: an instance there is not reported
 *   either (no target reaches them, so only a hand-made or older deployment puts one there; the role itself is what
 *   the consumer uses and --deep checks it like any member role). With "direct", an uncoverable account synth did not
 *   see (it joined or moved after the snapshot) is still account-not-coverable, with re-discover and synth as fix.
 * - An instance in an account excluded by an OU or account exclusion: instance-in-excluded-account (error).
 *   Decision: an instance in an account that is out of scope *only* because it is not ACTIVE is expected (the OU
 *   cover does not avoid inactive accounts, and StackSets keep their instances) and is reported as info
 *   (instance-in-inactive-account); status findings on such accounts are info too.
 * - Status other than CURRENT or DetailedStatus other than SUCCEEDED: instance-status; DriftStatus DRIFTED
 *   when AWS reports it: instance-drifted; instances in more than one region: instance-extra-region.
 */
export function checkCoverage(
  integration: string,
  scope: Scope,
  cover: OuCover,
  instances: StackInstanceSummary[],
  direct: { accounts: ReadonlySet<string>; enabled: boolean } = { accounts: new Set(), enabled: false },
): CheckResult {
  const byAccount = new Map<string, StackInstanceSummary[]>();
  for (const i of instances) {
    if (!i.Account) continue;
    byAccount.set(i.Account, [...(byAccount.get(i.Account) ?? []), i]);
  }
  const units: CheckedUnit[] = [];
  const findings: Finding[] = [];
  const uncovered = new Map(cover.uncovered.map((u) => [u.account.id, u.reason]));
  const excluded = new Map(scope.excluded.map((e) => [e.account.id, e]));
  const inScope = new Map(scope.inScope.map((a) => [a.id, a]));

  for (const a of scope.inScope) {
    if (a.isManagementAccount) continue;
    const target = accountTarget(a);
    units.push({ check: "coverage", integration, target });
    const why = uncovered.get(a.id);
    if (direct.accounts.has(a.id)) continue;
    if (why) {
      const later = direct.enabled
        ? "; synth (stackSet.uncoveredAccounts: direct) did not give it the role directly because the snapshot it used does not place it here: re-run `orgtrust discover --out <snapshot>`, then synth and deploy"
        : "";
      findings.push(
        finding("account-not-coverable", {
          integration,
          target,
          message: `account ${a.id} (${a.name}) ${why}${later}`,
          expected: "an instance through an OU target",
          found: byAccount.has(a.id) ? "an instance (not through a computed target)" : "no instance",
        }),
      );
    } else if (!byAccount.has(a.id)) {
      findings.push(
        finding("instance-missing", {
          integration,
          target,
          message: `in-scope account ${a.id} (${a.name}) has no stack instance, so no member role`,
          expected: "a CURRENT stack instance",
          found: null,
        }),
      );
    }
  }

  for (const [accountId, list] of [...byAccount].sort(byEntryKey)) {
    const a = inScope.get(accountId) ?? excluded.get(accountId)?.account;
    const target = accountTarget({ id: accountId, name: a?.name ?? null });
    const ex = excluded.get(accountId);
    const inactiveOnly = !!ex && ex.reasons.every((r) => r.kind === "inactive");
    if (!inScope.has(accountId)) units.push({ check: "coverage", integration, target });
    if (!a) {
      findings.push(
        finding("instance-outside-organization", {
          integration,
          target,
          message: `stack instance in account ${accountId}, which is not in the organization`,
          expected: null,
          found: list.map(where).join(", "),
        }),
      );
    } else if (ex && inactiveOnly) {
      findings.push(
        finding("instance-in-inactive-account", {
          integration,
          target,
          message: `stack instance in account ${accountId} (${a.name}), out of scope only because it is ${a.state}`,
          expected: null,
          found: list.map(where).join(", "),
        }),
      );
    } else if (ex) {
      findings.push(
        finding("instance-in-excluded-account", {
          integration,
          target,
          message: `excluded account ${accountId} (${a.name}) has a stack instance: ${ex.reasons.map(describeReason).join("; ")}`,
          expected: "no stack instance",
          found: list.map(where).join(", "),
        }),
      );
    }
    const quiet: Severity | undefined = inactiveOnly ? "info" : undefined;
    for (const i of list) {
      const detailed = i.StackInstanceStatus?.DetailedStatus;
      if ((i.Status && i.Status !== "CURRENT") || (detailed && detailed !== "SUCCEEDED")) {
        findings.push(
          finding("instance-status", {
            integration,
            target,
            severity: quiet,
            message: `stack instance in ${accountId} (${i.Region}) is ${i.Status ?? "?"}/${detailed ?? "?"}${i.StatusReason ? `: ${i.StatusReason}` : ""}`,
            expected: "CURRENT/SUCCEEDED",
            found: `${i.Status ?? "?"}/${detailed ?? "?"}`,
          }),
        );
      }
      if (i.DriftStatus === "DRIFTED") {
        findings.push(
          finding("instance-drifted", {
            integration,
            target,
            severity: quiet,
            message: `drift detection reports the stack in ${accountId} (${i.Region}) as DRIFTED`,
            expected: "IN_SYNC",
            found: "DRIFTED",
          }),
        );
      }
    }
    const regions = [...new Set(list.map((i) => i.Region ?? "?"))].sort();
    if (regions.length > 1) {
      findings.push(
        finding("instance-extra-region", {
          integration,
          target,
          message: `account ${accountId} has stack instances in ${regions.length} regions; the named IAM role collides`,
          expected: "one region",
          found: regions.join(", "),
        }),
      );
    }
  }
  return { units, findings };
}

const where = (i: StackInstanceSummary) =>
  `${i.Region ?? "?"}${i.OrganizationalUnitId ? ` via ${i.OrganizationalUnitId}` : ""}`;
