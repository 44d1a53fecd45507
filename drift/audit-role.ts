import { iamRoleArn, type Partition } from "../common/ids";

/**
 * The audit role --deep assumes in each member account to read the integration's member role. AWS Organizations
 * creates OrganizationAccountAccessRole in accounts it creates (trusting the management account); accounts that
 * joined by invitation need it (or another role, --audit-role-name) created by hand.
 */
export const DEFAULT_AUDIT_ROLE = "OrganizationAccountAccessRole";

export function auditRoleArn(partition: Partition, accountId: string, roleName: string): string {
  return iamRoleArn(partition, accountId, roleName);
}
