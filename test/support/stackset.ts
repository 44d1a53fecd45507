import {
  CreateStackInstancesCommand,
  CreateStackSetCommand,
  type CloudFormationClient,
} from "@aws-sdk/client-cloudformation";

export interface MemberRoleStackSet {
  name: string;
  templateBody: string;
  parameters: Record<string, string>;
  /** One CreateStackInstances call per group of OU ids, in order (as Terraform's chained instance resources do). */
  targets: string[][];
  tags?: Record<string, string>;
  region?: string;
}

/**
 * Creates the member-role StackSet in moto the way the synthesized Terraform does: SERVICE_MANAGED, auto-deployment
 * on, CAPABILITY_NAMED_IAM, one region, instances on the given OU targets.
 */
export async function createMemberRoleStackSet(cfn: CloudFormationClient, s: MemberRoleStackSet): Promise<void> {
  await cfn.send(
    new CreateStackSetCommand({
      StackSetName: s.name,
      TemplateBody: s.templateBody,
      Parameters: Object.entries(s.parameters).map(([ParameterKey, ParameterValue]) => ({
        ParameterKey,
        ParameterValue,
      })),
      PermissionModel: "SERVICE_MANAGED",
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      Capabilities: ["CAPABILITY_NAMED_IAM"],
      Tags: Object.entries(s.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  for (const ous of s.targets) {
    await cfn.send(
      new CreateStackInstancesCommand({
        StackSetName: s.name,
        DeploymentTargets: { OrganizationalUnitIds: ous },
        Regions: [s.region ?? "us-east-1"],
      }),
    );
  }
}
