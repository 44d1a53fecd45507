import type { IAMClient } from "@aws-sdk/client-iam";
import type { ResolvedIntegration } from "../config/resolve";
import type { Snapshot } from "../org/snapshot";
import { auditRoleArn } from "./audit-role";
import type { DriftAws } from "./aws";
import { accountTarget, finding, type CheckResult, type Target } from "./finding";
import { checkRole, type ExpectedRole } from "./roles";

/**
 * Check 4b: the discovery role, in the management account or the delegated administrator: present, trusting the
 * integration's principal with the external ID, carrying exactly the discovery policy (and nothing attached), with
 * the configured path, boundary and session length. A hand-added policy here is the most dangerous drift orgtrust can
 * see: the role sits in the account that controls the organization. Read with the caller's credentials when they are
 * for the role's account; otherwise (a delegated administrator) under --deep through the audit role there. When
 * neither can read it (other-account credentials without --deep, the audit role not assumable, a denied read), the
 * check is reported as skipped (info), never as exit 3.
 * When the member role shares the discovery role's name in the management account (Port Ocean), check 4 reads that
 * one role with both policies and this check is not run.
 */
export async function checkDiscoveryRole(
  aws: DriftAws,
  callerAccount: string,
  integration: ResolvedIntegration,
  live: Snapshot,
  expected: ExpectedRole,
  /** --deep: the audit role to assume when the caller is in another account. */
  audit?: { roleName: string },
): Promise<CheckResult> {
  const accountId = integration.discoveryRole.accountId;
  const target: Target = accountTarget({
    id: accountId,
    name: live.accounts.find((a) => a.id === accountId)?.name ?? null,
  });
  const units = [{ check: "discovery-role" as const, integration: integration.name, target }];
  const skipped = (why: string) => ({
    units,
    findings: [
      finding("discovery-role-skipped", {
        integration: integration.name,
        target,
        message: `role ${expected.roleName} in ${accountId} was not checked: ${why}`,
        expected: `read access to ${integration.discoveryRole.arn}`,
        found: why,
      }),
    ],
  });
  const denied = (e: unknown) =>
    skipped(`${(e as { name?: string }).name ?? "access denied"} on iam:GetRole and the policy reads`).findings;
  if (callerAccount === accountId)
    return { units, findings: await checkRole(aws, aws.iam(), "discovery-role", target, expected, false, denied) };
  if (!audit)
    return skipped(`the credentials are for account ${callerAccount} (--deep reads it through the audit role there)`);
  const roleArn = auditRoleArn(integration.partition, accountId, audit.roleName);
  let iam: IAMClient;
  try {
    iam = await aws.iamIn(roleArn);
  } catch (e) {
    return skipped(`cannot assume ${roleArn}: ${(e as { name?: string }).name ?? "error"}`);
  }
  try {
    return { units, findings: await checkRole(aws, iam, "discovery-role", target, expected, false, denied) };
  } finally {
    iam.destroy();
  }
}
