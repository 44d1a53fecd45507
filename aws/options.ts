import { partitionOfArn, type Partition } from "../common/ids";

/**
 * Knobs for tests and benchmarks (cli/env.ts reads them from ORGTRUST_MAX_ATTEMPTS, ORGTRUST_RETRY_BASE_MS,
 * ORGTRUST_REQUEST_TIMEOUT_MS, ORGTRUST_ROLE_SESSION_SECONDS, ORGTRUST_RATE_DEBUG and AWS_RETRY_MODE); the engine
 * reads no environment variable of its own. Every field has a default.
 */
export interface AwsTuning {
  /** SDK attempts per try (default 5). */
  maxAttempts?: number;
  /** A fixed base for every retry backoff in ms (default: 100 ms for the SDK's attempts, 250 ms for orgtrust's tries). */
  retryBaseMs?: number;
  /** The HTTP handler's socket request timeout in ms (default 30,000). */
  socketTimeoutMs?: number;
  /** Session duration for assumed roles in seconds when AwsOptions.sessionDurationSeconds is not set (default 3,600). */
  roleSessionSeconds?: number;
  /** Prints the rate controller's decisions on stderr. */
  rateDebug?: boolean;
  /** "standard" or "adaptive": the SDK's own retry strategies instead of orgtrust's (for comparison in bench/discover.ts). */
  sdkRetryMode?: "standard" | "adaptive";
}

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
  /** Ceiling on AWS calls per second for the whole process (--max-rate, organization.maxRate; aws/rate.ts). */
  maxRate?: number;
  /** Bounds on discovery (org/discover.ts DiscoveryLimits): --request-timeout, --deadline, --max-pages. */
  limits?: { requestTimeoutMs?: number; deadlineMs?: number; maxPagesPerListing?: number };
  tuning?: AwsTuning;
}

/** The partition to talk to: from the config, the role ARN, or the region given; commercial otherwise. */
export function partitionFor(opts: AwsOptions): Partition {
  if (opts.partition) return opts.partition;
  if (opts.roleArn) return partitionOfArn(opts.roleArn) ?? "aws";
  if (opts.region?.startsWith("us-gov-")) return "aws-us-gov";
  if (opts.region?.startsWith("cn-")) return "aws-cn";
  return "aws";
}
