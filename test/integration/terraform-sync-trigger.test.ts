import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  DescribeRuleCommand,
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { awsClients, TEST_CREDENTIALS } from "../support/aws-clients";
import { runCli } from "../support/cli";
import { buildOrg, type BuiltOrg } from "../support/org-fixture";
import { describeWithTerraform, planChanges, TerraformWorkspace } from "../support/terraform";

/**
 * The sync trigger stack (stacks/orgtrust-sync) deployed for real: `orgtrust synth --hcl` with a `sync` section, then
 * terraform init/validate/apply into moto (test/support/terraform.ts), a plan right after apply that changes nothing,
 * and the deployed rules, read back from moto's EventBridge, routing a listed event and not a failed call.
 * test/integration/sync-trigger.test.ts proves the synthesized patterns against every listed event; here the point is that what
 * Terraform deploys is that pattern, and that the rest of the stack (connection, API destination, targets, roles,
 * dead-letter queue, OIDC provider and CI role) applies.
 */

const TOKEN = "ghp_orgtrustTerraformTestToken0123456789";

describeWithTerraform("the sync trigger stack under terraform apply (moto)", (moto) => {
  let dir: string;
  let org: BuiltOrg;
  let ws: TerraformWorkspace;
  const aws = () => ({ region: "us-east-1", endpoint: moto().endpoint, credentials: TEST_CREDENTIALS });

  beforeAll(async () => {
    const c = awsClients(moto().endpoint);
    try {
      org = await buildOrg(c, { ous: [{ name: "Workloads", accounts: [{ name: "w1" }] }] });
    } finally {
      c.destroy();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-tf-sync-"));
    fs.writeFileSync(
      path.join(dir, "orgtrust.yaml"),
      `version: 1
organization:
  managementAccountId: "${org.managementAccountId}"
  homeRegion: us-east-1
sync:
  github: { repository: acme/org-config, environment: orgtrust }
integrations:
  cli:
    consumer: aws-cli
    trustedPrincipal: arn:aws:iam::444455556666:role/auditor
    externalId: { source: value, value: "ext-tf-sync-3Hq8Lm2Zx5" }
`,
    );
    const s = await runCli(
      ["synth", "--hcl", "--config", path.join(dir, "orgtrust.yaml"), "--out", path.join(dir, "infra")],
      { cwd: dir },
    );
    if (s.code !== 0) throw new Error(`orgtrust synth exited ${s.code}:\n${s.stderr}`);
    ws = new TerraformWorkspace(path.join(dir, "infra", "stacks", "orgtrust-sync"), {
      endpoint: moto().endpoint,
      env: { TF_VAR_github_dispatch_token: TOKEN },
    });
    await ws.init();
    await ws.validate();
    await ws.apply();
  });
  afterAll(() => ws?.dispose());

  test("apply creates the stack; a plan right after it changes nothing; the token is in no file synth wrote", async () => {
    const state = await ws.state();
    expect(state.resources).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^aws_cloudwatch_event_rule\./),
        expect.stringMatching(/^aws_cloudwatch_event_connection\./),
        expect.stringMatching(/^aws_cloudwatch_event_api_destination\./),
        expect.stringMatching(/^aws_cloudwatch_event_target\./),
        expect.stringMatching(/^aws_sqs_queue\./),
        expect.stringMatching(/^aws_iam_role\./),
        expect.stringMatching(/^aws_iam_openid_connect_provider\./),
      ]),
    );
    expect(planChanges(await ws.plan())).toEqual([]);
    expect(fs.readFileSync(path.join(ws.stackDir, "main.tf"), "utf8")).not.toContain(TOKEN);
  });

  test("the deployed Organizations rule routes a MoveAccount and drops the same call when it failed", async () => {
    const eb = new EventBridgeClient(aws());
    const sqs = new SQSClient(aws());
    try {
      const rules = (await eb.send(new ListRulesCommand({ NamePrefix: "orgtrust-sync" }))).Rules ?? [];
      expect(rules.map((r) => r.Name).sort()).toEqual(
        expect.arrayContaining(["orgtrust-sync-account-name", "orgtrust-sync-organizations"]),
      );
      const rule = await eb.send(new DescribeRuleCommand({ Name: "orgtrust-sync-organizations" }));
      const pattern = JSON.parse(rule.EventPattern!);
      expect(pattern.detail.errorCode).toEqual([{ exists: false }]);
      expect(pattern["detail-type"]).toEqual(["AWS API Call via CloudTrail", "AWS Service Event via CloudTrail"]);
      // The deployed target is the API destination (moto does not call GitHub); a queue beside it shows what matches.
      const targets =
        (await eb.send(new ListTargetsByRuleCommand({ Rule: "orgtrust-sync-organizations" }))).Targets ?? [];
      expect(targets.map((t) => t.Arn)).toEqual([
        expect.stringMatching(/:api-destination\/orgtrust-sync-github-dispatch\//),
      ]);
      const q = await sqs.send(new CreateQueueCommand({ QueueName: "orgtrust-tf-routed" }));
      const arn = (
        await sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.QueueUrl!, AttributeNames: ["QueueArn"] }))
      ).Attributes!.QueueArn!;
      await eb.send(
        new PutTargetsCommand({ Rule: "orgtrust-sync-organizations", Targets: [{ Id: "probe", Arn: arn }] }),
      );
      const detail = (errorCode?: string) =>
        JSON.stringify({
          eventSource: "organizations.amazonaws.com",
          eventName: "MoveAccount",
          eventType: "AwsApiCall",
          requestParameters: { accountId: org.account.w1 },
          ...(errorCode ? { errorCode } : {}),
        });
      const put = await eb.send(
        new PutEventsCommand({
          Entries: [
            { Source: "aws.organizations", DetailType: "AWS API Call via CloudTrail", Detail: detail() },
            { Source: "aws.organizations", DetailType: "AWS API Call via CloudTrail", Detail: detail("AccessDenied") },
          ],
        }),
      );
      expect(put.FailedEntryCount ?? 0).toBe(0);
      const got = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: q.QueueUrl!, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      const arrived = (got.Messages ?? []).map((m) => JSON.parse(m.Body!).detail);
      expect(arrived).toEqual([
        expect.objectContaining({ eventName: "MoveAccount", requestParameters: { accountId: org.account.w1 } }),
      ]);
      expect(arrived[0].errorCode).toBeUndefined();
    } finally {
      eb.destroy();
      sqs.destroy();
    }
  });
});
