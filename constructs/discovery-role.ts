import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { DISCOVERY_POLICY_NAME, externalIdTrustPolicy, type PolicyDocument } from "./member-role-policy";
import { PropsChecker, snakeId, writeActions } from "./validate";

export interface DiscoveryRoleProps {
  /** IAM role name (1-64 of letters, digits and + = , . @ _ -), e.g. the consumer preset's "backstage-org-discovery". */
  readonly roleName: string;
  /** IAM path; begins and ends with "/". Default "/". */
  readonly path?: string;
  /** ARN of the principal allowed to assume the role: the consumer's own role or account root. */
  readonly trustedPrincipal: string;
  /** External ID the principal must pass (sts:ExternalId, StringEquals): a literal or a Terraform expression. */
  readonly externalId: string;
  /** The inline permissions (discoveryRolePolicy): read-only; any write action or wildcard is refused. */
  readonly policy: PolicyDocument;
  /** Maximum session duration in seconds, 3600-43200. Default 3600. */
  readonly maxSessionDuration?: number;
  /** ARN of a permissions boundary policy. Default none. */
  readonly permissionsBoundary?: string;
  /** Tags on the role (at most 50). */
  readonly tags?: Record<string, string>;
  /** Provider for the account that holds the role (management or delegated administrator). Default the stack's. */
  readonly provider?: TerraformProvider;
}

/**
 * The discovery role, in the management account or the delegated administrator: the trusted principal assumes it
 * (with the external ID) to read the organization and the member-role StackSet. Terraform names:
 * `<id>` (aws_iam_role) and `<id>_policy` (aws_iam_role_policy DISCOVERY_POLICY_NAME).
 */
export class DiscoveryRole extends Construct {
  readonly role: IamRole;
  readonly rolePolicy: IamRolePolicy;
  /** The role's ARN (a Terraform reference). */
  readonly roleArn: string;
  /** The role's name (a Terraform reference, so dependants wait for the role). */
  readonly roleName: string;

  constructor(scope: Construct, id: string, props: DiscoveryRoleProps) {
    super(scope, id);
    const check = new PropsChecker("DiscoveryRole");
    check.roleName("roleName", props.roleName);
    check.iamPath("path", props.path);
    check.principal("trustedPrincipal", props.trustedPrincipal);
    check.externalId("externalId", props.externalId);
    check.policy("policy", props.policy);
    const writes = writeActions(props.policy);
    if (writes.length) check.fail("policy", `grants ${writes.join(", ")}; the discovery role must stay read-only`);
    check.sessionDuration("maxSessionDuration", props.maxSessionDuration);
    check.arn("permissionsBoundary", props.permissionsBoundary);
    check.tags("tags", props.tags);

    const base = snakeId(id);
    this.role = new IamRole(this, "role", {
      provider: props.provider,
      name: props.roleName,
      path: props.path ?? "/",
      description: "orgtrust discovery role: reads the organization and the member-role StackSet",
      assumeRolePolicy: JSON.stringify(externalIdTrustPolicy(props.trustedPrincipal, props.externalId)),
      maxSessionDuration: props.maxSessionDuration ?? 3600,
      permissionsBoundary: props.permissionsBoundary,
      tags: props.tags && Object.keys(props.tags).length ? props.tags : undefined,
    });
    this.role.overrideLogicalId(base);
    this.rolePolicy = new IamRolePolicy(this, "policy", {
      provider: props.provider,
      name: DISCOVERY_POLICY_NAME,
      role: this.role.name,
      policy: JSON.stringify(props.policy),
    });
    this.rolePolicy.overrideLogicalId(`${base}_policy`);
    this.roleArn = this.role.arn;
    this.roleName = this.role.name;
  }
}
