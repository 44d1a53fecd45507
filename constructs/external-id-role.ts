import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import type { TerraformProvider } from "cdktf";
import type { Construct } from "constructs";
import { externalIdTrustPolicy } from "./member-role-policy";
import type { PropsChecker } from "./validate";

/** An IAM role that one principal may assume only with the external ID: the discovery role and the member role. */
export interface ExternalIdRoleDefinition {
  /** IAM role name (1-64 of letters, digits and + = , . @ _ -), e.g. the consumer preset's "backstage-org-discovery". Required. */
  readonly roleName: string;
  /**
   * IAM path; begins and ends with "/".
   * @default "/"
   */
  readonly path?: string;
  /** ARN of the principal allowed to assume the role: the consumer's own role or account root. Required. */
  readonly trustedPrincipal: string;
  /** External ID the principal must pass (sts:ExternalId, StringEquals): a literal or a Terraform expression (ExternalIdSecret.value). Required. */
  readonly externalId: string;
  /**
   * Maximum session duration in seconds, 3600-43200.
   * @default 3600
   */
  readonly maxSessionDuration?: number;
  /**
   * ARN of a permissions boundary policy.
   * @default no boundary
   */
  readonly permissionsBoundary?: string;
  /**
   * Tags on the role (at most 50).
   * @default none
   */
  readonly tags?: Record<string, string>;
}

/** Validates a definition, naming each prop under `prefix` (e.g. "role."). */
export function checkExternalIdRole(check: PropsChecker, d: ExternalIdRoleDefinition, prefix = ""): void {
  check.roleName(`${prefix}roleName`, d.roleName);
  check.iamPath(`${prefix}path`, d.path);
  check.principal(`${prefix}trustedPrincipal`, d.trustedPrincipal);
  check.externalId(`${prefix}externalId`, d.externalId);
  check.sessionDuration(`${prefix}maxSessionDuration`, d.maxSessionDuration);
  check.arn(`${prefix}permissionsBoundary`, d.permissionsBoundary);
  check.tags(`${prefix}tags`, d.tags);
}

/** Creates the role (Terraform name `logicalId`) with the external-ID trust policy. */
export function createExternalIdRole(
  scope: Construct,
  logicalId: string,
  d: ExternalIdRoleDefinition,
  description: string,
  provider?: TerraformProvider,
): IamRole {
  const role = new IamRole(scope, "role", {
    provider,
    name: d.roleName,
    path: d.path ?? "/",
    description,
    assumeRolePolicy: JSON.stringify(externalIdTrustPolicy(d.trustedPrincipal, d.externalId)),
    maxSessionDuration: d.maxSessionDuration ?? 3600,
    permissionsBoundary: d.permissionsBoundary,
    tags: d.tags && Object.keys(d.tags).length ? d.tags : undefined,
  });
  role.overrideLogicalId(logicalId);
  return role;
}
