import type { IntegrationStackProps } from "../constructs/integration-stack";
import { discoveryRolePolicy } from "../constructs/member-role-policy";
import type { IntegrationPlan } from "../plan/integration";

/**
 * The adapter from orgtrust.yaml (a resolved integration and its plan) to the plain props of the exported
 * IntegrationStack: `orgtrust synth` builds exactly the construct a user's own cdktf app builds, from the values a
 * user would write by hand. The discovery role's policy is passed as the consumer's own (discoveryRolePolicy), so the
 * CLI never depends on the construct's default.
 */
export function integrationStackProps(plan: IntegrationPlan): IntegrationStackProps {
  const i = plan.integration;
  const dr = i.discoveryRole;
  const mr = i.memberRole;
  return {
    partition: i.partition,
    homeRegion: i.homeRegion,
    managementAccountId: i.managementAccountId,
    trustedPrincipal: i.trustedPrincipal,
    externalId: plan.externalId,
    externalIdSecretName: i.externalId.secretName,
    discoveryRole: {
      roleName: dr.name,
      path: dr.path,
      accountId: dr.accountId,
      maxSessionDuration: dr.maxSessionDuration,
      permissionsBoundary: dr.permissionsBoundary,
      // Already merged over the integration's tags: merging again over `tags` below changes nothing, not even the order.
      tags: dr.tags,
      policy: discoveryRolePolicy(i),
    },
    memberRole: {
      roleName: mr.name,
      path: mr.path,
      managedPolicyArns: mr.policyArns,
      addDescribeOrganization: mr.addDescribeOrganization,
      denyDataReads: mr.denyDataReads,
      maxSessionDuration: mr.maxSessionDuration,
      permissionsBoundary: mr.permissionsBoundary,
      tags: mr.tags,
    },
    stackSet: {
      name: i.stackSet.name,
      retainStacksOnAccountRemoval: i.stackSet.retainStacksOnAccountRemoval,
      maxConcurrentPercentage: i.stackSet.maxConcurrentPercentage,
      failureTolerancePercentage: i.stackSet.failureTolerancePercentage,
      directAccessRoleName: i.stackSet.directAccessRoleName,
    },
    organizationalUnitIds: plan.targets.kind === "root-lookup" ? undefined : plan.targets.ids,
    managementAccountRole: plan.managementRole,
    directAccounts: plan.directAccounts,
    tags: i.tags,
  };
}
