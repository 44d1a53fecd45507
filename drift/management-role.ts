import type { AccountRef } from "../plan/member-role";
import type { DriftAws } from "./aws";
import { accountTarget, finding, type CheckResult } from "./finding";
import { checkRole, type ExpectedRole } from "./roles";

/**
 * Check 4: the management account's own role (StackSets never deploy there, so orgtrust creates it directly).
 * Skipped when the integration leaves the management account out of scope (the plan gives it no role: `management`
 * is managementAccountOf(plan), undefined). Read with the caller's credentials, which must be the management account's; otherwise the check
 * is reported as skipped (info). AWS errors other than a missing role abort the run (exit 3).
 */
export async function checkManagementRole(
  aws: DriftAws,
  callerAccount: string,
  management: AccountRef | undefined,
  expected: ExpectedRole,
): Promise<CheckResult> {
  const mgmt = management;
  if (!mgmt) return { units: [], findings: [] };
  const target = accountTarget(mgmt);
  const units = [{ check: "management-role" as const, integration: expected.integration, target }];
  if (callerAccount !== mgmt.id) {
    return {
      units,
      findings: [
        finding("management-role-skipped", {
          integration: expected.integration,
          target,
          message: `the credentials are for account ${callerAccount}, not the management account ${mgmt.id}; role ${expected.roleName} there was not checked`,
          expected: mgmt.id,
          found: callerAccount,
        }),
      ],
    };
  }
  return { units, findings: await checkRole(aws, aws.iam(), "management-role", target, expected, true) };
}
