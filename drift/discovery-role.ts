import type { ResolvedIntegration } from "../config/resolve";
import type { Snapshot } from "../org/snapshot";
import type { DriftAws } from "./aws";
import { accountTarget, finding, type CheckResult, type Target } from "./finding";
import { checkRole, type ExpectedRole } from "./roles";

/**
 * Check 4b: the discovery role, in the management account or the delegated administrator: present, trusting the
 * integration's principal with the external ID, carrying exactly the discovery policy (and nothing attached), with
 * the configured path, boundary and session length. A hand-added policy here is the most dangerous drift orgtrust can
 * see: the role sits in the account that controls the organization. Read with the caller's credentials; when those
 * are for another account, or may not read the role, the check is reported as skipped (info), never as exit 3.
 * When the member role shares the discovery role's name in the management account (Port Ocean), check 4 reads that
 * one role with both policies and this check is not run.
 */
export async function checkDiscoveryRole(aws: DriftAws, callerAccount: string, integration: ResolvedIntegration, live: Snapshot, expected: ExpectedRole): Promise<CheckResult> {
  const accountId = integration.discoveryRole.accountId;
  const target: Target = accountTarget({ id: accountId, name: live.accounts.find((a) => a.id === accountId)?.name ?? null });
  const units = [{ check: "discovery-role" as const, integration: integration.name, target }];
  const skipped = (why: string) => ({
    units,
    findings: [finding("discovery-role-skipped", { integration: integration.name, target, message: `role ${expected.roleName} in ${accountId} was not checked: ${why}`, expected: `read access to ${integration.discoveryRole.arn}`, found: why })],
  });
  if (callerAccount !== accountId) return skipped(`the credentials are for account ${callerAccount}`);
  const findings = await checkRole(aws, aws.iam(), "discovery-role", target, expected, false, (e) => skipped(`${(e as { name?: string }).name ?? "access denied"} on iam:GetRole and the policy reads`).findings);
  return { units, findings };
}
