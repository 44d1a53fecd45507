import { DataAwsOrganizationsOrganization } from "@cdktf/provider-aws/lib/data-aws-organizations-organization";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { LocalBackend, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import type { ResolvedIntegration } from "../config/resolve";
import { DiscoveryRole } from "./discovery-role";
import { ExternalIdSecret, type ExternalIdSource } from "./external-id-secret";
import { ManagementAccountRole } from "./management-account-role";
import { discoveryRolePolicy, memberBoundaryIn, memberInlinePolicy, memberRoleIsDiscoveryRole, memberRoleParameters, memberRoleTemplateBody } from "./member-role-policy";
import { MemberRoleStackSet } from "./member-role-stack-set";
import { PropsChecker } from "./validate";

/** What the member-role StackSet targets. */
export type StackSetTargets =
  /** OU / root ids computed from a snapshot (computeOuCover().targets); may be empty. */
  | { kind: "organizational-units"; ids: string[] }
  /** No snapshot and no exclusions: the organization's root, looked up at apply time (data aws_organizations_organization). */
  | { kind: "root-lookup" };

export interface IntegrationStackProps {
  /** The integration with presets applied (config/resolve.ts). */
  readonly integration: ResolvedIntegration;
  /** The external ID: generated, the configured value, or an input variable (`env` sources: synth never reads the environment). */
  readonly externalId: ExternalIdSource;
  /** StackSet deployment targets. */
  readonly targets: StackSetTargets;
  /** Create the member role in the management account (false when it is out of scope for this integration). */
  readonly managementRole: boolean;
  /**
   * Member accounts (12-digit ids) that get the member role directly: no StackSet target can reach them
   * (stackSet.uncoveredAccounts "direct"). Each gets an aliased provider `aws.account_<id>` that assumes
   * stackSet.directAccessRoleName there. Default none.
   */
  readonly directAccounts?: string[];
  /** Local backend state file, relative to the stack directory. Default "terraform.<integration>.tfstate". */
  readonly backendPath?: string;
}

/** Terraform versions the stacks need (write-only arguments arrived in 1.11). */
export const REQUIRED_TERRAFORM = ">= 1.11.0";

/** The Terraform variable that says how to reach the management account when the stack runs in the delegated admin. */
export const MANAGEMENT_ROLE_VARIABLE = "management_account_role_arn";

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
export class IntegrationStack extends TerraformStack {
  readonly discoveryRole: DiscoveryRole;
  readonly externalIdSecret: ExternalIdSecret;
  readonly memberRoleStackSet: MemberRoleStackSet;
  readonly managementAccountRole?: ManagementAccountRole;
  /** The member role in each account of props.directAccounts, by account id. */
  readonly directRoles = new Map<string, ManagementAccountRole>();

  constructor(scope: Construct, id: string, props: IntegrationStackProps) {
    super(scope, id);
    const check = new PropsChecker("IntegrationStack");
    const integ = check.required("integration", props.integration);
    check.required("externalId", props.externalId);
    check.required("targets", props.targets);
    const backendPath = props.backendPath ?? `terraform.${integ.name}.tfstate`;
    if (backendPath.startsWith("/") || /^[A-Za-z]:[\\/]/.test(backendPath) || backendPath.split(/[\\/]/).includes("..")) {
      check.fail("backendPath", `"${backendPath}" must be a relative path inside the stack directory`);
    }
    const dr = integ.discoveryRole;
    const mr = integ.memberRole;
    const sameName = memberRoleIsDiscoveryRole(integ);
    const delegated = dr.accountId !== integ.managementAccountId;
    if (sameName && delegated) {
      check.fail(
        "integration",
        `${integ.name}: the member role and the discovery role share the name "${mr.name}", and the discovery role sits in the delegated administrator ${dr.accountId}, a member account the StackSet would also create "${mr.name}" in (fix: use discoveryRole.account: management, or give the roles different names)`,
      );
    }
    if (sameName && dr.path !== mr.path) {
      check.fail("integration", `${integ.name}: the member role and the discovery role share the name "${mr.name}" but not the path; IAM role names are unique per account (fix: give both the same path)`);
    }

    new LocalBackend(this, { path: backendPath });
    // secret_string_wo is a write-only argument: Terraform 1.11 or later.
    this.addOverride("terraform.required_version", REQUIRED_TERRAFORM);
    // The default provider: resources below leave `provider` unset to use it.
    new AwsProvider(this, "aws", { region: integ.homeRegion, allowedAccountIds: [dr.accountId] });
    if (props.externalId.kind === "generate") new RandomProvider(this, "random");

    this.externalIdSecret = new ExternalIdSecret(this, "external_id_secret", {
      secretName: integ.externalId.secretName,
      source: props.externalId,
      tags: integ.tags,
    });
    const externalId = this.externalIdSecret.value;

    this.discoveryRole = new DiscoveryRole(this, "discovery_role", {
      roleName: dr.name,
      path: dr.path,
      trustedPrincipal: integ.trustedPrincipal,
      externalId,
      policy: discoveryRolePolicy(integ),
      maxSessionDuration: dr.maxSessionDuration,
      permissionsBoundary: dr.permissionsBoundary,
      tags: dr.tags,
    });

    let targets: string[];
    if (props.targets.kind === "root-lookup") {
      const org = new DataAwsOrganizationsOrganization(this, "organization", {});
      targets = [org.roots.get(0).id];
    } else {
      targets = props.targets.ids;
    }
    this.memberRoleStackSet = new MemberRoleStackSet(this, "member_role", {
      stackSetName: integ.stackSet.name,
      templateBody: memberRoleTemplateBody(),
      parameters: memberRoleParameters(integ, externalId),
      region: integ.homeRegion,
      organizationalUnitIds: targets,
      callAs: integ.stackSet.callAs,
      retainStacksOnAccountRemoval: integ.stackSet.retainStacksOnAccountRemoval,
      maxConcurrentPercentage: integ.stackSet.maxConcurrentPercentage,
      failureTolerancePercentage: integ.stackSet.failureTolerancePercentage,
      tags: mr.tags,
    });

    let managementRoleArn: TerraformVariable | undefined;
    const managementRoleVariable = (): TerraformVariable =>
      (managementRoleArn ??= new TerraformVariable(this, MANAGEMENT_ROLE_VARIABLE, {
        type: "string",
        description: `ARN of a role in the management account ${integ.managementAccountId} that Terraform assumes to create the member roles there and in accounts no StackSet target reaches (the delegated administrator cannot)`,
      }));
    /** The member role created directly in one account (its boundary resolved for that account). */
    const memberRoleDefinition = (accountId: string) => ({
      roleName: mr.name,
      path: mr.path,
      trustedPrincipal: integ.trustedPrincipal,
      externalId,
      maxSessionDuration: mr.maxSessionDuration,
      permissionsBoundary: memberBoundaryIn(integ, accountId),
      tags: mr.tags,
    });

    if (props.managementRole) {
      let mgmtProvider: AwsProvider | undefined;
      if (delegated) {
        mgmtProvider = new AwsProvider(this, "aws_management", {
          alias: "management",
          region: integ.homeRegion,
          allowedAccountIds: [integ.managementAccountId],
          assumeRole: [{ roleArn: managementRoleVariable().stringValue }],
        });
      }
      this.managementAccountRole = new ManagementAccountRole(this, "management_role", {
        provider: mgmtProvider,
        ...(sameName ? { attachTo: this.discoveryRole.role } : { role: memberRoleDefinition(integ.managementAccountId) }),
        managedPolicyArns: mr.policyArns,
        inlinePolicy: memberInlinePolicy(integ),
      });
    }

    const directAccounts = props.directAccounts ?? [];
    directAccounts.forEach((a, i) => {
      if (typeof a !== "string" || !/^\d{12}$/.test(a)) check.fail(`directAccounts[${i}]`, `"${a}" must be a 12-digit account id`);
      if (a === integ.managementAccountId) check.fail(`directAccounts[${i}]`, `${a} is the management account, which gets its role as management_role`);
    });
    if (new Set(directAccounts).size !== directAccounts.length) check.fail("directAccounts", "lists an account twice");
    if (directAccounts.length) check.roleName("integration.stackSet.directAccessRoleName", integ.stackSet.directAccessRoleName);
    for (const accountId of [...directAccounts].sort()) {
      const accessRoleArn = `arn:${integ.partition}:iam::${accountId}:role/${integ.stackSet.directAccessRoleName}`;
      const provider = new AwsProvider(this, `aws_account_${accountId}`, {
        alias: `account_${accountId}`,
        region: integ.homeRegion,
        allowedAccountIds: [accountId],
        assumeRole: [
          ...(delegated ? [{ roleArn: managementRoleVariable().stringValue, sessionName: "orgtrust" }] : []),
          { roleArn: accessRoleArn, sessionName: "orgtrust" },
        ],
      });
      this.directRoles.set(
        accountId,
        new ManagementAccountRole(this, `direct_role_${accountId}`, {
          provider,
          role: memberRoleDefinition(accountId),
          managedPolicyArns: mr.policyArns,
          inlinePolicy: memberInlinePolicy(integ),
          description: `orgtrust member role, created directly: no StackSet target reaches account ${accountId}`,
        }),
      );
    }

    new TerraformOutput(this, "discovery_role_arn", { value: this.discoveryRole.roleArn, description: "ARN of the discovery role the consumer assumes first" });
    if (this.managementAccountRole) {
      new TerraformOutput(this, "management_role_arn", { value: this.managementAccountRole.roleArn, description: "ARN of the member role in the management account" });
    }
    new TerraformOutput(this, "member_role_name", { value: mr.name, description: "Name of the member role in every in-scope account" });
    new TerraformOutput(this, "member_role_path", { value: mr.path, description: "IAM path of the member role" });
    new TerraformOutput(this, "stack_set_name", { value: this.memberRoleStackSet.stackSet.name, description: "Name of the member-role StackSet" });
    new TerraformOutput(this, "external_id_secret_arn", { value: this.externalIdSecret.secretArn, description: "ARN of the Secrets Manager secret holding the external ID" });
    new TerraformOutput(this, "external_id", { value: externalId, sensitive: true, description: "The external ID (sensitive: read it with terraform output -raw external_id)" });
  }
}
