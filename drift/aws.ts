import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { IAMClient } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { ROLE_READ_ACTIONS } from "../constructs/member-role-policy";
import { CallStats, clientConfig, instrument } from "../aws/client";
import { credentialsFor, describeCredentials } from "../aws/credentials";
import { explainAwsError } from "../aws/errors";
import type { AwsOptions } from "../aws/options";
import { collectPages, plainGuard } from "../aws/paginate";
import { rateControlled, rateController } from "../aws/rate";

/**
 * The session policy for `drift --deep` in a member account. The audit role there (OrganizationAccountAccessRole by
 * default) is usually an administrator; a session policy caps the session at the intersection of the role's
 * permissions and this policy (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session),
 * so the session can make only the IAM role reads the check makes (ROLE_READ_ACTIONS), on roles of that account.
 */
export function deepSessionPolicy(auditRoleArn: string) {
  const [, partition, , , account] = auditRoleArn.split(":");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "OrgtrustDriftRoleReads",
        Effect: "Allow",
        Action: [...ROLE_READ_ACTIONS],
        Resource: `arn:${partition}:iam::${account}:role/*`,
      },
    ],
  };
}

/**
 * The AWS side of a drift run: one credential provider (the standard chain, a profile, or --role-arn assumed
 * first), clients built with discovery's configuration (retry strategy, endpoints) and middleware (aws/client.ts
 * instrument: orgtrust's tries on top of the SDK's, every call counted in one CallStats; the rate controller).
 */
export class DriftAws {
  readonly stats = new CallStats();
  readonly credentials: AwsCredentialIdentityProvider;
  /** The caller, for error messages (describeCredentials): the role, the profile, or the default chain. */
  readonly who: string;
  private readonly cfn = new Map<string, CloudFormationClient>();
  private iamClient?: IAMClient;
  private stsClient?: STSClient;

  constructor(readonly opts: AwsOptions) {
    this.credentials = credentialsFor(opts);
    rateController().configure({ maxRate: opts.maxRate, concurrency: opts.concurrency, debug: opts.tuning?.rateDebug });
    this.who = describeCredentials(opts);
  }

  cloudFormation(region: string): CloudFormationClient {
    let c = this.cfn.get(region);
    if (!c) {
      c = this.wire(new CloudFormationClient({ ...clientConfig(this.opts, "other", this.credentials), region }));
      this.cfn.set(region, c);
    }
    return c;
  }

  iam(): IAMClient {
    return (this.iamClient ??= this.wire(new IAMClient(clientConfig(this.opts, "other", this.credentials))));
  }

  sts(): STSClient {
    return (this.stsClient ??= this.wire(new STSClient(clientConfig(this.opts, "other", this.credentials))));
  }

  /** The middleware every drift client carries, added once: orgtrust's tries, call counting, the rate controller. */
  private wire<C extends CloudFormationClient | IAMClient | STSClient>(client: C): C {
    return rateControlled(instrument(client, { stats: this.stats, retryBaseMs: this.opts.tuning?.retryBaseMs }));
  }

  /** One logical call (the client retries and counts it); failures become an AwsFailure (exit 3) naming the action and the fix. */
  async call<T>(op: string, service: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (e) {
      throw explainAwsError(e, op, service, this.who);
    }
  }

  /** One logical call; failures are thrown as the SDK raised them (the caller turns them into findings). */
  raw<T>(op: string, send: () => Promise<T>): Promise<T> {
    return send();
  }

  /**
   * Every item of a listing read through one of the SDK's paginators, with the crawl's guards (aws/paginate.ts: a
   * token seen twice, a page cap). With `explain` (the default) failures become an AwsFailure as in call(); without,
   * they are thrown as raised.
   */
  async collect<P, T>(
    op: string,
    service: string,
    what: string,
    pages: AsyncIterable<P>,
    tokenOf: (p: P) => string | undefined,
    items: (p: P) => readonly T[] | undefined,
    explain = true,
  ): Promise<T[]> {
    try {
      return await collectPages(pages, plainGuard(`${service}:${op}`, what, tokenOf), (p) => items(p) ?? []);
    } catch (e) {
      throw explain ? explainAwsError(e, op, service, this.who) : e;
    }
  }

  /** The account the credentials belong to. */
  async callerAccount(): Promise<string> {
    const out = await this.call("GetCallerIdentity", "sts", () => this.sts().send(new GetCallerIdentityCommand({})));
    return out.Account ?? "";
  }

  /**
   * Assumes `roleArn` (the audit role in a member account) and returns an IAM client acting there. Errors are
   * thrown as raised (access denied, no such role): the deep check reports them as findings.
   */
  async iamIn(roleArn: string): Promise<IAMClient> {
    const out = await this.raw("AssumeRole", () =>
      this.sts().send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: "orgtrust-drift",
          DurationSeconds: 900,
          Policy: JSON.stringify(deepSessionPolicy(roleArn)),
        }),
      ),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole ${roleArn} returned no credentials`);
    return this.wire(
      new IAMClient(
        clientConfig(this.opts, "other", async () => ({
          accessKeyId: c.AccessKeyId!,
          secretAccessKey: c.SecretAccessKey!,
          sessionToken: c.SessionToken,
          expiration: c.Expiration,
        })),
      ),
    );
  }

  destroy(): void {
    for (const c of this.cfn.values()) c.destroy();
    this.iamClient?.destroy();
    this.stsClient?.destroy();
  }
}
