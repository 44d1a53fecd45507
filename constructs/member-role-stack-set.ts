import { CloudformationStackSet } from "@cdktf/provider-aws/lib/cloudformation-stack-set";
import { CloudformationStackSetInstance } from "@cdktf/provider-aws/lib/cloudformation-stack-set-instance";
import { Token, type TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { memberRoleTemplateBody } from "./member-role-policy";
import { PropsChecker, snakeId } from "./validate";

export interface MemberRoleStackSetProps {
  /** StackSet name: starts with a letter, then letters, digits and - (at most 128). Required. */
  readonly stackSetName: string;
  /**
   * The CloudFormation template, at most 51,200 bytes.
   * @default orgtrust's member-role template (memberRoleTemplateBody(), templates/member-role/member-role.yaml)
   */
  readonly templateBody?: string;
  /**
   * Every template parameter's value, as strings. orgtrust's template takes RoleName, RolePath, TrustedPrincipal,
   * ExternalId, ManagedPolicyArns (comma-separated), MaxSessionDuration, PermissionsBoundary,
   * PermissionsBoundaryInEachAccount, DenyDataReads and AddDescribeOrganization ("true"/"false"). Required.
   */
  readonly parameters: Record<string, string>;
  /** The one region the stack instances go to (the home region): IAM is global, a second region would collide. Required. */
  readonly region: string;
  /**
   * OU or root ids to target (computeOuCover().targets), or a token for the root looked up at apply time. Each gets
   * its own instance resource so adding or removing one OU never replaces the others; they are chained with
   * depends_on because a StackSet runs one operation at a time. Empty: the StackSet exists with no instances. Required.
   */
  readonly organizationalUnitIds: string[];
  /**
   * SELF from the management account; DELEGATED_ADMIN when the stack runs in the delegated administrator.
   * @default "SELF"
   */
  readonly callAs?: "SELF" | "DELEGATED_ADMIN";
  /**
   * Keep member stacks (and roles) when an account leaves a targeted OU; false removes the role.
   * @default false
   */
  readonly retainStacksOnAccountRemoval?: boolean;
  /**
   * Accounts deployed to at once, as a percentage per region (1-100).
   * @default 25
   */
  readonly maxConcurrentPercentage?: number;
  /**
   * Failures tolerated per region before the operation stops, as a percentage (0-100).
   * @default 0
   */
  readonly failureTolerancePercentage?: number;
  /**
   * Tags on the StackSet; CloudFormation propagates them to the member roles.
   * @default none
   */
  readonly tags?: Record<string, string>;
  /**
   * Provider for the account that administers the StackSet.
   * @default the stack's default AWS provider
   */
  readonly provider?: TerraformProvider;
}

/** Terraform-safe suffix for a target: "ou-ab12-cdef3456" -> "ou_ab12_cdef3456"; a token (the root lookup) -> "root". */
export function targetSuffix(target: string): string {
  return Token.isUnresolved(target) ? "root" : target.replace(/[^A-Za-z0-9]+/g, "_");
}

/**
 * The member-role StackSet: SERVICE_MANAGED, auto-deployment on, CAPABILITY_NAMED_IAM, one region, and one
 * instance resource per targeted OU. `administration_role_arn` is ignored (AWS fills it in for service-managed
 * sets: terraform-provider-aws#23464). Terraform names: `<id>` (stack set), `<id>_<ou id>` (instances).
 */
export class MemberRoleStackSet extends Construct {
  readonly stackSet: CloudformationStackSet;
  readonly instances: CloudformationStackSetInstance[] = [];

  constructor(scope: Construct, id: string, props: MemberRoleStackSetProps) {
    super(scope, id);
    const check = new PropsChecker("MemberRoleStackSet");
    check.required("stackSetName", props.stackSetName);
    if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(props.stackSetName))
      check.fail(
        "stackSetName",
        `"${props.stackSetName}" must start with a letter and hold only letters, digits and - (at most 128)`,
      );
    const templateBody = props.templateBody ?? memberRoleTemplateBody();
    check.required("templateBody", templateBody);
    if (Buffer.byteLength(templateBody) > 51_200)
      check.fail("templateBody", "is larger than 51,200 bytes (the template_body limit)");
    check.required("parameters", props.parameters);
    for (const [k, v] of Object.entries(props.parameters))
      if (typeof v !== "string")
        check.fail(`parameters.${k}`, `must be a string (CloudFormation parameters are strings: write "${String(v)}")`);
    check.region("region", props.region);
    if (!Array.isArray(props.organizationalUnitIds)) check.fail("organizationalUnitIds", "must be a list");
    props.organizationalUnitIds.forEach((t, i) => check.target(`organizationalUnitIds[${i}]`, t));
    if (new Set(props.organizationalUnitIds).size !== props.organizationalUnitIds.length)
      check.fail("organizationalUnitIds", "lists a target twice");
    const callAs = props.callAs ?? "SELF";
    if (callAs !== "SELF" && callAs !== "DELEGATED_ADMIN") check.fail("callAs", 'must be "SELF" or "DELEGATED_ADMIN"');
    const maxConcurrent = props.maxConcurrentPercentage ?? 25;
    const tolerance = props.failureTolerancePercentage ?? 0;
    check.percentage("maxConcurrentPercentage", maxConcurrent, 1);
    check.percentage("failureTolerancePercentage", tolerance, 0);
    check.tags("tags", props.tags);

    const base = snakeId(id);
    const operationPreferences = { maxConcurrentPercentage: maxConcurrent, failureTolerancePercentage: tolerance };
    this.stackSet = new CloudformationStackSet(this, "stack-set", {
      provider: props.provider,
      name: props.stackSetName,
      description: "orgtrust member role: read-only role for one integration in every in-scope member account",
      permissionModel: "SERVICE_MANAGED",
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: props.retainStacksOnAccountRemoval ?? false },
      capabilities: ["CAPABILITY_NAMED_IAM"],
      callAs,
      managedExecution: { active: true },
      operationPreferences,
      parameters: props.parameters,
      templateBody,
      tags: props.tags && Object.keys(props.tags).length ? props.tags : undefined,
      lifecycle: { ignoreChanges: ["administration_role_arn"] },
    });
    this.stackSet.overrideLogicalId(base);

    let previous: CloudformationStackSetInstance | undefined;
    for (const target of props.organizationalUnitIds) {
      const instance = new CloudformationStackSetInstance(this, `instance-${targetSuffix(target)}`, {
        provider: props.provider,
        stackSetName: this.stackSet.name,
        stackSetInstanceRegion: props.region,
        callAs,
        deploymentTargets: { organizationalUnitIds: [target] },
        operationPreferences,
        dependsOn: previous ? [previous] : undefined,
      });
      instance.overrideLogicalId(`${base}_${targetSuffix(target)}`);
      this.instances.push(instance);
      previous = instance;
    }
  }
}
