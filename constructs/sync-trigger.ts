import { CloudwatchEventApiDestination } from "@cdktf/provider-aws/lib/cloudwatch-event-api-destination";
import { CloudwatchEventConnection } from "@cdktf/provider-aws/lib/cloudwatch-event-connection";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { LocalBackend, TerraformOutput, TerraformStack, TerraformVariable, type TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { organizationsRegion, type Partition } from "../common/ids";
import type { PolicyDocument } from "./member-role-policy";

/**
 * The sync trigger (docs/sync.md): EventBridge rules on the management account's default bus that turn an org change
 * into a GitHub `repository_dispatch` (type orgtrust-org-changed), and the CI role the workflows assume through OIDC.
 *
 * Events: Organizations records its API calls and the completion of CreateAccount / CloseAccount in CloudTrail in its
 * own region (us-east-1 for aws, us-gov-west-1, cn-northwest-1), so the rules live there. The completion events are
 * "AWS Service Event via CloudTrail", the calls "AWS API Call via CloudTrail": the rule matches both. Failed calls
 * (an errorCode in the record) are not routed. Account renames are Account Management's PutAccountName
 * (source aws.account). Control Tower's CreateManagedAccount / UpdateManagedAccount are service events in its home
 * region: optional, with their own rule, destination and queue there.
 *
 * Delivery: an API destination (POST https://api.github.com/repos/<owner>/<repo>/dispatches, at most 1 call per
 * second) through a connection whose API key is `Authorization: Bearer <token>`, the token from a sensitive Terraform
 * variable (never in the files). The target's input transformer sends the whole event as client_payload.event
 * (the predefined <aws.events.event.json>, present in every event, so no path can be missing); `orgtrust sync --event`
 * reads the ids from it. Retries (retry_policy) and then an SQS dead-letter queue keep what GitHub refused.
 */

export const DISPATCH_EVENT_TYPE = "orgtrust-org-changed";

/** The Organizations events that change what orgtrust reads (issue 12; CloudTrail event names). */
export const ORGANIZATIONS_EVENT_NAMES = [
  "CreateAccountResult",
  "AccountJoinedOrganization",
  "AccountDepartedOrganization",
  "AcceptHandshake",
  "InviteAccountToOrganization",
  "MoveAccount",
  "RemoveAccountFromOrganization",
  "CloseAccountResult",
  "CreateOrganizationalUnit",
  "UpdateOrganizationalUnit",
  "DeleteOrganizationalUnit",
  "TagResource",
  "UntagResource",
] as const;

export const CLOUDTRAIL_DETAIL_TYPES = ["AWS API Call via CloudTrail", "AWS Service Event via CloudTrail"] as const;

/** Event patterns, as EventBridge reads them. */
export function organizationsPattern(): Record<string, unknown> {
  return {
    source: ["aws.organizations"],
    "detail-type": [...CLOUDTRAIL_DETAIL_TYPES],
    detail: {
      eventSource: ["organizations.amazonaws.com"],
      eventName: [...ORGANIZATIONS_EVENT_NAMES],
      errorCode: [{ exists: false }],
    },
  };
}

export function accountRenamePattern(): Record<string, unknown> {
  return {
    source: ["aws.account"],
    "detail-type": ["AWS API Call via CloudTrail"],
    detail: { eventSource: ["account.amazonaws.com"], eventName: ["PutAccountName"], errorCode: [{ exists: false }] },
  };
}

export function controlTowerPattern(): Record<string, unknown> {
  return {
    source: ["aws.controltower"],
    "detail-type": ["AWS Service Event via CloudTrail"],
    detail: {
      eventSource: ["controltower.amazonaws.com"],
      eventName: ["CreateManagedAccount", "UpdateManagedAccount"],
    },
  };
}

/** The body POSTed to the dispatches API. */
export const DISPATCH_INPUT_TEMPLATE = `{"event_type":"${DISPATCH_EVENT_TYPE}","client_payload":{"event":<aws.events.event.json>}}`;

export interface SyncDispatchProps {
  readonly partition: Partition;
  readonly accountId: string;
  readonly region: string;
  /** owner/name */
  readonly repository: string;
  /** The GitHub token (a Terraform reference to a sensitive variable). */
  readonly token: string;
  /** Rule name -> event pattern. */
  readonly rules: Record<string, Record<string, unknown>>;
  /** Names start with this (default orgtrust-sync). */
  readonly namePrefix?: string;
  readonly provider?: TerraformProvider;
}

/**
 * One region's delivery: the rules, the connection and API destination, the target (input transformer, retry policy,
 * dead-letter queue), the role EventBridge uses to invoke the destination (events:InvokeApiDestination on it only),
 * and the queue's policy (only these rules may send to it).
 */
export class SyncDispatch extends Construct {
  readonly rules: CloudwatchEventRule[] = [];
  readonly deadLetterQueue: SqsQueue;
  readonly apiDestination: CloudwatchEventApiDestination;

  constructor(scope: Construct, id: string, props: SyncDispatchProps) {
    super(scope, id);
    const prefix = props.namePrefix ?? "orgtrust-sync";
    const provider = props.provider;
    const arnBase = `arn:${props.partition}:events:${props.region}:${props.accountId}`;
    this.deadLetterQueue = new SqsQueue(this, "dlq", {
      provider,
      name: `${prefix}-dlq`,
      messageRetentionSeconds: 1_209_600,
      sqsManagedSseEnabled: true,
    });
    const connection = new CloudwatchEventConnection(this, "github", {
      provider,
      name: `${prefix}-github`,
      description: "orgtrust sync: GitHub API token (Authorization: Bearer) for repository_dispatch",
      authorizationType: "API_KEY",
      authParameters: { apiKey: { key: "Authorization", value: `Bearer ${props.token}` } },
    });
    const destinationName = `${prefix}-github-dispatch`;
    this.apiDestination = new CloudwatchEventApiDestination(this, "dispatch", {
      provider,
      name: destinationName,
      description: `orgtrust sync: repository_dispatch ${DISPATCH_EVENT_TYPE} to ${props.repository}`,
      connectionArn: connection.arn,
      invocationEndpoint: `https://api.github.com/repos/${props.repository}/dispatches`,
      httpMethod: "POST",
      invocationRateLimitPerSecond: 1,
    });
    const role = new IamRole(this, "invoke_role", {
      provider,
      name: `${prefix}-invoke-${props.region}`,
      description: "orgtrust sync: lets EventBridge call the GitHub dispatch API destination",
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": props.accountId } },
          },
        ],
      }),
    });
    new IamRolePolicy(this, "invoke_policy", {
      provider,
      name: "invoke-github-dispatch",
      role: role.name,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: "events:InvokeApiDestination",
            Resource: `${arnBase}:api-destination/${destinationName}/*`,
          },
        ],
      }),
    });
    const ruleNames = Object.keys(props.rules).sort();
    for (const name of ruleNames) {
      const rule = new CloudwatchEventRule(this, `rule_${name.replace(/[^A-Za-z0-9]/g, "_")}`, {
        provider,
        name: `${prefix}-${name}`,
        description: `orgtrust sync: ${name} -> repository_dispatch ${DISPATCH_EVENT_TYPE}`,
        eventPattern: JSON.stringify(props.rules[name]),
      });
      this.rules.push(rule);
      new CloudwatchEventTarget(this, `target_${name.replace(/[^A-Za-z0-9]/g, "_")}`, {
        provider,
        rule: rule.name,
        targetId: "github-dispatch",
        arn: this.apiDestination.arn,
        roleArn: role.arn,
        inputTransformer: { inputTemplate: DISPATCH_INPUT_TEMPLATE },
        httpTarget: {
          headerParameters: { Accept: "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28" },
        },
        retryPolicy: { maximumRetryAttempts: 24, maximumEventAgeInSeconds: 7200 },
        deadLetterConfig: { arn: this.deadLetterQueue.arn },
      });
    }
    new SqsQueuePolicy(this, "dlq_policy", {
      provider,
      queueUrl: this.deadLetterQueue.url,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "EventBridgeDeadLetters",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: this.deadLetterQueue.arn,
            Condition: { ArnEquals: { "aws:SourceArn": ruleNames.map((n) => `${arnBase}:rule/${prefix}-${n}`) } },
          },
        ],
      }),
    });
  }
}

export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";

/** The `sub` the CI role trusts: the environment's, else the branch's (GitHub OIDC subject claim formats). */
export function githubSubject(repository: string, branch: string, environment: string | null): string {
  return environment ? `repo:${repository}:environment:${environment}` : `repo:${repository}:ref:refs/heads/${branch}`;
}

/** Trust policy of the CI role: GitHub's OIDC provider, audience sts.amazonaws.com, exactly one subject. */
export function ciTrustPolicy(partition: Partition, accountId: string, subject: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "GitHubActionsOidc",
        Effect: "Allow",
        Principal: { Federated: `arn:${partition}:iam::${accountId}:oidc-provider/${GITHUB_OIDC_HOST}` },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: "sts.amazonaws.com", [`${GITHUB_OIDC_HOST}:sub`]: subject },
        },
      },
    ],
  } as unknown as PolicyDocument;
}

export interface SyncTriggerStackProps {
  readonly partition: Partition;
  readonly managementAccountId: string;
  readonly repository: string;
  readonly branch: string;
  readonly environment: string | null;
  readonly ciRole: { name: string; path: string };
  /** The CI role's permissions: the discovery policy of every integration plus what sync and drift read. */
  readonly ciPolicy: PolicyDocument;
  /** Create GitHub's OIDC provider in the account (default true; false when it exists already). */
  readonly createOidcProvider?: boolean;
  /** Control Tower's home region, to route CreateManagedAccount / UpdateManagedAccount too. */
  readonly controlTowerHomeRegion?: string;
}

/** The Terraform variable holding the GitHub token (TF_VAR_github_dispatch_token). */
export const TOKEN_VARIABLE = "github_dispatch_token";

/** The trigger stack in the management account, in the partition's Organizations region (synth: stacks/orgtrust-sync). */
export class SyncTriggerStack extends TerraformStack {
  readonly dispatch: SyncDispatch;
  readonly controlTowerDispatch?: SyncDispatch;
  readonly ciRole: IamRole;

  constructor(scope: Construct, id: string, props: SyncTriggerStackProps) {
    super(scope, id);
    new LocalBackend(this, { path: `terraform.${id}.tfstate` });
    this.addOverride("terraform.required_version", ">= 1.11.0");
    const region = organizationsRegion(props.partition);
    new AwsProvider(this, "aws", { region, allowedAccountIds: [props.managementAccountId] });
    const token = new TerraformVariable(this, TOKEN_VARIABLE, {
      type: "string",
      sensitive: true,
      description: `GitHub token that may create repository_dispatch events on ${props.repository} (a fine-grained token with Contents: read and write, or a GitHub App's): export TF_VAR_${TOKEN_VARIABLE}=... before terraform apply`,
    });
    this.dispatch = new SyncDispatch(this, "dispatch", {
      partition: props.partition,
      accountId: props.managementAccountId,
      region,
      repository: props.repository,
      token: token.stringValue,
      rules: { organizations: organizationsPattern(), "account-name": accountRenamePattern() },
    });
    if (props.controlTowerHomeRegion) {
      const ct = new AwsProvider(this, "aws_control_tower", {
        alias: "control_tower",
        region: props.controlTowerHomeRegion,
        allowedAccountIds: [props.managementAccountId],
      });
      this.controlTowerDispatch = new SyncDispatch(this, "control_tower_dispatch", {
        partition: props.partition,
        accountId: props.managementAccountId,
        region: props.controlTowerHomeRegion,
        repository: props.repository,
        token: token.stringValue,
        rules: { "control-tower": controlTowerPattern() },
        namePrefix: "orgtrust-sync-ct",
        provider: ct,
      });
    }
    const oidc =
      (props.createOidcProvider ?? true)
        ? new IamOpenidConnectProvider(this, "github_oidc", {
            url: `https://${GITHUB_OIDC_HOST}`,
            clientIdList: ["sts.amazonaws.com"],
          })
        : undefined;
    const subject = githubSubject(props.repository, props.branch, props.environment);
    this.ciRole = new IamRole(this, "ci_role", {
      name: props.ciRole.name,
      path: props.ciRole.path,
      description: `orgtrust sync and drift from GitHub Actions (${subject})`,
      maxSessionDuration: 3600,
      dependsOn: oidc ? [oidc] : undefined,
      assumeRolePolicy: JSON.stringify(ciTrustPolicy(props.partition, props.managementAccountId, subject)),
    });
    new IamRolePolicy(this, "ci_policy", {
      name: "orgtrust-sync-ci",
      role: this.ciRole.name,
      policy: JSON.stringify(props.ciPolicy),
    });
    new TerraformOutput(this, "ci_role_arn", {
      value: this.ciRole.arn,
      description: "role-to-assume for the workflows (orgtrust init --ci github writes it)",
    });
    new TerraformOutput(this, "dead_letter_queue_url", {
      value: this.dispatch.deadLetterQueue.url,
      description: "dispatches GitHub refused after every retry land here",
    });
  }
}
