import { AwsFailure, OrgtrustError } from "../common/errors";

interface AwsErr {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { attempts?: number; httpStatusCode?: number };
}

/**
 * Turns an AWS SDK or network error into a one-line AwsFailure (exit 3) that says what happened and what to do.
 * `operation` is the API operation, e.g. "ListAccountsForParent"; `service` its IAM prefix, e.g. "organizations".
 * `who` names the role or profile in use, for access-denied messages.
 */
export function explainAwsError(e: unknown, operation: string, service: string, who: string): OrgtrustError {
  if (e instanceof OrgtrustError) return e;
  const err = (e ?? {}) as AwsErr;
  const name = err.name ?? "Error";
  const msg = (err.message ?? String(e)).split("\n")[0];
  const action = `${service}:${operation}`;
  switch (name) {
    case "AWSOrganizationsNotInUseException":
      return new AwsFailure(
        `${action}: the account behind ${who} is not in an AWS Organization (fix: run from the management account or a delegated administrator, e.g. pass --role-arn of the discovery role there)`,
        e,
      );
    case "AccessDeniedException":
    case "AccessDenied":
    case "UnauthorizedOperation": {
      const principal = /User: (\S+)/.exec(msg)?.[1] ?? who;
      return new AwsFailure(
        `access denied: ${principal} may not call ${action} (fix: grant ${action} to that role, e.g. deploy the orgtrust discovery role and pass --role-arn)`,
        e,
      );
    }
    case "ExpiredToken":
    case "ExpiredTokenException":
    case "RequestExpired":
      return new AwsFailure(
        `the AWS credentials (${who}) have expired (fix: refresh them, e.g. \`aws sso login\`, or re-export the session)`,
        e,
      );
    case "InvalidClientTokenId":
    case "UnrecognizedClientException":
    case "SignatureDoesNotMatch":
      return new AwsFailure(
        `AWS rejected the credentials (${who}): ${name} (fix: check the access key, profile or session token)`,
        e,
      );
    case "CredentialsProviderError":
      return new AwsFailure(
        `no AWS credentials found: ${msg} (fix: pass --profile, run \`aws sso login\`, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)`,
        e,
      );
    case "TooManyRequestsException":
    case "ThrottlingException":
    case "Throttling":
      return new AwsFailure(
        `${action}: AWS kept throttling after every retry (fix: lower --concurrency or run again later)`,
        e,
      );
    case "ConcurrentModificationException":
      return new AwsFailure(
        `${action}: the organization kept changing under the crawl (ConcurrentModificationException) (fix: run again when the change is done)`,
        e,
      );
  }
  if (err.code && /^E[A-Z]+/.test(err.code)) {
    return new AwsFailure(
      `${action}: network error ${err.code}: ${msg} (fix: check connectivity, proxy settings and AWS_ENDPOINT_URL)`,
      e,
    );
  }
  if (/socket hang up|ECONNRESET|timed? ?out/i.test(msg)) {
    return new AwsFailure(
      `${action}: network error: ${msg} (fix: check connectivity and AWS_ENDPOINT_URL, then run again)`,
      e,
    );
  }
  const status = err.$metadata?.httpStatusCode;
  return new AwsFailure(
    `${action} failed: ${name}${status ? ` (HTTP ${status})` : ""}: ${msg} (fix: see the AWS error above, then run again)`,
    e,
  );
}

interface AwsErrorLike {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Errors worth another try after the SDK gave up: throttling, ConcurrentModification, 5xx, dropped connections. */
export function isRetryableAwsError(e: unknown): boolean {
  const err = e as AwsErrorLike;
  const name = err?.name ?? "";
  if (
    [
      "TooManyRequestsException",
      "ThrottlingException",
      "Throttling",
      "ConcurrentModificationException",
      "ServiceException",
      "RequestTimeout",
      "TimeoutError",
    ].includes(name)
  )
    return true;
  if ((err?.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  const code = err?.code ?? "";
  return (
    ["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ESOCKETTIMEDOUT", "EAI_AGAIN"].includes(code) ||
    /socket hang up/i.test(String((e as Error)?.message))
  );
}
