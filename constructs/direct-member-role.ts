import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { DefaultTokenResolver, StringConcat, TerraformElement, Tokenization, type TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { checkExternalIdRole, createExternalIdRole, type ExternalIdRoleDefinition } from "./external-id-role";
import { externalIdTrustPolicy, MEMBER_INLINE_POLICY_NAME, type PolicyDocument } from "./member-role-policy";
import { PropsChecker, snakeId } from "./validate";

/**
 * The member role's own definition, used when the construct creates the role. Its roleName is the member role's
 * name, so consumers find it in that account like everywhere else.
 */
export type DirectMemberRoleDefinition = ExternalIdRoleDefinition;

export interface DirectMemberRoleProps {
  /**
   * The role to create. Leave it out and set `attachTo` instead when the member role and the discovery role share
   * one name in the management account (Port Ocean): the discovery role then also carries the member policies.
   * @default none (then attachTo is required)
   */
  readonly role?: DirectMemberRoleDefinition;
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
   * Provider for the account the role is created in (the management account, or a member account).
   * @default the stack's default AWS provider
   */
  readonly provider?: TerraformProvider;
}

const DEFAULT_DESCRIPTION = "orgtrust member role in the management account (StackSets never deploy there)";

function checkMemberPolicies(
  check: PropsChecker,
  managedPolicyArns: string[],
  inlinePolicy: PolicyDocument | undefined,
): void {
  if (!Array.isArray(managedPolicyArns) || managedPolicyArns.length < 1 || managedPolicyArns.length > 20) {
    check.fail("managedPolicyArns", "must list 1-20 managed policy ARNs");
  }
  managedPolicyArns.forEach((a, i) => check.arn(`managedPolicyArns[${i}]`, a));
  if (new Set(managedPolicyArns).size !== managedPolicyArns.length)
    check.fail("managedPolicyArns", "lists a policy twice");
  check.policy("inlinePolicy", inlinePolicy);
}

/**
 * The member role created directly in one account, outside the StackSet: in the management account (service-managed
 * StackSets never deploy there) and in member accounts no StackSet target can reach (IntegrationStack's
 * directAccounts, each with that account's aliased provider and its own description). The same role as the
 * StackSet's (trust, managed policies, inline policy, session length, boundary, tags). Terraform names: `<id>`
 * (aws_iam_role), `<id>_policy_<n>` (attachments), `<id>_inline` (aws_iam_role_policy).
 */
export class DirectMemberRole extends Construct {
  /** The role's ARN (a Terraform reference). */
  readonly roleArn: string;
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: DirectMemberRoleProps) {
    super(scope, id);
    const check = new PropsChecker("DirectMemberRole");
    if (!props.role === !props.attachTo) check.fail("role", "give exactly one of role and attachTo");
    if (props.role) {
      checkExternalIdRole(check, props.role, "role.");
    }
    checkMemberPolicies(check, props.managedPolicyArns, props.inlinePolicy);

    const base = snakeId(id);
    if (props.role) {
      this.role = createExternalIdRole(
        this,
        base,
        props.role,
        props.description ?? DEFAULT_DESCRIPTION,
        props.provider,
      );
    } else {
      this.role = props.attachTo!;
    }
    props.managedPolicyArns.forEach((policyArn, i) => {
      const att = new IamRolePolicyAttachment(this, `policy-${i}`, {
        provider: props.provider,
        role: this.role.name,
        policyArn,
      });
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

/** @deprecated renamed DirectMemberRole (it creates the member role directly in any one account, not only the management account). */
export const ManagementAccountRole = DirectMemberRole;
/** @deprecated renamed DirectMemberRole. */
export type ManagementAccountRole = DirectMemberRole;
/** @deprecated renamed DirectMemberRoleProps. */
export type ManagementAccountRoleProps = DirectMemberRoleProps;
/** @deprecated renamed DirectMemberRoleDefinition. */
export type ManagementRoleDefinition = DirectMemberRoleDefinition;

/** One account of DirectMemberRoles: how Terraform reaches it, and the role's definition there. */
export interface DirectAccountRole {
  /** The account's 12-digit id. */
  readonly accountId: string;
  /** The aliased provider's region. */
  readonly region: string;
  /** The provider's assume_role chain, applied in order. */
  readonly assumeRoles: ReadonlyArray<{ readonly roleArn: string; readonly sessionName: string }>;
  /** The role (its permissions boundary resolved for this account). */
  readonly role: DirectMemberRoleDefinition;
  readonly description: string;
}

export interface DirectMemberRolesProps {
  readonly accounts: readonly DirectAccountRole[];
  /** Managed policy ARNs to attach in every account, in order (1-20). */
  readonly managedPolicyArns: string[];
  /** @default no inline policy */
  readonly inlinePolicy?: PolicyDocument;
}

/** The Terraform names DirectMemberRoles writes for one account (the names one DirectMemberRole per account gives). */
export const directRoleId = (accountId: string): string => `direct_role_${accountId}`;
export const directProviderAlias = (accountId: string): string => `account_${accountId}`;

/**
 * The member role created directly in many accounts, each through its own aliased provider `aws.account_<id>`:
 * exactly the Terraform one `AwsProvider` (`aws_account_<id>`) and one DirectMemberRole (`direct_role_<id>`) per
 * account write, in the same order, written as one plain fragment instead of four constructs per account (a
 * 5,000-account org with badly placed exclusions gives thousands of them per stack, and cdktf's per-construct cost
 * and its three resolving passes over every value dominated synth).
 *
 * The fragment is not part of the element's own toTerraform() (which cdktf resolves value by value): the stack that
 * holds it merges terraformFragment() into its document after cdktf's pass, at the end of the provider list and of
 * each resource type, where the constructs it stands for sat (IntegrationStack creates it after everything but the
 * outputs). Its only Terraform references are resolved once here. Not for an app synthesized with cdktf's hclOutput
 * (IntegrationStack then creates the constructs themselves).
 */
export class DirectMemberRoles extends TerraformElement {
  readonly accounts: readonly string[];
  private readonly props: DirectMemberRolesProps;

  constructor(scope: Construct, id: string, props: DirectMemberRolesProps) {
    super(scope, id);
    const check = new PropsChecker("DirectMemberRoles");
    checkMemberPolicies(check, props.managedPolicyArns, props.inlinePolicy);
    props.accounts.forEach((a, i) => checkExternalIdRole(check, a.role, `accounts[${i}].role.`));
    this.props = props;
    this.accounts = props.accounts.map((a) => a.accountId);
  }

  /** The ARN of the member role in one of the accounts (a Terraform reference). */
  roleArn(accountId: string): string {
    if (!this.accounts.includes(accountId)) throw new Error(`DirectMemberRoles: no role for account ${accountId}`);
    return `\${aws_iam_role.${directRoleId(accountId)}.arn}`;
  }

  /** The resources and providers, fully resolved, to merge into the stack's Terraform document (see the class comment). */
  terraformFragment(): { provider: { aws: unknown[] }; resource: Record<string, Record<string, unknown>> } | undefined {
    const { managedPolicyArns, inlinePolicy } = this.props;
    const resolved = new Map<string, string>();
    const resolver = new DefaultTokenResolver(new StringConcat());
    /** A string that may hold a token (the external ID, the management-account role variable), resolved once per value. */
    const str = (v: string): string => {
      let r = resolved.get(v);
      if (r === undefined) {
        r = Tokenization.resolve(v, { scope: this, preparing: false, resolver }) as string;
        resolved.set(v, r);
      }
      return r;
    };
    const inline = inlinePolicy ? JSON.stringify(inlinePolicy) : undefined;
    // Constructs would sit beside this element, under its scope: their metadata paths say so.
    const scopePath = this.node.scope!.node.path;
    const providers: unknown[] = [];
    const roles: Record<string, unknown> = {};
    const attachments: Record<string, unknown> = {};
    const inlines: Record<string, unknown> = {};
    const metadata = (at: string, uniqueId: string) => ({ metadata: { path: at, uniqueId } });
    for (const a of this.props.accounts) {
      const alias = directProviderAlias(a.accountId);
      const provider = `aws.${alias}`;
      const base = directRoleId(a.accountId);
      const at = `${scopePath ? `${scopePath}/` : ""}${base}`;
      // Keys in the order cdktf's document has them (test/unit/constructs.test.ts compares): attributes, meta-arguments, blocks, "//".
      providers.push({
        allowed_account_ids: [a.accountId],
        region: a.region,
        alias,
        assume_role: a.assumeRoles.map((r) => ({ role_arn: str(r.roleArn), session_name: r.sessionName })),
      });
      const d = a.role;
      roles[base] = {
        assume_role_policy: JSON.stringify(externalIdTrustPolicy(d.trustedPrincipal, str(d.externalId))),
        description: a.description,
        max_session_duration: d.maxSessionDuration ?? 3600,
        name: d.roleName,
        path: d.path ?? "/",
        ...(d.permissionsBoundary !== undefined ? { permissions_boundary: d.permissionsBoundary } : {}),
        ...(d.tags && Object.keys(d.tags).length ? { tags: { ...d.tags } } : {}),
        provider,
        "//": metadata(`${at}/role`, base),
      };
      const roleName = `\${aws_iam_role.${base}.name}`;
      managedPolicyArns.forEach((policyArn, i) => {
        attachments[`${base}_policy_${i}`] = {
          policy_arn: policyArn,
          role: roleName,
          provider,
          "//": metadata(`${at}/policy-${i}`, `${base}_policy_${i}`),
        };
      });
      if (inline !== undefined) {
        inlines[`${base}_inline`] = {
          name: MEMBER_INLINE_POLICY_NAME,
          policy: inline,
          role: roleName,
          provider,
          "//": metadata(`${at}/inline`, `${base}_inline`),
        };
      }
    }
    if (!providers.length) return undefined;
    return {
      provider: { aws: providers },
      resource: {
        aws_iam_role: roles,
        aws_iam_role_policy_attachment: attachments,
        ...(inline !== undefined ? { aws_iam_role_policy: inlines } : {}),
      },
    };
  }
}
