/**
 * The abort signal of the try in progress (its request timeout and the run's deadline: aws/client.ts instrument). The
 * initialize-step middleware puts it on the send's middleware context (one object for every step of one send, tries
 * run one after another); a finalizeRequest middleware copies it onto each attempt's HTTP request for the wrapped
 * HTTP handler. (Not AsyncLocalStorage: on Node 20 it installs promise hooks that cost every promise of the process.)
 */
export const TRY_SIGNAL = Symbol.for("orgtrust.trySignal");

export type WithTrySignal = { [TRY_SIGNAL]?: AbortSignal };

export const trySignalOf = (o: unknown): AbortSignal | undefined =>
  o && typeof o === "object" ? (o as WithTrySignal)[TRY_SIGNAL] : undefined;
