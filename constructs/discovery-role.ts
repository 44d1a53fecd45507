import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { checkExternalIdRole, createExternalIdRole, type ExternalIdRoleDefinition } from "./external-id-role";
import { DISCOVERY_POLICY_NAME, ORGANIZATIONS_READ_ACTIONS, type PolicyDocument } from "./member-role-policy";
import { PropsChecker, snakeId, writeActions } from "./validate";

export interface DiscoveryRoleProps extends ExternalIdRoleDefinition {
  /**
   * The inline permissions: read-only; any write action or wildcard is refused. IntegrationStack passes the
   * integration's whole discovery policy (the Organizations reads, its StackSet and its roles).
   * @default the Organizations reads `orgtrust discover` makes (ORGANIZATIONS_READ_ACTIONS) on "*"
   */
  readonly policy?: PolicyDocument;
  /**
   * Provider for the account that holds the role (management or delegated administrator).
   * @default the stack's default AWS provider
   */
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
    checkExternalIdRole(check, props);
    const policy: PolicyDocument = props.policy ?? {
      Version: "2012-10-17",
      Statement: [{ Sid: "ReadOrganization", Effect: "Allow", Action: [...ORGANIZATIONS_READ_ACTIONS], Resource: "*" }],
    };
    check.policy("policy", policy);
    const writes = writeActions(policy);
    if (writes.length) check.fail("policy", `grants ${writes.join(", ")}; the discovery role must stay read-only`);

    const base = snakeId(id);
    this.role = createExternalIdRole(
      this,
      base,
      props,
      "orgtrust discovery role: reads the organization and the member-role StackSet",
      props.provider,
    );
    this.rolePolicy = new IamRolePolicy(this, "policy", {
      provider: props.provider,
      name: DISCOVERY_POLICY_NAME,
      role: this.role.name,
      policy: JSON.stringify(policy),
    });
    this.rolePolicy.overrideLogicalId(`${base}_policy`);
    this.roleArn = this.role.arn;
    this.roleName = this.role.name;
  }
}
