import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import type { TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { MEMBER_INLINE_POLICY_NAME, externalIdTrustPolicy, type PolicyDocument } from "./member-role-policy";
import { PropsChecker, snakeId } from "./validate";

/** The member role's own definition, used when the construct creates the role. */
export interface ManagementRoleDefinition {
  /** IAM role name: the member role's name, so consumers find it in the management account like everywhere else. */
  readonly roleName: string;
  /** IAM path; begins and ends with "/". Default "/". */
  readonly path?: string;
  /** ARN of the principal allowed to assume the role. */
  readonly trustedPrincipal: string;
  /** External ID the principal must pass (sts:ExternalId, StringEquals): a literal or a Terraform expression. */
  readonly externalId: string;
  /** Maximum session duration in seconds, 3600-43200. Default 3600. */
  readonly maxSessionDuration?: number;
  /** ARN of a permissions boundary policy. Default none. */
  readonly permissionsBoundary?: string;
  /** Tags on the role (at most 50). */
  readonly tags?: Record<string, string>;
}

export interface ManagementAccountRoleProps {
  /**
   * The role to create. Leave it out and set `attachTo` instead when the member role and the discovery role share
   * one name in the management account (Port Ocean): the discovery role then also carries the member policies.
   */
  readonly role?: ManagementRoleDefinition;
  /** An existing role (the discovery role) to attach the member policies to instead of creating one. */
  readonly attachTo?: IamRole;
  /** Managed policy ARNs to attach, in order (1-20). */
  readonly managedPolicyArns: string[];
  /** The member inline policy (memberInlinePolicy), or undefined for none. */
  readonly inlinePolicy?: PolicyDocument;
  /** Provider for the management account. Default the stack's. */
  readonly provider?: TerraformProvider;
}

/**
 * The member role in the management account. Service-managed StackSets never deploy there, so the same role
 * (trust, managed policies, inline policy, session length, boundary, tags) is created directly. Terraform names:
 * `<id>` (aws_iam_role), `<id>_policy_<n>` (attachments), `<id>_inline` (aws_iam_role_policy).
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
      const r = props.role;
      check.roleName("role.roleName", r.roleName);
      check.iamPath("role.path", r.path);
      check.principal("role.trustedPrincipal", r.trustedPrincipal);
      check.externalId("role.externalId", r.externalId);
      check.sessionDuration("role.maxSessionDuration", r.maxSessionDuration);
      check.arn("role.permissionsBoundary", r.permissionsBoundary);
      check.tags("role.tags", r.tags);
    }
    if (!Array.isArray(props.managedPolicyArns) || props.managedPolicyArns.length < 1 || props.managedPolicyArns.length > 20) {
      check.fail("managedPolicyArns", "must list 1-20 managed policy ARNs");
    }
    props.managedPolicyArns.forEach((a, i) => check.arn(`managedPolicyArns[${i}]`, a));
    if (new Set(props.managedPolicyArns).size !== props.managedPolicyArns.length) check.fail("managedPolicyArns", "lists a policy twice");
    check.policy("inlinePolicy", props.inlinePolicy);

    const base = snakeId(id);
    if (props.role) {
      const r = props.role;
      this.role = new IamRole(this, "role", {
        provider: props.provider,
        name: r.roleName,
        path: r.path ?? "/",
        description: "orgtrust member role in the management account (StackSets never deploy there)",
        assumeRolePolicy: JSON.stringify(externalIdTrustPolicy(r.trustedPrincipal, r.externalId)),
        maxSessionDuration: r.maxSessionDuration ?? 3600,
        permissionsBoundary: r.permissionsBoundary,
        tags: r.tags && Object.keys(r.tags).length ? r.tags : undefined,
      });
      this.role.overrideLogicalId(base);
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
