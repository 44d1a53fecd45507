import { fromIni, fromNodeProviderChain, fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { AdaptiveRetryStrategy, StandardRetryStrategy } from "@smithy/core/retry";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, RetryStrategyV2 } from "@smithy/types";
import { AwsFailure, InputError } from "../common/errors";
import { defaultRegion, organizationsRegion, partitionOfArn, type Partition } from "../common/ids";
import { sleep } from "../common/limit";
import { CrawlRetryStrategy } from "./rate";

/** How orgtrust reaches AWS: the standard chain, a profile, and optionally a role to assume first. */
export interface AwsOptions {
  profile?: string;
  /** Region for STS (and, through its partition, the Organizations endpoint). */
  region?: string;
  roleArn?: string;
  /** External ID for roleArn. A secret: never logged. */
  externalId?: string;
  concurrency: number;
  /** Partition from the config, when known before the first call. */
  partition?: Partition;
  /** Session duration for assumed roles in seconds (default 3600). The SDK refreshes expiring credentials. */
  sessionDurationSeconds?: number;
  /** Ceiling on AWS calls per second for the whole process (--max-rate, organization.maxRate; org/rate.ts). */
  maxRate?: number;
  /** Bounds on discovery (org/discover.ts DiscoveryLimits): --request-timeout, --deadline, --max-pages. */
  limits?: { requestTimeoutMs?: number; deadlineMs?: number; maxPagesPerListing?: number };
}

/**
 * Retries. The default is CrawlRetryStrategy (org/rate.ts): the SDK's retry classification plus
 * ConcurrentModificationException, jittered backoff waited by the retrying request alone, no retry quota; the pacing
 * is the process-wide rate controller's (rateControlled). AWS_RETRY_MODE=standard or adaptive selects the SDK's own
 * strategies (for comparison in bench/discover.ts). ORGTRUST_RETRY_BASE_MS sets a fixed backoff base (tests,
 * benchmarks). ORGTRUST_MAX_ATTEMPTS sets SDK attempts per call (default 5).
 */
export function sdkRetryStrategy(): RetryStrategyV2 {
  const maxAttempts = Number(process.env.ORGTRUST_MAX_ATTEMPTS ?? 5);
  const base = process.env.ORGTRUST_RETRY_BASE_MS;
  if (process.env.AWS_RETRY_MODE === "standard") return new StandardRetryStrategy(async () => maxAttempts);
  if (process.env.AWS_RETRY_MODE === "adaptive") return new AdaptiveRetryStrategy(async () => maxAttempts);
  return new CrawlRetryStrategy(maxAttempts, base === undefined ? undefined : Number(base));
}

/**
 * Socket timeouts, so a hung connection becomes a retryable TimeoutError instead of a stuck run.
 * ORGTRUST_REQUEST_TIMEOUT_MS overrides the 30 s request timeout.
 */
export function requestTimeouts() {
  return { requestTimeout: Number(process.env.ORGTRUST_REQUEST_TIMEOUT_MS ?? 30_000), connectionTimeout: 5_000, throwOnRequestTimeout: true };
}

/** The partition to talk to: from the config, the role ARN, or the region given; commercial otherwise. */
export function partitionFor(opts: AwsOptions): Partition {
  if (opts.partition) return opts.partition;
  if (opts.roleArn) return partitionOfArn(opts.roleArn) ?? "aws";
  if (opts.region?.startsWith("us-gov-")) return "aws-us-gov";
  if (opts.region?.startsWith("cn-")) return "aws-cn";
  return "aws";
}

/**
 * Shares one set of credentials between every client of the process and refreshes it before it expires: five minutes
 * ahead, or halfway through a session shorter than ten minutes. (Each SDK client memoizes on its own, so without this
 * every client would assume the role again.) Concurrent callers wait for the same refresh.
 */
export function sharedCredentials(provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider {
  let creds: AwsCredentialIdentity | undefined;
  let refreshAt = 0;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  return async (props) => {
    if (creds && Date.now() < refreshAt) return creds;
    pending ??= provider(props)
      .then((c) => {
        const expires = c.expiration?.getTime();
        creds = c;
        refreshAt = expires === undefined ? Number.POSITIVE_INFINITY : expires - Math.min(300_000, Math.max(0, (expires - Date.now()) / 2));
        return c;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}

const providers = new Map<string, AwsCredentialIdentityProvider>();

/** The credentials for these options: one provider per distinct set of options in the process (see sharedCredentials). */
export function credentialsFor(opts: AwsOptions): AwsCredentialIdentityProvider {
  const key = JSON.stringify([opts.profile, opts.roleArn, opts.externalId, opts.region, opts.partition, opts.sessionDurationSeconds]);
  let provider = providers.get(key);
  if (!provider) {
    provider = sharedCredentials(baseCredentials(opts));
    providers.set(key, provider);
  }
  return provider;
}

function baseCredentials(opts: AwsOptions): AwsCredentialIdentityProvider {
  const base = opts.profile ? fromIni({ profile: opts.profile }) : fromNodeProviderChain();
  if (!opts.roleArn) return base;
  const p = partitionFor(opts);
  if (opts.partition && partitionOfArn(opts.roleArn) !== opts.partition) {
    throw new InputError(`--role-arn ${opts.roleArn}: partition does not match the organization's "${opts.partition}" (fix: use an arn:${opts.partition}:iam::... role)`);
  }
  // Re-assumed by sharedCredentials shortly before the session expires, so long crawls survive the one-hour cap on
  // chained sessions.
  const assume = fromTemporaryCredentials({
    masterCredentials: base,
    params: {
      RoleArn: opts.roleArn,
      RoleSessionName: "orgtrust",
      ExternalId: opts.externalId,
      DurationSeconds: opts.sessionDurationSeconds ?? Number(process.env.ORGTRUST_ROLE_SESSION_SECONDS ?? 3600),
    },
    clientConfig: { region: opts.region ?? defaultRegion(p), retryStrategy: sdkRetryStrategy(), requestHandler: requestTimeouts() },
  });
  // A denied AssumeRole surfaces at the first call that needs the credentials (DescribeOrganization): name its real
  // cause, the role's trust policy or the external ID, instead of a missing permission for that call.
  return async (props) => {
    try {
      return await assume(props);
    } catch (e) {
      const name = (e as { name?: string })?.name ?? "";
      if (["AccessDenied", "AccessDeniedException", "InvalidIdentityToken"].includes(name)) {
        const caller = opts.profile ? `profile ${opts.profile}` : "the default credential chain";
        throw new AwsFailure(
          `could not assume role ${opts.roleArn}: sts:AssumeRole was denied (${name}): either the external ID ${opts.externalId ? "passed (--external-id or ORGTRUST_EXTERNAL_ID) is not the one" : "is missing, and"} the role's trust policy requires${opts.externalId ? "" : " one"}, or the trust policy does not trust the caller (${caller}) (fix: pass the external ID the role's trust policy expects, and check that its trust policy names the caller as principal)`,
          e,
        );
      }
      throw e;
    }
  };
}

/** Shared client configuration. AWS_ENDPOINT_URL (and per-service variants) is read by the SDK itself. */
export function clientConfig(opts: AwsOptions, service: "organizations" | "other", credentials: AwsCredentialIdentityProvider) {
  const p = partitionFor(opts);
  return {
    region: service === "organizations" ? organizationsRegion(p) : (opts.region ?? defaultRegion(p)),
    credentials,
    retryStrategy: sdkRetryStrategy(),
    requestHandler: requestTimeouts(),
    ...(opts.profile ? { profile: opts.profile } : {}),
  };
}

/** Names the credentials in use for error messages: the role, the profile, or the default chain. Never a secret. */
export function describeCredentials(opts: AwsOptions): string {
  return opts.roleArn ? `role ${opts.roleArn}` : opts.profile ? `profile ${opts.profile}` : "the default credential chain";
}

/** Counts logical calls (one per operation, whatever the retries) and HTTP attempts. */
export class CallStats {
  readonly calls = new Map<string, number>();
  attempts = 0;
  retriedByOrgtrust = 0;
  get total(): number {
    let n = 0;
    for (const v of this.calls.values()) n += v;
    return n;
  }
  record(op: string, attempts: number): void {
    this.calls.set(op, (this.calls.get(op) ?? 0) + 1);
    this.attempts += attempts;
  }
  toJSON() {
    return { total: this.total, attempts: this.attempts, byOperation: Object.fromEntries([...this.calls].sort(([a], [b]) => (a < b ? -1 : 1))) };
  }
}

interface AwsErrorLike {
  name?: string;
  code?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $retryable?: unknown;
}

/** Errors worth another try after the SDK gave up: throttling, ConcurrentModification, 5xx, dropped connections. */
export function isRetryableAwsError(e: unknown): boolean {
  const err = e as AwsErrorLike;
  const name = err?.name ?? "";
  if (["TooManyRequestsException", "ThrottlingException", "Throttling", "ConcurrentModificationException", "ServiceException", "RequestTimeout", "TimeoutError"].includes(name)) return true;
  if ((err?.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  const code = err?.code ?? "";
  return ["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ESOCKETTIMEDOUT", "EAI_AGAIN"].includes(code) || /socket hang up/i.test(String((e as Error)?.message));
}

/**
 * Sends one logical call with orgtrust's own retry on top of the SDK's: ConcurrentModificationException is not
 * retried by the SDK, and a throttling storm can exhaust the SDK's retry quota. Exponential backoff with full
 * jitter, up to `tries` sends.
 */
export async function sendWithRetry<T>(op: string, stats: CallStats, send: () => Promise<T>, tries = 8): Promise<T> {
  const base = Number(process.env.ORGTRUST_RETRY_BASE_MS ?? 250);
  let attempts = 0;
  for (let i = 1; ; i++) {
    try {
      const out = await send();
      attempts += (out as AwsErrorLike)?.$metadata?.attempts ?? 1;
      stats.record(op, attempts);
      return out;
    } catch (e) {
      attempts += (e as AwsErrorLike)?.$metadata?.attempts ?? 1;
      if (i >= tries || !isRetryableAwsError(e)) {
        stats.record(op, attempts);
        throw e;
      }
      stats.retriedByOrgtrust++;
      await sleep(Math.random() * Math.min(20_000, base * 2 ** i));
    }
  }
}
