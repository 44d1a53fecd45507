import { DataAwsOrganizationsOrganization } from "@cdktf/provider-aws/lib/data-aws-organizations-organization";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { App, LocalBackend, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import { InputError } from "../common/errors";
import { MANAGEMENT_ROLE_VARIABLE, externalIdOfStackSource } from "../common/external-id";
import {
  ACCOUNT_ID_RE,
  EACH_ACCOUNT,
  PARTITIONS,
  iamRoleArn,
  managedPolicyArn,
  policyArnAccount,
  type Partition,
} from "../common/ids";
import type { ResolvedIntegration } from "../config/resolve";
import { DiscoveryRole } from "./discovery-role";
import { ExternalIdSecret, type ExternalIdSource } from "./external-id-secret";
import {
  DirectMemberRole,
  DirectMemberRoles,
  directProviderAlias,
  directRoleId,
  type DirectAccountRole,
  type DirectMemberRoleDefinition,
} from "./direct-member-role";
import {
  discoveryRolePolicy,
  memberBoundaryIn,
  type PolicyDocument,
  memberInlinePolicy,
  memberRoleIsDiscoveryRole,
  memberRoleParameters,
  memberRoleTemplateBody,
} from "./member-role-policy";
import { MemberRoleStackSet } from "./member-role-stack-set";
import { PropsChecker } from "./validate";

/** What the member-role StackSet targets. */
export type StackSetTargets =
  /** OU / root ids computed from a snapshot (computeOuCover().targets); may be empty. */
  | { kind: "organizational-units"; ids: string[] }
  /** No snapshot and no exclusions: the organization's root, looked up at apply time (data aws_organizations_organization). */
  | { kind: "root-lookup" };

/** The discovery role of an IntegrationStack. */
export interface IntegrationDiscoveryRoleOptions {
  /**
   * IAM role name (1-64 of letters, digits and + = , . @ _ -), e.g. "backstage-org-discovery".
   * @default "orgtrust-<stack id>-discovery"
   */
  readonly roleName?: string;
  /**
   * IAM path; begins and ends with "/".
   * @default "/"
   */
  readonly path?: string;
  /**
   * The account that holds the role and runs the stack: the management account, or the organization's delegated
   * administrator for CloudFormation StackSets (the StackSet is then created with call_as DELEGATED_ADMIN, and the
   * management-account role through a second provider that assumes the `management_account_role_arn` variable).
   * @default managementAccountId
   */
  readonly accountId?: string;
  /**
   * Maximum session duration in seconds, 3600-43200.
   * @default 3600
   */
  readonly maxSessionDuration?: number;
  /**
   * ARN of a permissions boundary policy: AWS managed, or a policy of the account that holds the role.
   * @default no boundary
   */
  readonly permissionsBoundary?: string;
  /**
   * Tags on the role, over the stack's `tags` (at most 50).
   * @default the stack's tags
   */
  readonly tags?: Record<string, string>;
  /**
   * The role's inline permissions. Read-only: any write action or wildcard is refused.
   * @default orgtrust's reads: the Organizations calls `orgtrust discover` makes, read access to this stack's
   * member-role StackSet, and read access to the discovery role and the management-account member role
   */
  readonly policy?: PolicyDocument;
}

/** The member role of an IntegrationStack: the role the StackSet creates in every targeted account, and the management-account copy. */
export interface IntegrationMemberRoleOptions {
  /**
   * IAM role name (1-64 of letters, digits and + = , . @ _ -), the same in every account, e.g. "backstage-org-readonly".
   * Equal to the discovery role's name (Port Ocean), the discovery role is the member role in the management account.
   * @default "orgtrust-<stack id>-readonly"
   */
  readonly roleName?: string;
  /**
   * IAM path; begins and ends with "/".
   * @default "/"
   */
  readonly path?: string;
  /**
   * AWS managed policy ARNs to attach, in order (1-20), e.g. "arn:aws:iam::aws:policy/SecurityAudit". The StackSet
   * attaches the same ARNs in every account, so customer managed policies cannot work: narrow access with
   * permissionsBoundary or denyDataReads instead.
   * @default ["arn:<partition>:iam::aws:policy/ReadOnlyAccess"]
   */
  readonly managedPolicyArns?: string[];
  /**
   * Add organizations:DescribeOrganization inline (ViewOnlyAccess lacks it).
   * @default false
   */
  readonly addDescribeOrganization?: boolean;
  /**
   * Add an explicit deny of data-plane reads (object and item contents, messages, log events, parameter and secret values).
   * @default false
   */
  readonly denyDataReads?: boolean;
  /**
   * Maximum session duration in seconds, 3600-43200.
   * @default 3600
   */
  readonly maxSessionDuration?: number;
  /**
   * ARN of a permissions boundary policy: AWS managed, or with the account part `${AWS::AccountId}` a policy of that
   * name in every account (the StackSet template resolves it per account).
   * @default no boundary
   */
  readonly permissionsBoundary?: string;
  /**
   * Tags on the roles and the StackSet, over the stack's `tags` (at most 50).
   * @default the stack's tags
   */
  readonly tags?: Record<string, string>;
}

/** The member-role StackSet of an IntegrationStack. */
export interface IntegrationStackSetOptions {
  /**
   * StackSet name: starts with a letter, then letters, digits and - (at most 128).
   * @default "orgtrust-<stack id>-member-role"
   */
  readonly name?: string;
  /**
   * Keep member stacks (and roles) when an account leaves a targeted OU.
   * @default false
   */
  readonly retainStacksOnAccountRemoval?: boolean;
  /**
   * Accounts deployed to at once, as a percentage (1-100).
   * @default 25
   */
  readonly maxConcurrentPercentage?: number;
  /**
   * Failures tolerated before an operation stops, as a percentage (0-100).
   * @default 0
   */
  readonly failureTolerancePercentage?: number;
  /**
   * The role Terraform assumes in each of `directAccounts` to create the member role there.
   * @default "OrganizationAccountAccessRole"
   */
  readonly directAccessRoleName?: string;
}

/**
 * Everything one integration needs, as plain values: a user's own cdktf app writes these by hand (`orgtrust synth`
 * fills them in from orgtrust.yaml and the org snapshot, synth/stack-props.ts).
 */
export interface IntegrationStackProps {
  /**
   * AWS partition of every account and ARN.
   * @default "aws"
   */
  readonly partition?: Partition;
  /** The organization's home region (e.g. "us-east-1"): the provider's region, the secret's and the stack instances'. Required. */
  readonly homeRegion: string;
  /** The management account's 12-digit id. Required. */
  readonly managementAccountId: string;
  /** ARN of the principal allowed to assume the roles: the consumer's own role or account root. Required. */
  readonly trustedPrincipal: string;
  /**
   * Where the external ID comes from: generated at apply time, a vendor-issued literal, or a sensitive Terraform input variable.
   * @default { kind: "generate", length: 40, alphanumeric: false }
   */
  readonly externalId?: ExternalIdSource;
  /**
   * Secrets Manager secret (home region) that keeps the external ID.
   * @default "orgtrust/<stack id>/external-id"
   */
  readonly externalIdSecretName?: string;
  /**
   * The discovery role.
   * @default all of IntegrationDiscoveryRoleOptions' defaults
   */
  readonly discoveryRole?: IntegrationDiscoveryRoleOptions;
  /**
   * The member role.
   * @default all of IntegrationMemberRoleOptions' defaults
   */
  readonly memberRole?: IntegrationMemberRoleOptions;
  /**
   * The member-role StackSet.
   * @default all of IntegrationStackSetOptions' defaults
   */
  readonly stackSet?: IntegrationStackSetOptions;
  /**
   * OU or root ids the StackSet targets (its whole subtree gets the member role, and accounts that join it later).
   * An empty list creates the StackSet with no instances.
   * @default the organization's root, looked up at apply time (data aws_organizations_organization)
   */
  readonly organizationalUnitIds?: string[];
  /**
   * Create the member role in the management account (StackSets never deploy there).
   * @default true
   */
  readonly managementAccountRole?: boolean;
  /**
   * Member accounts (12-digit ids) that get the member role directly: no StackSet target can reach them. Each gets
   * an aliased provider `aws.account_<id>` that assumes stackSet.directAccessRoleName there.
   * @default none
   */
  readonly directAccounts?: string[];
  /**
   * Tags on every resource that takes tags: the secret, the roles and the StackSet (at most 50).
   * @default none
   */
  readonly tags?: Record<string, string>;
  /**
   * Local backend state file, relative to the stack directory.
   * @default "terraform.<stack id>.tfstate"
   */
  readonly backendPath?: string;
}

/** Terraform versions the stacks need (write-only arguments arrived in 1.11). */
export const REQUIRED_TERRAFORM = ">= 1.11.0";

/** The Terraform variable that says how to reach the management account when the stack runs in the delegated admin. */
export { MANAGEMENT_ROLE_VARIABLE };

/**
 * One integration's infrastructure: the external-ID secret, the discovery role, the member-role StackSet and the
 * member role in the management account, with a local backend at a relative path (identical on every machine).
 *
 * Accounts: everything is created with the default provider in the account that holds the discovery role (the
 * management account, or the delegated administrator; `allowed_account_ids` pins it). When that is the delegated
 * administrator, the management-account role uses a second provider (`aws.management`) that assumes the role given in
 * the `management_account_role_arn` variable.
 *
 * Accounts no OU target can reach (props.directAccounts) get the member role directly, each through an aliased
 * provider `aws.account_<id>` (`allowed_account_ids = [<id>]`) that assumes stackSet.directAccessRoleName
 * (OrganizationAccountAccessRole) in that account. That role trusts the management account, so the provider starts
 * from management-account credentials: the stack's own with a management-account discovery role; with a delegated
 * administrator, the chain first assumes `management_account_role_arn` (exactly what `aws.management` assumes),
 * then the access role (two assume_role blocks, applied in order).
 *
 * Roles sharing a name (Port Ocean: member role name = discovery role name): in the management account the discovery
 * role is the member role, so it also gets the member policies instead of a second role of the same name.
 */
/** The parts of a synthesized stack document the direct roles' fragment is merged into. */
export interface TerraformDocument extends Record<string, unknown> {
  provider?: { aws?: unknown[] } & Record<string, unknown>;
  resource?: Record<string, Record<string, unknown>>;
}

export class IntegrationStack extends TerraformStack {
  readonly discoveryRole: DiscoveryRole;
  readonly externalIdSecret: ExternalIdSecret;
  readonly memberRoleStackSet: MemberRoleStackSet;
  readonly managementAccountRole?: DirectMemberRole;
  /**
   * The member role in each account of props.directAccounts (one element for them all; DirectMemberRoles.roleArn(id)
   * gives one account's role). Undefined without directAccounts, or when the app writes cdktf's HCL (hclOutput): the
   * roles are then one DirectMemberRole construct each, `direct_role_<id>`.
   */
  readonly directRoles?: DirectMemberRoles;

  private readonly integ: ResolvedIntegration;
  private readonly check: PropsChecker;
  /** The external ID as the stack's resources see it (a Terraform reference or a literal). */
  private readonly externalId: string;
  private managementRoleArn?: TerraformVariable;

  constructor(scope: Construct, id: string, props: IntegrationStackProps) {
    super(scope, id);
    const check = new PropsChecker(`IntegrationStack "${id}"`);
    const { integ, externalIdSource, targets, discoveryPolicy } = resolveProps(id, props, check);
    this.integ = integ;
    this.check = check;
    const backendPath = props.backendPath ?? `terraform.${integ.name}.tfstate`;
    checkBackendPath(check, backendPath);
    checkSharedRoleName(check, integ);

    new LocalBackend(this, { path: backendPath });
    // secret_string_wo is a write-only argument: Terraform 1.11 or later.
    this.addOverride("terraform.required_version", REQUIRED_TERRAFORM);
    // The default provider: resources below leave `provider` unset to use it.
    new AwsProvider(this, "aws", { region: integ.homeRegion, allowedAccountIds: [integ.discoveryRole.accountId] });
    if (externalIdSource.kind === "generate") new RandomProvider(this, "random");

    this.externalIdSecret = new ExternalIdSecret(this, "external_id_secret", {
      secretName: integ.externalId.secretName,
      source: externalIdSource,
      tags: integ.tags,
    });
    this.externalId = this.externalIdSecret.value;
    this.discoveryRole = this.createDiscoveryRole(discoveryPolicy);
    this.memberRoleStackSet = this.createStackSet(targets);
    if (props.managementAccountRole ?? true) this.managementAccountRole = this.createManagementRole();
    this.directRoles = this.createDirectRoles(props.directAccounts ?? []);
    this.createOutputs();
  }

  /** cdktf's document, with the direct roles' fragment (DirectMemberRoles) appended where their constructs would sit. */
  override toTerraform(): TerraformDocument {
    const tf = super.toTerraform() as TerraformDocument;
    const fragment = this.directRoles?.terraformFragment();
    if (fragment) {
      const providers = (tf.provider ??= {});
      providers.aws = [...(providers.aws ?? []), ...fragment.provider.aws];
      const resources = (tf.resource ??= {});
      for (const [type, byName] of Object.entries(fragment.resource))
        resources[type] = { ...resources[type], ...byName };
    }
    return tf;
  }

  /** True when the discovery role sits in the delegated administrator, not in the management account. */
  private get delegated(): boolean {
    return this.integ.discoveryRole.accountId !== this.integ.managementAccountId;
  }

  /** The variable naming the role Terraform assumes to reach the management account (created on first use). */
  private managementRoleVariable(): TerraformVariable {
    return (this.managementRoleArn ??= new TerraformVariable(this, MANAGEMENT_ROLE_VARIABLE, {
      type: "string",
      description: `ARN of a role in the management account ${this.integ.managementAccountId} that Terraform assumes to create the member roles there and in accounts no StackSet target reaches (the delegated administrator cannot)`,
    }));
  }

  /** The member role created directly in one account (its boundary resolved for that account). */
  private memberRoleDefinition(accountId: string): DirectMemberRoleDefinition {
    const mr = this.integ.memberRole;
    return {
      roleName: mr.name,
      path: mr.path,
      trustedPrincipal: this.integ.trustedPrincipal,
      externalId: this.externalId,
      maxSessionDuration: mr.maxSessionDuration,
      permissionsBoundary: memberBoundaryIn(this.integ, accountId),
      tags: mr.tags,
    };
  }

  private createDiscoveryRole(policy: PolicyDocument | undefined): DiscoveryRole {
    const dr = this.integ.discoveryRole;
    return new DiscoveryRole(this, "discovery_role", {
      roleName: dr.name,
      path: dr.path,
      trustedPrincipal: this.integ.trustedPrincipal,
      externalId: this.externalId,
      policy: policy ?? discoveryRolePolicy(this.integ),
      maxSessionDuration: dr.maxSessionDuration,
      permissionsBoundary: dr.permissionsBoundary,
      tags: dr.tags,
    });
  }

  private createStackSet(stackTargets: StackSetTargets): MemberRoleStackSet {
    const integ = this.integ;
    let targets: string[];
    if (stackTargets.kind === "root-lookup") {
      const org = new DataAwsOrganizationsOrganization(this, "organization", {});
      targets = [org.roots.get(0).id];
    } else {
      targets = stackTargets.ids;
    }
    return new MemberRoleStackSet(this, "member_role", {
      stackSetName: integ.stackSet.name,
      templateBody: memberRoleTemplateBody(),
      parameters: memberRoleParameters(integ, this.externalId),
      region: integ.homeRegion,
      organizationalUnitIds: targets,
      callAs: integ.stackSet.callAs,
      retainStacksOnAccountRemoval: integ.stackSet.retainStacksOnAccountRemoval,
      maxConcurrentPercentage: integ.stackSet.maxConcurrentPercentage,
      failureTolerancePercentage: integ.stackSet.failureTolerancePercentage,
      tags: integ.memberRole.tags,
    });
  }

  /** The member role in the management account (through `aws.management` when the stack runs in the delegated administrator). */
  private createManagementRole(): DirectMemberRole {
    const integ = this.integ;
    let provider: AwsProvider | undefined;
    if (this.delegated) {
      provider = new AwsProvider(this, "aws_management", {
        alias: "management",
        region: integ.homeRegion,
        allowedAccountIds: [integ.managementAccountId],
        assumeRole: [{ roleArn: this.managementRoleVariable().stringValue }],
      });
    }
    return new DirectMemberRole(this, "management_role", {
      provider,
      ...(memberRoleIsDiscoveryRole(integ)
        ? { attachTo: this.discoveryRole.role }
        : { role: this.memberRoleDefinition(integ.managementAccountId) }),
      managedPolicyArns: integ.memberRole.policyArns,
      inlinePolicy: memberInlinePolicy(integ),
    });
  }

  /** The member role in each account no StackSet target reaches, through an aliased provider per account. */
  private createDirectRoles(directAccounts: string[]): DirectMemberRoles | undefined {
    const { integ, check } = this;
    directAccounts.forEach((a, i) => {
      if (typeof a !== "string" || !/^\d{12}$/.test(a))
        check.fail(`directAccounts[${i}]`, `"${a}" must be a 12-digit account id`);
      if (a === integ.managementAccountId)
        check.fail(`directAccounts[${i}]`, `${a} is the management account, which gets its role as management_role`);
    });
    if (new Set(directAccounts).size !== directAccounts.length) check.fail("directAccounts", "lists an account twice");
    if (!directAccounts.length) return undefined;
    check.roleName("stackSet.directAccessRoleName", integ.stackSet.directAccessRoleName);
    const accounts: DirectAccountRole[] = [...directAccounts].sort().map((accountId) => ({
      accountId,
      region: integ.homeRegion,
      assumeRoles: [
        ...(this.delegated ? [{ roleArn: this.managementRoleVariable().stringValue, sessionName: "orgtrust" }] : []),
        {
          roleArn: `arn:${integ.partition}:iam::${accountId}:role/${integ.stackSet.directAccessRoleName}`,
          sessionName: "orgtrust",
        },
      ],
      role: this.memberRoleDefinition(accountId),
      description: `orgtrust member role, created directly: no StackSet target reaches account ${accountId}`,
    }));
    const managedPolicyArns = integ.memberRole.policyArns;
    const inlinePolicy = memberInlinePolicy(integ);
    if (!App.of(this).hclOutput)
      return new DirectMemberRoles(this, "direct_roles", { accounts, managedPolicyArns, inlinePolicy });
    // cdktf's HCL route reads each construct's own HCL attributes: the constructs DirectMemberRoles stands for.
    for (const a of accounts) {
      const provider = new AwsProvider(this, `aws_account_${a.accountId}`, {
        alias: directProviderAlias(a.accountId),
        region: a.region,
        allowedAccountIds: [a.accountId],
        assumeRole: a.assumeRoles.map((r) => ({ ...r })),
      });
      new DirectMemberRole(this, directRoleId(a.accountId), {
        provider,
        role: a.role,
        managedPolicyArns,
        inlinePolicy,
        description: a.description,
      });
    }
    return undefined;
  }

  private createOutputs(): void {
    const mr = this.integ.memberRole;
    new TerraformOutput(this, "discovery_role_arn", {
      value: this.discoveryRole.roleArn,
      description: "ARN of the discovery role the consumer assumes first",
    });
    if (this.managementAccountRole) {
      new TerraformOutput(this, "management_role_arn", {
        value: this.managementAccountRole.roleArn,
        description: "ARN of the member role in the management account",
      });
    }
    new TerraformOutput(this, "member_role_name", {
      value: mr.name,
      description: "Name of the member role in every in-scope account",
    });
    new TerraformOutput(this, "member_role_path", { value: mr.path, description: "IAM path of the member role" });
    new TerraformOutput(this, "stack_set_name", {
      value: this.memberRoleStackSet.stackSet.name,
      description: "Name of the member-role StackSet",
    });
    new TerraformOutput(this, "external_id_secret_arn", {
      value: this.externalIdSecret.secretArn,
      description: "ARN of the Secrets Manager secret holding the external ID",
    });
    new TerraformOutput(this, "external_id", {
      value: this.externalId,
      sensitive: true,
      description: "The external ID (sensitive: read it with terraform output -raw external_id)",
    });
  }
}

function checkBackendPath(check: PropsChecker, backendPath: string): void {
  if (
    typeof backendPath !== "string" ||
    backendPath === "" ||
    backendPath.startsWith("/") ||
    /^[A-Za-z]:[\\/]/.test(backendPath) ||
    backendPath.split(/[\\/]/).includes("..")
  ) {
    check.fail("backendPath", `"${backendPath}" must be a relative path inside the stack directory`);
  }
}

/** Roles sharing a name (Port Ocean) are one role in the management account: only possible there, with one path. */
function checkSharedRoleName(check: PropsChecker, integ: ResolvedIntegration): void {
  const dr = integ.discoveryRole;
  const mr = integ.memberRole;
  if (!memberRoleIsDiscoveryRole(integ)) return;
  if (dr.accountId !== integ.managementAccountId) {
    check.fail(
      "discoveryRole.accountId",
      `the member role and the discovery role share the name "${mr.name}", and the discovery role sits in the delegated administrator ${dr.accountId}, a member account the StackSet would also create "${mr.name}" in (fix: keep the discovery role in the management account, or give the roles different names)`,
    );
  }
  if (dr.path !== mr.path) {
    check.fail(
      "memberRole.path",
      `the member role and the discovery role share the name "${mr.name}" but not the path; IAM role names are unique per account (fix: give both the same path)`,
    );
  }
}

const TOP_LEVEL_PROPS = [
  "partition",
  "homeRegion",
  "managementAccountId",
  "trustedPrincipal",
  "externalId",
  "externalIdSecretName",
  "discoveryRole",
  "memberRole",
  "stackSet",
  "organizationalUnitIds",
  "managementAccountRole",
  "directAccounts",
  "tags",
  "backendPath",
] as const satisfies ReadonlyArray<keyof IntegrationStackProps>;
const DISCOVERY_ROLE_PROPS = [
  "roleName",
  "path",
  "accountId",
  "maxSessionDuration",
  "permissionsBoundary",
  "tags",
  "policy",
] as const satisfies ReadonlyArray<keyof IntegrationDiscoveryRoleOptions>;
const MEMBER_ROLE_PROPS = [
  "roleName",
  "path",
  "managedPolicyArns",
  "addDescribeOrganization",
  "denyDataReads",
  "maxSessionDuration",
  "permissionsBoundary",
  "tags",
] as const satisfies ReadonlyArray<keyof IntegrationMemberRoleOptions>;
const STACK_SET_PROPS = [
  "name",
  "retainStacksOnAccountRemoval",
  "maxConcurrentPercentage",
  "failureTolerancePercentage",
  "directAccessRoleName",
] as const satisfies ReadonlyArray<keyof IntegrationStackSetOptions>;

/** Refuses a prop the interface does not have (a typo in a JavaScript app would otherwise be ignored silently). */
function knownProps(check: PropsChecker, at: string, value: object | undefined, known: readonly string[]): void {
  if (value === undefined) return;
  if (value === null || typeof value !== "object" || Array.isArray(value))
    check.fail(at.replace(/\.$/, ""), "must be an object");
  for (const k of Object.keys(value))
    if (!known.includes(k))
      check.fail(`${at}${k}`, `is not a prop of IntegrationStack (fix: use one of ${known.join(", ")})`);
}

function optionalBoolean(check: PropsChecker, prop: string, value: boolean | undefined, fallback: boolean): boolean {
  if (value !== undefined && typeof value !== "boolean") check.fail(prop, "must be true or false");
  return value ?? fallback;
}

/**
 * Validates the plain props and fills in the defaults, as the one shape the policy builders (member-role-policy.ts)
 * and the body of IntegrationStack read. Fields no construct reads (exclusions, outputs, consumer options) get neutral
 * values: this is the stack's own view, not a config.
 */
function resolveProps(
  id: string,
  props: IntegrationStackProps,
  check: PropsChecker,
): {
  integ: ResolvedIntegration;
  externalIdSource: ExternalIdSource;
  targets: StackSetTargets;
  discoveryPolicy?: PolicyDocument;
} {
  if (!props || typeof props !== "object")
    throw new InputError(
      `IntegrationStack "${id}" props: required, with at least homeRegion, managementAccountId and trustedPrincipal`,
    );
  knownProps(check, "", props, TOP_LEVEL_PROPS);
  knownProps(check, "discoveryRole.", props.discoveryRole, DISCOVERY_ROLE_PROPS);
  knownProps(check, "memberRole.", props.memberRole, MEMBER_ROLE_PROPS);
  knownProps(check, "stackSet.", props.stackSet, STACK_SET_PROPS);
  const partition = props.partition ?? "aws";
  if (!(PARTITIONS as readonly string[]).includes(partition))
    check.fail("partition", `"${partition}" must be one of ${PARTITIONS.join(", ")}`);
  check.region("homeRegion", props.homeRegion);
  check.required("managementAccountId", props.managementAccountId);
  if (!ACCOUNT_ID_RE.test(props.managementAccountId))
    check.fail(
      "managementAccountId",
      `"${props.managementAccountId}" must be a 12-digit account id (a string, such as "111122223333")`,
    );
  check.principal("trustedPrincipal", props.trustedPrincipal);
  check.tags("tags", props.tags);

  const d = props.discoveryRole ?? {};
  const m = props.memberRole ?? {};
  const ss = props.stackSet ?? {};
  const accountId = d.accountId ?? props.managementAccountId;
  if (typeof accountId !== "string" || !ACCOUNT_ID_RE.test(accountId))
    check.fail("discoveryRole.accountId", `"${accountId}" must be a 12-digit account id`);
  const discoveryName = d.roleName ?? `orgtrust-${id}-discovery`;
  const memberName = m.roleName ?? `orgtrust-${id}-readonly`;
  check.roleName("discoveryRole.roleName", discoveryName);
  check.roleName("memberRole.roleName", memberName);
  check.iamPath("discoveryRole.path", d.path);
  check.iamPath("memberRole.path", m.path);
  check.sessionDuration("discoveryRole.maxSessionDuration", d.maxSessionDuration);
  check.sessionDuration("memberRole.maxSessionDuration", m.maxSessionDuration);
  // A managed policy is attachable only in its own account (the rules config/load.ts applies to orgtrust.yaml).
  if (d.permissionsBoundary !== undefined) {
    const account = policyArnAccount(d.permissionsBoundary);
    if (account !== "aws" && account !== accountId) {
      check.fail(
        "discoveryRole.permissionsBoundary",
        `"${d.permissionsBoundary}" must be an AWS managed policy or a policy of account ${accountId}, which holds the discovery role`,
      );
    }
  }
  if (m.permissionsBoundary !== undefined) {
    const account = policyArnAccount(m.permissionsBoundary);
    if (account !== "aws" && account !== EACH_ACCOUNT) {
      check.fail(
        "memberRole.permissionsBoundary",
        `"${m.permissionsBoundary}" must be an AWS managed policy or name a policy in every account with the account part \${AWS::AccountId} (the member role is created in every member account)`,
      );
    }
  }
  check.tags("discoveryRole.tags", d.tags);
  check.tags("memberRole.tags", m.tags);
  const policyArns = m.managedPolicyArns ?? [managedPolicyArn(partition, "ReadOnlyAccess")];
  if (!Array.isArray(policyArns) || policyArns.length < 1 || policyArns.length > 20)
    check.fail("memberRole.managedPolicyArns", "must list 1-20 managed policy ARNs");
  policyArns.forEach((a, i) => {
    if (typeof a !== "string" || policyArnAccount(a) !== "aws") {
      check.fail(
        `memberRole.managedPolicyArns[${i}]`,
        `"${a}" must be an AWS managed policy ARN such as arn:${partition}:iam::aws:policy/ReadOnlyAccess (the StackSet attaches the same ARNs in every account)`,
      );
    }
    if (!a.startsWith(`arn:${partition}:`))
      check.fail(
        `memberRole.managedPolicyArns[${i}]`,
        `"${a}" is not in partition ${partition} (fix: use arn:${partition}:... or set partition)`,
      );
  });
  if (new Set(policyArns).size !== policyArns.length)
    check.fail("memberRole.managedPolicyArns", "lists a policy twice");
  const stackSetName = ss.name ?? `orgtrust-${id}-member-role`;
  if (typeof stackSetName !== "string" || !/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackSetName)) {
    check.fail(
      "stackSet.name",
      `"${stackSetName}" must start with a letter and hold only letters, digits and - (at most 128)`,
    );
  }
  const maxConcurrentPercentage = ss.maxConcurrentPercentage ?? 25;
  const failureTolerancePercentage = ss.failureTolerancePercentage ?? 0;
  check.percentage("stackSet.maxConcurrentPercentage", maxConcurrentPercentage, 1);
  check.percentage("stackSet.failureTolerancePercentage", failureTolerancePercentage, 0);

  const externalIdSource: ExternalIdSource = props.externalId ?? { kind: "generate", length: 40, alphanumeric: false };
  if (externalIdSource.kind === "variable" && externalIdSource.name === MANAGEMENT_ROLE_VARIABLE) {
    check.fail(
      "externalId.name",
      `"${MANAGEMENT_ROLE_VARIABLE}" is the stack's own variable for the management-account role (fix: name the external-ID variable otherwise)`,
    );
  }
  let targets: StackSetTargets = { kind: "root-lookup" };
  if (props.organizationalUnitIds !== undefined) {
    if (!Array.isArray(props.organizationalUnitIds))
      check.fail("organizationalUnitIds", "must be a list of OU or root ids");
    props.organizationalUnitIds.forEach((t, i) => check.target(`organizationalUnitIds[${i}]`, t));
    if (new Set(props.organizationalUnitIds).size !== props.organizationalUnitIds.length)
      check.fail("organizationalUnitIds", "lists a target twice");
    targets = { kind: "organizational-units", ids: [...props.organizationalUnitIds] };
  }
  if (d.policy !== undefined) check.policy("discoveryRole.policy", d.policy);

  const tags = props.tags ?? {};
  const delegated = accountId !== props.managementAccountId;
  const discoveryPath = d.path ?? "/";
  const integ: ResolvedIntegration = {
    name: id,
    consumer: "custom",
    partition,
    homeRegion: props.homeRegion,
    managementAccountId: props.managementAccountId,
    trustedPrincipal: props.trustedPrincipal,
    externalId: externalIdOfStackSource(externalIdSource, props.externalIdSecretName ?? `orgtrust/${id}/external-id`),
    discoveryRole: {
      name: discoveryName,
      path: discoveryPath,
      accountId,
      arn: iamRoleArn(partition, accountId, discoveryName, discoveryPath),
      maxSessionDuration: d.maxSessionDuration ?? 3600,
      permissionsBoundary: d.permissionsBoundary,
      tags: { ...tags, ...d.tags },
      callAsDelegatedAdmin: delegated,
    },
    memberRole: {
      name: memberName,
      path: m.path ?? "/",
      policyArns: [...policyArns],
      addDescribeOrganization: optionalBoolean(
        check,
        "memberRole.addDescribeOrganization",
        m.addDescribeOrganization,
        false,
      ),
      denyDataReads: optionalBoolean(check, "memberRole.denyDataReads", m.denyDataReads, false),
      maxSessionDuration: m.maxSessionDuration ?? 3600,
      permissionsBoundary: m.permissionsBoundary,
      tags: { ...tags, ...m.tags },
    },
    stackSet: {
      name: stackSetName,
      maxConcurrentPercentage,
      failureTolerancePercentage,
      retainStacksOnAccountRemoval: optionalBoolean(
        check,
        "stackSet.retainStacksOnAccountRemoval",
        ss.retainStacksOnAccountRemoval,
        false,
      ),
      callAs: delegated ? "DELEGATED_ADMIN" : "SELF",
      uncoveredAccounts: "direct",
      directAccessRoleName: ss.directAccessRoleName ?? "OrganizationAccountAccessRole",
    },
    exclusions: { organizationalUnits: [], accounts: [], skipInactiveAccounts: false, managementAccount: false },
    regions: [props.homeRegion],
    outputDir: "",
    options: {},
    tags,
  };
  return { integ, externalIdSource, targets, discoveryPolicy: d.policy };
}
