import { fromIni, fromNodeProviderChain, fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { AwsFailure, InputError } from "../common/errors";
import { defaultRegion, partitionOfArn } from "../common/ids";
import { requestTimeouts, sdkRetryStrategy } from "./client";
import { partitionFor, type AwsOptions } from "./options";

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
        refreshAt =
          expires === undefined
            ? Number.POSITIVE_INFINITY
            : expires - Math.min(300_000, Math.max(0, (expires - Date.now()) / 2));
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
  const key = JSON.stringify([
    opts.profile,
    opts.roleArn,
    opts.externalId,
    opts.region,
    opts.partition,
    opts.sessionDurationSeconds ?? opts.tuning?.roleSessionSeconds,
  ]);
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
    throw new InputError(
      `--role-arn ${opts.roleArn}: partition does not match the organization's "${opts.partition}" (fix: use an arn:${opts.partition}:iam::... role)`,
    );
  }
  // Re-assumed by sharedCredentials shortly before the session expires, so long crawls survive the one-hour cap on
  // chained sessions.
  const assume = fromTemporaryCredentials({
    masterCredentials: base,
    params: {
      RoleArn: opts.roleArn,
      RoleSessionName: "orgtrust",
      ExternalId: opts.externalId,
      DurationSeconds: opts.sessionDurationSeconds ?? opts.tuning?.roleSessionSeconds ?? 3600,
    },
    clientConfig: {
      region: opts.region ?? defaultRegion(p),
      retryStrategy: sdkRetryStrategy(opts.tuning),
      requestHandler: requestTimeouts(opts.tuning),
    },
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

/** Names the credentials in use for error messages: the role, the profile, or the default chain. Never a secret. */
export function describeCredentials(opts: AwsOptions): string {
  return opts.roleArn
    ? `role ${opts.roleArn}`
    : opts.profile
      ? `profile ${opts.profile}`
      : "the default credential chain";
}
