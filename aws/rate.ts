import { isThrottlingError, isTransientError } from "@smithy/core/retry";
import type { RetryErrorInfo, RetryStrategyV2, StandardRetryToken } from "@smithy/types";
import { SMITHY_CONTEXT_KEY } from "@smithy/types";
import { trySignalOf } from "./try-signal";

/**
 * One rate controller for the whole process (discovery and drift): every AWS request of a rate-controlled client
 * waits here for a concurrency slot and for its turn in a schedule spaced at the learned rate.
 *
 * How the rate is learned (AIMD, with a check that the throttling really follows the rate):
 * - Slow start: from 20 calls/s, double every second in which the spacing held requests back, until the first
 *   throttle; never above the ceiling (--max-rate or organization.maxRate, else 1,000 calls/s).
 * - A throttle (the SDK's own classification, isThrottlingError) of a request sent after the last decrease, when
 *   throttles in the last 1-2 s exceed the background share by more than 3 standard deviations, sets the learned
 *   limit to the lower of the rate sent at and the success rate of that period corrected for the background (while a
 *   token bucket is empty, successes come at its refill rate), and cuts the rate to 0.9 x that limit. Requests sent
 *   before a decrease do not count again (once per reaction time, as TCP does once per round trip).
 * - Below the limit the rate goes half the way back to it each second (so it sits just under the refill rate instead
 *   of sawing between 0.85x and 1x of it, which cost model B of bench/discover.ts 15%); at the limit it probes upwards
 *   by 1% of it per second, times the seconds spent there (CUBIC-like: careful near the last throttle, faster
 *   beyond it, in case the budget grew).
 * - After each decrease, the next 40 answers tell whether slowing down helped. A token bucket throttles a share of
 *   requests that falls with the rate; random throttling (a shared budget another tool eats) does not. When the share
 *   did not fall by a quarter, the throttling is background: the previous rate comes back and the share becomes the
 *   background that later throttles are measured against. Without this, random throttles drive the rate to its floor,
 *   which is what the SDK's adaptive mode does.
 * Retries (CrawlRetryStrategy) wait their jittered backoff without holding a slot, so they stall nothing else.
 */
export interface RateSettings {
  /** Ceiling in calls per second (--max-rate, organization.maxRate). */
  maxRate?: number;
  /** Requests in flight at most (--concurrency). */
  concurrency?: number;
  /** Prints the controller's decisions on stderr (tuning.rateDebug). */
  debug?: boolean;
}

export const DEFAULT_CEILING = 1000;
const INITIAL_RATE = 20;
const DECREASE = 0.9;
/** Above the learned limit, the rate grows by this share of it per window, times the windows spent above it. */
const PROBE_STEP = 0.01;
const WINDOW_MS = 1000;
const PROBE_ANSWERS = 40;

interface Window {
  start: number;
  attempts: number;
  throttles: number;
  successes: number;
}

export class RateController {
  ceiling = DEFAULT_CEILING;
  rate = INITIAL_RATE;
  maxInFlight = 64;
  debug = false;
  /** Totals, for progress and the benchmark. */
  attempts = 0;
  throttles = 0;
  private inFlight = 0;
  private readonly waiters: Array<() => void> = [];
  private nextAt = 0;
  private slowStart = true;
  /**
   * The rate the endpoint sustained the last time it throttled us (the refill rate of its token bucket): the lower of
   * the rate we sent at and the successes per second in the 1-2 s before the throttle. Undefined until a throttle that
   * follows the rate, and again once throttling turns out to be background.
   */
  private limit?: number;
  /** Windows the rate has spent at or above the limit since the last decrease (the probe upwards speeds up with them). */
  private windowsAbove = 0;
  private background = 0;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  private probe?: { previousRate: number; shareBefore: number; answers: number; throttles: number };
  private current: Window = { start: Date.now(), attempts: 0, throttles: 0, successes: 0 };
  private previous?: Window;
  /** The outcomes (1 = throttled) of the last PROBE_ANSWERS answers. */
  private readonly ring = new Uint8Array(PROBE_ANSWERS);
  private ringCount = 0;
  private ringThrottles = 0;
  private heldBack = false;
  private decreasedInWindow = false;

  constructor(private readonly now: () => number = Date.now) {
    this.current.start = now();
  }

  /** Applies --max-rate / --concurrency. A ceiling below the current rate takes effect at once. */
  configure(s: RateSettings): void {
    if (s.maxRate !== undefined) this.ceiling = s.maxRate;
    if (s.concurrency !== undefined) this.maxInFlight = s.concurrency;
    if (s.debug !== undefined) this.debug = s.debug;
    this.rate = Math.min(this.rate, this.ceiling);
  }

  /** Waits for a slot and this request's turn; returns its send time. Rejects (and frees the slot) on abort. */
  async acquire(signal?: AbortSignal): Promise<number> {
    if (this.inFlight >= this.maxInFlight) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          const i = this.waiters.indexOf(go);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(abortError(signal));
        };
        const go = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener("abort", onAbort, { once: true });
        this.waiters.push(go);
      });
    } else {
      this.inFlight++;
    }
    // The slot is ours (handed over by release() or taken above).
    const now = this.now();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + 1000 / Math.max(this.rate, 0.01);
    if (at > now) {
      this.heldBack = true;
      try {
        await sleep(at - now, signal);
      } catch (e) {
        this.release();
        throw e;
      }
    }
    return at;
  }

  /** Frees a slot: the next waiter takes it over. */
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.inFlight--;
  }

  /** Feeds back the outcome of one attempt sent at `sentAt`. */
  record(sentAt: number, throttled: boolean): void {
    const now = this.now();
    this.roll(now);
    this.attempts++;
    this.current.attempts++;
    if (throttled) {
      this.throttles++;
      this.current.throttles++;
    } else this.current.successes++;
    const slot = this.ringCount++ % PROBE_ANSWERS;
    this.ringThrottles += (throttled ? 1 : 0) - this.ring[slot];
    this.ring[slot] = throttled ? 1 : 0;
    const probe = this.probe;
    if (probe && sentAt >= this.lastDecreaseAt) {
      probe.answers++;
      if (throttled) probe.throttles++;
      if (probe.answers >= PROBE_ANSWERS) {
        const shareAfter = probe.throttles / probe.answers;
        this.probe = undefined;
        if (this.debug)
          process.stderr.write(
            `rate: probe after ${shareAfter.toFixed(2)} before ${probe.shareBefore.toFixed(2)} rate ${this.rate.toFixed(1)}\n`,
          );
        if (probe.throttles >= 3 && shareAfter >= 0.75 * probe.shareBefore) {
          // Slowing down did not reduce throttling: it is background, not our rate.
          this.background = Math.max(this.background, shareAfter);
          this.rate = Math.min(this.ceiling, probe.previousRate);
          // No sign of a limit on the rate: probe upwards quickly again.
          this.slowStart = true;
          this.limit = undefined;
        }
      }
      return;
    }
    const n = Math.min(this.ringCount, PROBE_ANSWERS);
    if (!throttled || sentAt < this.lastDecreaseAt || probe || n < 20) return;
    const share = this.ringThrottles / n;
    const bg = this.background;
    if (share <= bg + 3 * Math.sqrt((bg * (1 - bg)) / n)) return;
    const w = this.recent(now);
    const elapsed = Math.max(0.25, (now - w.start) / 1000);
    const sustained = w.successes / elapsed / (1 - bg);
    const previousRate = this.rate;
    this.limit = Math.min(this.rate, sustained);
    this.windowsAbove = 0;
    this.rate = Math.max(Math.min(1, this.ceiling), 0.1 * this.rate, DECREASE * this.limit);
    this.lastDecreaseAt = now;
    this.slowStart = false;
    this.decreasedInWindow = true;
    this.probe = { previousRate, shareBefore: share, answers: 0, throttles: 0 };
    if (this.debug)
      process.stderr.write(
        `rate: decrease ${previousRate.toFixed(1)} -> ${this.rate.toFixed(1)} share ${share.toFixed(2)} bg ${bg.toFixed(2)} n ${n}\n`,
      );
  }

  /**
   * The rate for the next window when the spacing held requests back: doubling in slow start; below a learned limit,
   * half the way back to it (most of the throughput comes back within two seconds of a decrease, and the rate then
   * sits just under the limit instead of sawing between 0.85x and 1x of it); at or above it, a slow probe that speeds
   * up the longer the endpoint keeps up (its limit may have risen: another tool stopped).
   */
  private nextRate(): number {
    if (this.slowStart) return this.rate * 2;
    const limit = this.limit;
    if (limit === undefined) return this.rate + Math.max(1, this.rate * 0.05);
    if (this.rate < 0.99 * limit) return Math.min(limit, this.rate + Math.max((limit - this.rate) / 2, 0.005 * limit));
    this.windowsAbove++;
    return Math.max(this.rate, limit) + PROBE_STEP * limit * this.windowsAbove;
  }

  /** The last full window and the current one together. */
  private recent(now: number): Window {
    const c = this.current;
    const p = this.previous && now - this.previous.start < 2 * WINDOW_MS ? this.previous : undefined;
    return p
      ? {
          start: p.start,
          attempts: p.attempts + c.attempts,
          throttles: p.throttles + c.throttles,
          successes: p.successes + c.successes,
        }
      : c;
  }

  private roll(now: number): void {
    if (now - this.current.start < WINDOW_MS) return;
    if (this.heldBack && !this.decreasedInWindow && !this.probe) {
      this.rate = Math.min(this.ceiling, this.nextRate());
    }
    if (this.debug)
      process.stderr.write(
        `rate: window ${this.current.attempts} attempts ${this.current.throttles} throttles rate ${this.rate.toFixed(1)} held ${this.heldBack}\n`,
      );
    this.previous = this.current;
    this.current = { start: now, attempts: 0, throttles: 0, successes: 0 };
    this.heldBack = false;
    this.decreasedInWindow = false;
  }
}

function abortError(signal?: AbortSignal): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : Object.assign(new Error("Request aborted"), { name: "AbortError" });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

let shared: RateController | undefined;

/** The process's controller. */
export function rateController(): RateController {
  return (shared ??= new RateController());
}

interface MiddlewareClient {
  middlewareStack: {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each SDK client types its stack by its own input and output; this middleware fits all
    add: (mw: any, opts: { step: "finalizeRequest"; priority: "low"; name: string; override?: boolean }) => void;
  };
}

/**
 * Puts a client under the process's rate controller: each attempt (inside the SDK's retry loop, after signing) waits
 * for a slot and its turn, and its outcome feeds the controller. Throttling is what the SDK itself calls throttling.
 */
export function rateControlled<C extends MiddlewareClient>(
  client: C,
  controller: RateController = rateController(),
): C {
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: Record<string | symbol, unknown>) => async (args: unknown) => {
      const signal =
        trySignalOf(context) ?? (context[SMITHY_CONTEXT_KEY] as { abortSignal?: AbortSignal } | undefined)?.abortSignal;
      const sentAt = await controller.acquire(signal);
      try {
        const out = await next(args);
        controller.record(sentAt, false);
        return out;
      } catch (e) {
        controller.record(sentAt, isThrottlingError(e as never));
        throw e;
      } finally {
        controller.release();
      }
    },
    { step: "finalizeRequest", priority: "low", name: "orgtrustRateControl", override: true },
  );
  return client;
}

/**
 * The SDK retry strategy for the crawl: the SDK's classification (errorType THROTTLING or TRANSIENT, from
 * @smithy/core/retry's isThrottlingError/isTransientError) plus ConcurrentModificationException, which the SDK does not
 * retry; exponential backoff with full jitter (base 100 ms, capped at 20 s; the pacing after throttles is the
 * controller's), waited by the
 * retrying request alone. No retry quota and no client-side limiter: the rate controller paces the whole process.
 */
export class CrawlRetryStrategy implements RetryStrategyV2 {
  readonly mode = "orgtrust";
  constructor(
    private readonly maxAttempts: number,
    private readonly baseMs?: number,
  ) {}

  async acquireInitialRetryToken(): Promise<StandardRetryToken> {
    return token(0, 0);
  }

  async refreshRetryTokenForRetry(previous: StandardRetryToken, info: RetryErrorInfo): Promise<StandardRetryToken> {
    const attempt = previous.getRetryCount() + 1;
    const name = (info.error as { name?: string } | undefined)?.name;
    const retryable =
      info.errorType === "THROTTLING" ||
      info.errorType === "TRANSIENT" ||
      name === "ConcurrentModificationException" ||
      (info.error !== undefined && isTransientError(info.error));
    if (!retryable || attempt >= this.maxAttempts) throw new Error("no retry");
    const base = this.baseMs ?? 100;
    const hint = info.retryAfterHint ? Math.max(0, info.retryAfterHint.getTime() - Date.now()) : 0;
    return token(attempt, Math.max(hint, Math.random() * Math.min(20_000, base * 2 ** attempt)));
  }

  recordSuccess(): void {}
}

function token(retryCount: number, delay: number): StandardRetryToken {
  return {
    getRetryCount: () => retryCount,
    getRetryDelay: () => delay,
    getRetryTokenCount: () => 0,
    hasRetryTokens: () => true,
    releaseRetryTokens: () => {},
  } as unknown as StandardRetryToken;
}
