import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import type { TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { checkExternalIdRole, createExternalIdRole, type ExternalIdRoleDefinition } from "./external-id-role";
import { MEMBER_INLINE_POLICY_NAME, type PolicyDocument } from "./member-role-policy";
import { PropsChecker, snakeId } from "./validate";

/**
 * The member role's own definition, used when the construct creates the role. Its roleName is the member role's
 * name, so consumers find it in the management account like everywhere else.
 */
export type ManagementRoleDefinition = ExternalIdRoleDefinition;

export interface ManagementAccountRoleProps {
  /**
   * The role to create. Leave it out and set `attachTo` instead when the member role and the discovery role share
   * one name in the management account (Port Ocean): the discovery role then also carries the member policies.
   * @default none (then attachTo is required)
   */
  readonly role?: ManagementRoleDefinition;
  /**
   * An existing role (the discovery role) to attach the member policies to instead of creating one.
   * @default none (then role is required)
   */
  readonly attachTo?: IamRole;
  /** Managed policy ARNs to attach, in order (1-20). Required. */
  readonly managedPolicyArns: string[];
  /**
   * The member inline policy (the StackSet template's DenyDataReads / AddDescribeOrganization statements).
   * @default no inline policy
   */
  readonly inlinePolicy?: PolicyDocument;
  /**
   * The role's description.
   * @default "orgtrust member role in the management account (StackSets never deploy there)"
   */
  readonly description?: string;
  /**
   * Provider for the management account (or the account the role is created in).
   * @default the stack's default AWS provider
   */
  readonly provider?: TerraformProvider;
}

/**
 * The member role in the management account. Service-managed StackSets never deploy there, so the same role
 * (trust, managed policies, inline policy, session length, boundary, tags) is created directly. Terraform names:
 * `<id>` (aws_iam_role), `<id>_policy_<n>` (attachments), `<id>_inline` (aws_iam_role_policy).
 *
 * The same construct creates the member role in member accounts no StackSet target can reach (IntegrationStack's
 * directAccounts), with that account's aliased provider and its own description.
 */
export class ManagementAccountRole extends Construct {
  /** The role's ARN (a Terraform reference). */
  readonly roleArn: string;
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: ManagementAccountRoleProps) {
    super(scope, id);
    const check = new PropsChecker("ManagementAccountRole");
    if (!props.role === !props.attachTo) check.fail("role", "give exactly one of role and attachTo");
    if (props.role) {
      checkExternalIdRole(check, props.role, "role.");
    }
    if (!Array.isArray(props.managedPolicyArns) || props.managedPolicyArns.length < 1 || props.managedPolicyArns.length > 20) {
      check.fail("managedPolicyArns", "must list 1-20 managed policy ARNs");
    }
    props.managedPolicyArns.forEach((a, i) => check.arn(`managedPolicyArns[${i}]`, a));
    if (new Set(props.managedPolicyArns).size !== props.managedPolicyArns.length) check.fail("managedPolicyArns", "lists a policy twice");
    check.policy("inlinePolicy", props.inlinePolicy);

    const base = snakeId(id);
    if (props.role) {
      this.role = createExternalIdRole(this, base, props.role, props.description ?? "orgtrust member role in the management account (StackSets never deploy there)", props.provider);
    } else {
      this.role = props.attachTo!;
    }
    props.managedPolicyArns.forEach((policyArn, i) => {
      const att = new IamRolePolicyAttachment(this, `policy-${i}`, { provider: props.provider, role: this.role.name, policyArn });
      att.overrideLogicalId(`${base}_policy_${i}`);
    });
    if (props.inlinePolicy) {
      const inline = new IamRolePolicy(this, "inline", {
        provider: props.provider,
        name: MEMBER_INLINE_POLICY_NAME,
        role: this.role.name,
        policy: JSON.stringify(props.inlinePolicy),
      });
      inline.overrideLogicalId(`${base}_inline`);
    }
    this.roleArn = this.role.arn;
  }
}
