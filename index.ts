/**
 * orgtrust as a construct library for your own cdktf app:
 *
 *   import { IntegrationStack } from "orgtrust";
 *   new IntegrationStack(app, "backstage", { homeRegion: "us-east-1", managementAccountId: "111122223333", trustedPrincipal: "arn:aws:iam::444455556666:role/backstage" });
 *
 * Every construct takes plain props (no orgtrust.yaml, no snapshot) and validates them in its constructor (an
 * InputError naming the prop). This entry point loads the constructs and their policy data only: not the CLI, not the
 * config loader, and provider resources by deep path (never the @cdktf/provider-aws index, which loads 2,212 modules).
 * `cdktf` and `constructs` are peer dependencies: your app's own copies are the ones used.
 */
export { DiscoveryRole, type DiscoveryRoleProps } from "./constructs/discovery-role";
export type { ExternalIdRoleDefinition } from "./constructs/external-id-role";
export {
  EXTERNAL_ID_SPECIALS,
  ExternalIdSecret,
  type ExternalIdSecretProps,
  type ExternalIdSource,
} from "./constructs/external-id-secret";
export {
  IntegrationStack,
  MANAGEMENT_ROLE_VARIABLE,
  REQUIRED_TERRAFORM,
  type IntegrationDiscoveryRoleOptions,
  type IntegrationMemberRoleOptions,
  type IntegrationStackProps,
  type IntegrationStackSetOptions,
} from "./constructs/integration-stack";
export {
  DirectMemberRole,
  DirectMemberRoles,
  ManagementAccountRole,
  type DirectAccountRole,
  type DirectMemberRoleDefinition,
  type DirectMemberRoleProps,
  type DirectMemberRolesProps,
  type ManagementAccountRoleProps,
  type ManagementRoleDefinition,
} from "./constructs/direct-member-role";
export {
  DATA_READ_ACTIONS,
  DISCOVERY_ACTIONS,
  DISCOVERY_POLICY_NAME,
  MEMBER_INLINE_POLICY_NAME,
  ORGANIZATIONS_READ_ACTIONS,
  ROLE_READ_ACTIONS,
  STACKSET_READ_ACTIONS,
  externalIdTrustPolicy,
  memberRoleTemplateBody,
  type PolicyDocument,
  type PolicyStatement,
} from "./constructs/member-role-policy";
export { MemberRoleStackSet, type MemberRoleStackSetProps } from "./constructs/member-role-stack-set";
export { InputError, OrgtrustError } from "./common/errors";
