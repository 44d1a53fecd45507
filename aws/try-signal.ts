import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The abort signal of the try in progress (its request timeout and the run's deadline: aws/client.ts instrument), for
 * the HTTP handler and for the rate controller while a request waits its turn.
 */
export const trySignal = new AsyncLocalStorage<AbortSignal>();
