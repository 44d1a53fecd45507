import * as fs from "node:fs";
import * as path from "node:path";
import { EACH_ACCOUNT, iamRoleArn } from "../common/ids";
import { TEMPLATES_DIR } from "../common/paths";
import type { ResolvedIntegration } from "../config/resolve";

/**
 * The policies orgtrust provisions, as plain data: no cdktf imports, so the drift check (and anything else) can
 * import this module cheaply and compare what AWS reports with what synth produced.
 *
 * - The member role (StackSet template + the management-account copy) trusts the integration's trusted principal
 *   with an `sts:ExternalId` condition and carries the managed policies the config chose, plus an optional inline
 *   policy (deny of data reads, and organizations:DescribeOrganization for ViewOnlyAccess).
 * - The discovery role trusts the same principal the same way and has exactly DISCOVERY_ACTIONS plus the
 *   Organizations reads its consumer makes (CONSUMER_DISCOVERY_ACTIONS).
 *
 * The external ID is passed in as a string: the literal value, or a Terraform expression such as
 * `${random_password.x.result}` when synth generates it. Either way it is data, never logged.
 */

/** One IAM policy statement (the subset orgtrust writes). */
export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: { AWS: string | string[] } | { Service: string | string[] } | "*";
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** An IAM policy document. */
export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** Name of the inline policy on member roles (StackSet template and management-account role alike). */
export const MEMBER_INLINE_POLICY_NAME = "orgtrust-member-inline";
/** Name of the inline policy on the discovery role. */
export const DISCOVERY_POLICY_NAME = "orgtrust-discovery";

/** The Organizations read calls `orgtrust discover` makes (org/discover.ts), and nothing else. */
export const ORGANIZATIONS_READ_ACTIONS = [
  "organizations:DescribeOrganization",
  "organizations:ListAccountsForParent",
  "organizations:ListOrganizationalUnitsForParent",
  "organizations:ListRoots",
  "organizations:ListTagsForResource",
] as const;

/**
 * The Organizations read calls each consumer makes with the discovery role's session, read from the consumer's own
 * source (docs/consumers.md "Per-consumer sources" names each version and file). The discovery role allows these plus
 * orgtrust's own (ORGANIZATIONS_READ_ACTIONS, STACKSET_READ_ACTIONS, ROLE_READ_ACTIONS) and nothing more.
 * Consumers that never use the discovery role (they assume the member roles straight from their own credentials
 * with a generated account list) add nothing.
 */
export const CONSUMER_DISCOVERY_ACTIONS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  // @backstage/plugin-catalog-backend-module-aws AwsOrganizationCloudAccountProcessor (paginateListAccounts); the
  // unreleased aws-org provider (AwsOrganizationProvider.ts) makes the same call.
  backstage: ["organizations:ListAccounts"],
  // port-labs/ocean integrations/aws-v3/aws/auth/strategies/organizations_strategy.py (61f0e59a): list_accounts
  // without ouId; list_accounts_for_parent and list_organizational_units_for_parent with it.
  "port-ocean": [
    "organizations:ListAccounts",
    "organizations:ListAccountsForParent",
    "organizations:ListOrganizationalUnitsForParent",
  ],
  // cloudquery/cloudquery plugins/source/aws/client/organizations.go (0c6783f1) getOUAccounts: ListAccountsForParent
  // and ListChildren(ORGANIZATIONAL_UNIT) from each entry of organization_units (orgtrust lists the root there).
  cloudquery: ["organizations:ListAccountsForParent", "organizations:ListChildren"],
  // Closed source (Pipes is a SaaS; turbot/pipes-docs docs/integrations/aws.md attaches ReadOnlyAccess to the
  // discovery role and says Pipes "enumerates all accounts and OUs"). UNVERIFIED: the Organizations reads a mirror of
  // the OU tree can make, instead of ReadOnlyAccess.
  "turbot-pipes": [
    "organizations:DescribeAccount",
    "organizations:DescribeOrganizationalUnit",
    "organizations:ListAccounts",
    "organizations:ListAccountsForParent",
    "organizations:ListChildren",
    "organizations:ListOrganizationalUnitsForParent",
    "organizations:ListParents",
  ],
  // Closed source (Apono's connector). UNVERIFIED, as for turbot-pipes.
  apono: [
    "organizations:DescribeAccount",
    "organizations:DescribeOrganizationalUnit",
    "organizations:ListAccounts",
    "organizations:ListAccountsForParent",
    "organizations:ListChildren",
    "organizations:ListOrganizationalUnitsForParent",
    "organizations:ListParents",
  ],
  // These read the generated account list and assume the member roles from their own credentials.
  steampipe: [],
  "c7n-org": [],
  "aws-cli": [],
  terraform: [],
  custom: [],
});

/** The Organizations reads the integration's discovery role allows: orgtrust's own plus its consumer's, sorted. */
export function discoveryOrganizationsActions(integration: Pick<ResolvedIntegration, "consumer">): string[] {
  return [
    ...new Set([...ORGANIZATIONS_READ_ACTIONS, ...(CONSUMER_DISCOVERY_ACTIONS[integration.consumer] ?? [])]),
  ].sort();
}

/** What the drift check reads of the member-role StackSet. */
export const STACKSET_READ_ACTIONS = [
  "cloudformation:DescribeStackInstance",
  "cloudformation:DescribeStackSet",
  "cloudformation:ListStackInstances",
] as const;

/** What the drift check reads of the member role created directly in the management account and of the discovery role. */
export const ROLE_READ_ACTIONS = [
  "iam:GetRole",
  "iam:GetRolePolicy",
  "iam:ListAttachedRolePolicies",
  "iam:ListRolePolicies",
] as const;

/** orgtrust's own actions on the discovery role (what discover and drift call), sorted. Nothing that writes. */
export const DISCOVERY_ACTIONS: readonly string[] = Object.freeze(
  [...ORGANIZATIONS_READ_ACTIONS, ...STACKSET_READ_ACTIONS, ...ROLE_READ_ACTIONS].sort(),
);

/**
 * Data-plane reads the optional deny blocks (memberRole.denyDataReads): object and item contents, stream records,
 * messages, log events and log query results, code and package contents, parameter and secret values, media,
 * archived mail, console output. A DENY LIST: it blocks what a review of ReadOnlyAccess found (test/integration/deny-data-reads
 * derives the candidates from the policy's actions and fails on any unreviewed one), not every read of data that
 * AWS adds later or that hides in a metadata call (docs/security.md). Must equal the list in
 * templates/member-role/member-role.yaml (a test checks).
 */
export const DATA_READ_ACTIONS: readonly string[] = Object.freeze([
  "appsync:GetFunction",
  "athena:GetQueryResults",
  "athena:GetQueryResultsStream",
  "bedrock-agentcore:GetEvent",
  "bedrock-agentcore:GetMemoryRecord",
  "bedrock-agentcore:RetrieveMemoryRecords",
  "cassandra:Select",
  "chime:GetChannelMessage",
  "chime:RetrieveDataExports",
  "cloudfront:GetConnectionFunction",
  "cloudfront:GetFunction",
  "cloudtrail:GetEventDataStoreData",
  "cloudtrail:GetQueryResults",
  "cloudwatch:GenerateQueryResultsSummary",
  "cloudwatch:GetRecords",
  "cloudwatch:GetTelemetryQueryResults",
  "codeartifact:GetPackageVersionAsset",
  "codeartifact:GetPackageVersionReadme",
  "codeartifact:ReadFromRepository",
  "codecommit:GetBlob",
  "codecommit:GetBlobDifferences",
  "codecommit:GetComment",
  "codecommit:GetFile",
  "codecommit:GitPull",
  "cognito-sync:QueryRecords",
  "dax:BatchGetItem",
  "dax:GetItem",
  "dax:Query",
  "dax:Scan",
  "dynamodb:BatchGetItem",
  "dynamodb:GetItem",
  "dynamodb:GetRecords",
  "dynamodb:PartiQLSelect",
  "dynamodb:Query",
  "dynamodb:Scan",
  "ec2:GetConsoleOutput",
  "ec2:GetConsoleScreenshot",
  "ec2:GetInstanceUefiData",
  "ec2:GetLaunchTemplateData",
  "ec2:GetPasswordData",
  "ec2messages:GetMessages",
  "ecr:BatchGetImage",
  "ecr:GetDownloadUrlForLayer",
  "elasticbeanstalk:RetrieveEnvironmentInfo",
  "es:ESHttpGet",
  "es:ESHttpHead",
  "forecast:QueryForecast",
  "forecast:QueryWhatIfForecast",
  "frauddetector:GetEvent",
  "glacier:GetJobOutput",
  "healthlake:ReadResource",
  "healthlake:SearchWithGet",
  "healthlake:SearchWithPost",
  "iot:GetRetainedMessage",
  "iot:GetThingShadow",
  "iotanalytics:GetDatasetContent",
  "iotanalytics:SampleChannelData",
  "iotsitewise:GetCaptureData",
  "iotsitewise:GetQueryResults",
  "kendra:Query",
  "kinesis:GetRecords",
  "kinesis:SubscribeToShard",
  "kinesisvideo:GetClip",
  "kinesisvideo:GetDASHStreamingSessionURL",
  "kinesisvideo:GetHLSStreamingSessionURL",
  "kinesisvideo:GetImages",
  "kinesisvideo:GetMedia",
  "kinesisvideo:GetMediaForFragmentList",
  "lambda:GetFunction",
  "lambda:GetLayerVersion",
  "lightsail:GetRelationalDatabaseLogEvents",
  "logs:FilterLogEvents",
  "logs:GetLogEvents",
  "logs:GetLogRecord",
  "logs:GetQueryResults",
  "logs:StartLiveTail",
  "logs:StartQuery",
  "logs:Unmask",
  "lookoutmetrics:GetSampleData",
  "mediapackagev2:GetObject",
  "mediastore:GetObject",
  "mobiletargeting:GetInAppMessages",
  "rds:DownloadCompleteDBLogFile",
  "rds:DownloadDBLogFilePortion",
  "redshift-data:GetStatementResult",
  "rum:GetAppMonitorData",
  "s3-object-lambda:GetObject",
  "s3-object-lambda:GetObjectVersion",
  "s3-outposts:GetObject",
  "s3-outposts:GetObjectVersion",
  "s3-outposts:GetObjectVersionForReplication",
  "s3:GetObject",
  "s3:GetObjectAnnotation",
  "s3:GetObjectTorrent",
  "s3:GetObjectVersion",
  "s3:GetObjectVersionAnnotation",
  "s3:GetObjectVersionAnnotationForReplication",
  "s3:GetObjectVersionForReplication",
  "s3:GetObjectVersionTorrent",
  "s3tables:GetTableData",
  "s3vectors:GetVectors",
  "s3vectors:QueryVectors",
  "sdb:GetAttributes",
  "sdb:Select",
  "secretsmanager:BatchGetSecretValue",
  "secretsmanager:GetSecretValue",
  "ses:GetArchiveMessage",
  "ses:GetArchiveMessageContent",
  "ses:GetArchiveSearchResults",
  "snowball:GetJobManifest",
  "snowball:GetJobUnlockCode",
  "sqs:ReceiveMessage",
  "ssm:GetParameter",
  "ssm:GetParameterHistory",
  "ssm:GetParameters",
  "ssm:GetParametersByPath",
  "tax:GetTaxRegistrationDocument",
  "timestream:Select",
  "timestream:SelectValues",
  "tnb:GetSolFunctionPackageContent",
  "tnb:GetSolNetworkPackageContent",
  "translate:GetParallelData",
  "workdocs:GetDocument",
  "workdocs:GetDocumentVersion",
  "xray:BatchGetTraces",
]);

/** The CloudFormation template the member-role StackSet deploys (static: parameters drive every difference). */
export function memberRoleTemplatePath(): string {
  return path.join(TEMPLATES_DIR, "member-role", "member-role.yaml");
}

let templateCache: string | undefined;

/** The template text, exactly as the StackSet's template_body carries it. */
export function memberRoleTemplateBody(): string {
  templateCache ??= fs.readFileSync(memberRoleTemplatePath(), "utf8");
  return templateCache;
}

/**
 * The StackSet parameter values for an integration (every template parameter is set, as the provider requires).
 * `externalId` is the value or a Terraform expression.
 */
export function memberRoleParameters(integration: ResolvedIntegration, externalId: string): Record<string, string> {
  const m = integration.memberRole;
  const inEachAccount = eachAccountPrefix(integration);
  return {
    AddDescribeOrganization: String(m.addDescribeOrganization),
    DenyDataReads: String(m.denyDataReads),
    ExternalId: externalId,
    ManagedPolicyArns: m.policyArns.join(","),
    MaxSessionDuration: String(m.maxSessionDuration),
    PermissionsBoundary: inEachAccount ? "" : (m.permissionsBoundary ?? ""),
    PermissionsBoundaryInEachAccount: inEachAccount ? m.permissionsBoundary!.slice(inEachAccount.length) : "",
    RoleName: m.name,
    RolePath: m.path,
    TrustedPrincipal: integration.trustedPrincipal,
  };
}

/** Trust policy: `principal` may call sts:AssumeRole only with this external ID. */
export function externalIdTrustPolicy(principal: string, externalId: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "TrustedPrincipalWithExternalId",
        Effect: "Allow",
        Principal: { AWS: principal },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "sts:ExternalId": externalId } },
      },
    ],
  };
}

/** The trust policy of every member role and of the management-account role (matches the template's). */
export function memberTrustPolicy(integration: ResolvedIntegration, externalId: string): PolicyDocument {
  return externalIdTrustPolicy(integration.trustedPrincipal, externalId);
}

/** The trust policy of the discovery role: the same principal, the same external ID condition. */
export function discoveryTrustPolicy(integration: ResolvedIntegration, externalId: string): PolicyDocument {
  return externalIdTrustPolicy(integration.trustedPrincipal, externalId);
}

/** The member role's inline policy (MEMBER_INLINE_POLICY_NAME), or undefined when the config asks for none. */
export function memberInlinePolicy(integration: ResolvedIntegration): PolicyDocument | undefined {
  const statements: PolicyStatement[] = [];
  if (integration.memberRole.denyDataReads) {
    statements.push({ Sid: "DenyDataReads", Effect: "Deny", Action: [...DATA_READ_ACTIONS], Resource: "*" });
  }
  if (integration.memberRole.addDescribeOrganization) {
    statements.push({
      Sid: "AllowDescribeOrganization",
      Effect: "Allow",
      Action: "organizations:DescribeOrganization",
      Resource: "*",
    });
  }
  return statements.length ? { Version: "2012-10-17", Statement: statements } : undefined;
}

/** ARN pattern of the integration's member-role StackSet (any stack set id suffix). */
export function stackSetArnPattern(integration: ResolvedIntegration): string {
  // With a delegated administrator the owning account of the stack set is not knowable ahead of time, so the
  // account field is a wildcard; otherwise it is the account the discovery role (and the StackSet) lives in.
  const account = integration.discoveryRole.callAsDelegatedAdmin ? "*" : integration.discoveryRole.accountId;
  return `arn:${integration.partition}:cloudformation:${integration.homeRegion}:${account}:stackset/${integration.stackSet.name}:*`;
}

/** "arn:<partition>:iam::${AWS::AccountId}:" when the member boundary names a policy in every account, else undefined. */
function eachAccountPrefix(integration: ResolvedIntegration): string | undefined {
  const prefix = `arn:${integration.partition}:iam::${EACH_ACCOUNT}:`;
  return integration.memberRole.permissionsBoundary?.startsWith(prefix) ? prefix : undefined;
}

/**
 * The member role's permissions boundary in one account: the configured ARN, with ${AWS::AccountId} (a policy of
 * that name in every account) replaced by the account, as the StackSet template resolves it.
 */
export function memberBoundaryIn(integration: ResolvedIntegration, accountId: string): string | undefined {
  return integration.memberRole.permissionsBoundary?.replace(EACH_ACCOUNT, accountId);
}

/**
 * True when the member role and the discovery role share a name (Port Ocean): in the management account they are one
 * role, the discovery role, which then also carries the member policies (IAM role names are unique per account).
 */
export function memberRoleIsDiscoveryRole(integration: ResolvedIntegration): boolean {
  return integration.discoveryRole.name.toLowerCase() === integration.memberRole.name.toLowerCase();
}

/** ARN of the member role created directly in the management account. */
export function managementRoleArn(integration: ResolvedIntegration): string {
  return iamRoleArn(
    integration.partition,
    integration.managementAccountId,
    integration.memberRole.name,
    integration.memberRole.path,
  );
}

/**
 * The discovery role's inline policy (DISCOVERY_POLICY_NAME): the Organizations reads discovery and the integration's
 * consumer make (CONSUMER_DISCOVERY_ACTIONS), read access
 * to this integration's member-role StackSet, and read access to the management-account member role and to the
 * discovery role itself (the drift check compares both with the code).
 */
export function discoveryRolePolicy(integration: ResolvedIntegration): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "ReadOrganization", Effect: "Allow", Action: discoveryOrganizationsActions(integration), Resource: "*" },
      {
        Sid: "ReadMemberRoleStackSet",
        Effect: "Allow",
        Action: [...STACKSET_READ_ACTIONS],
        Resource: stackSetArnPattern(integration),
      },
      {
        Sid: "ReadOrgtrustRoles",
        Effect: "Allow",
        Action: [...ROLE_READ_ACTIONS],
        Resource: [...new Set([managementRoleArn(integration), integration.discoveryRole.arn])],
      },
    ],
  };
}
