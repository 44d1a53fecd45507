import { AdaptiveRetryStrategy, StandardRetryStrategy } from "@smithy/core/retry";
import type { AwsCredentialIdentityProvider, RetryStrategyV2 } from "@smithy/types";
import { defaultRegion, organizationsRegion } from "../common/ids";
import { sleep } from "../common/limit";
import { isRetryableAwsError } from "./errors";
import { partitionFor, type AwsOptions, type AwsTuning } from "./options";
import { CrawlRetryStrategy } from "./rate";
import { TRY_SIGNAL, trySignalOf, type WithTrySignal } from "./try-signal";
import { byEntryKey } from "../common/compare";

/**
 * How every AWS client of orgtrust is built (discovery, drift, sync): the SDK configuration (region, credentials,
 * retry strategy, socket timeouts) and the middleware added once per client (instrument): orgtrust's tries on top of
 * the SDK's attempts, call counting, per-try and whole-run deadlines, and the process-wide rate controller
 * (aws/rate.ts rateControlled).
 */

/**
 * Retries. The default is CrawlRetryStrategy (aws/rate.ts): the SDK's retry classification plus
 * ConcurrentModificationException, jittered backoff waited by the retrying request alone, no retry quota; the pacing
 * is the process-wide rate controller's (rateControlled). tuning.sdkRetryMode selects the SDK's own strategies (for
 * comparison in bench/discover.ts); tuning.retryBaseMs a fixed backoff base, tuning.maxAttempts the SDK's attempts.
 */
export function sdkRetryStrategy(tuning: AwsTuning = {}): RetryStrategyV2 {
  const maxAttempts = tuning.maxAttempts ?? 5;
  if (tuning.sdkRetryMode === "standard") return new StandardRetryStrategy(async () => maxAttempts);
  if (tuning.sdkRetryMode === "adaptive") return new AdaptiveRetryStrategy(async () => maxAttempts);
  return new CrawlRetryStrategy(maxAttempts, tuning.retryBaseMs);
}

/** Socket timeouts, so a hung connection becomes a retryable TimeoutError instead of a stuck run (default 30 s). */
export function requestTimeouts(tuning: AwsTuning = {}) {
  return { requestTimeout: tuning.socketTimeoutMs ?? 30_000, connectionTimeout: 5_000, throwOnRequestTimeout: true };
}

/** Shared client configuration. AWS_ENDPOINT_URL (and per-service variants) is read by the SDK itself. */
export function clientConfig(
  opts: AwsOptions,
  service: "organizations" | "other",
  credentials: AwsCredentialIdentityProvider,
) {
  const p = partitionFor(opts);
  return {
    region: service === "organizations" ? organizationsRegion(p) : (opts.region ?? defaultRegion(p)),
    credentials,
    retryStrategy: sdkRetryStrategy(opts.tuning),
    requestHandler: requestTimeouts(opts.tuning),
    ...(opts.profile ? { profile: opts.profile } : {}),
  };
}

/** Counts logical calls (one per operation, whatever the retries) and HTTP attempts. */
export class CallStats {
  readonly calls = new Map<string, number>();
  attempts = 0;
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
    return {
      total: this.total,
      attempts: this.attempts,
      byOperation: Object.fromEntries([...this.calls].sort(byEntryKey)),
    };
  }
}

/** Bounds on every try of an instrumented client (discovery's --request-timeout and --deadline). */
export interface TryBounds {
  /** Each try, from sending to the last byte of the answer (the SDK's attempts of that try included). */
  requestTimeoutMs: number;
  /** The whole run: once aborted, no try starts and the one in flight ends. */
  deadline: AbortSignal;
}

/** Raised by an instrumented client when the run's deadline passed. */
export class DeadlineExceeded extends Error {
  override name = "DeadlineExceeded";
}

/** Raised (after the last try) when no try got a complete answer within TryBounds.requestTimeoutMs. */
export class RequestTimedOut extends Error {
  override name = "TimeoutError";
  readonly requestTimeout = true;
}

export interface InstrumentOptions {
  stats: CallStats;
  /** Tries per logical call (orgtrust's, each with the SDK's attempts; default 8). */
  tries?: number;
  /** Backoff base between tries in ms (default 250; full jitter, doubling, capped at 20 s). */
  retryBaseMs?: number;
  bounds?: TryBounds;
}

interface StackClient {
  // The one untyped seam: each SDK client's MiddlewareStack is generic in that client's input and output types, and
  // the middleware added here works on every client alike.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above: a generic client's middleware stack
  middlewareStack: { add: (mw: any, opts: any) => void };
  config: { requestHandler?: unknown };
}

interface AttemptsMeta {
  $metadata?: { attempts?: number };
}

/**
 * Adds orgtrust's tries and call counting to a client, once (middleware at the initialize step, outside the SDK's
 * retry loop): ConcurrentModificationException is not retried by the SDK, and a throttling storm can exhaust the SDK's
 * attempts, so a retryable error (isRetryableAwsError) gets up to `tries` sends with exponential backoff and full
 * jitter. Each logical call is counted once in `stats` with its HTTP attempts. With `bounds`, each try gets its own
 * request timeout and the run's deadline, down to the socket (the HTTP handler is wrapped to honour them).
 */
export function instrument<C extends StackClient>(client: C, o: InstrumentOptions): C {
  const tries = o.tries ?? 8;
  const base = o.retryBaseMs ?? 250;
  const bounds = o.bounds;
  if (bounds) boundHandler(client);
  client.middlewareStack.add(
    (
      next: (args: unknown) => Promise<AttemptsMeta & { output?: AttemptsMeta }>,
      context: { commandName?: string } & WithTrySignal,
    ) =>
      async (args: unknown) => {
        const op = (context.commandName ?? "").replace(/Command$/, "");
        let attempts = 0;
        for (let i = 1; ; i++) {
          try {
            const out = bounds ? await boundedTry(bounds, context, () => next(args)) : await next(args);
            attempts += out.output?.$metadata?.attempts ?? 1;
            o.stats.record(op, attempts);
            return out;
          } catch (e) {
            attempts += (e as AttemptsMeta)?.$metadata?.attempts ?? 1;
            if (i >= tries || !isRetryableAwsError(e)) {
              o.stats.record(op, attempts);
              throw e;
            }
            await sleep(Math.random() * Math.min(20_000, base * 2 ** i));
            if (bounds?.deadline.aborted) {
              o.stats.record(op, attempts);
              throw new DeadlineExceeded("deadline");
            }
          }
        }
      },
    { step: "initialize", priority: "high", name: "orgtrustTries", override: true },
  );
  return client;
}

async function boundedTry<T>(bounds: TryBounds, context: WithTrySignal, send: () => Promise<T>): Promise<T> {
  if (bounds.deadline.aborted) throw new DeadlineExceeded("deadline");
  const request = AbortSignal.timeout(bounds.requestTimeoutMs);
  context[TRY_SIGNAL] = AbortSignal.any([bounds.deadline, request]);
  try {
    return await send();
  } catch (e) {
    if (bounds.deadline.aborted) throw new DeadlineExceeded("deadline");
    if (request.aborted)
      throw new RequestTimedOut(`no complete answer within ${Number((bounds.requestTimeoutMs / 1000).toFixed(3))} s`);
    throw e;
  }
}

interface Handler {
  handle(request: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
  destroy?(): void;
  updateHttpClientConfig?(key: never, value: never): void;
  httpHandlerConfigs?(): unknown;
}

/** Wraps the client's HTTP handler so each request also ends with its try's signal (aws/try-signal.ts). */
function boundHandler(client: StackClient): void {
  const inner = client.config.requestHandler as Handler;
  if ((inner as { orgtrustBound?: boolean }).orgtrustBound) return;
  // Each attempt's HTTP request (the SDK's retry builds one per attempt) carries the try's signal to the handler.
  client.middlewareStack.add(
    (next: (args: { request?: unknown }) => Promise<unknown>, context: WithTrySignal) =>
      (args: { request?: unknown }) => {
        const s = context[TRY_SIGNAL];
        if (s && args.request && typeof args.request === "object") (args.request as WithTrySignal)[TRY_SIGNAL] = s;
        return next(args);
      },
    { step: "finalizeRequest", priority: "low", name: "orgtrustTrySignal", override: true },
  );
  const wrapped: Handler & { orgtrustBound: true } = {
    orgtrustBound: true,
    handle(request, options = {}) {
      const s = trySignalOf(request);
      if (!s) return inner.handle(request, options);
      return inner.handle(request, {
        ...options,
        abortSignal: options.abortSignal ? AbortSignal.any([options.abortSignal, s]) : s,
      });
    },
    destroy: () => inner.destroy?.(),
    updateHttpClientConfig: (k, v) => inner.updateHttpClientConfig?.(k, v),
    httpHandlerConfigs: () => inner.httpHandlerConfigs?.() ?? {},
  };
  client.config.requestHandler = wrapped;
}
