import { STARTED } from "./global-setup";
import type { MotoServer } from "./moto";

/** Stops, by PID, every moto_server the global set-up started. */
export default async function globalTeardown(): Promise<void> {
  const started = (globalThis as typeof globalThis & { [STARTED]?: MotoServer[] })[STARTED] ?? [];
  await Promise.all(started.map((s) => s.stop()));
}
