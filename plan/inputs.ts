import * as path from "node:path";
import { DEFAULT_CONFIG_FILE, loadConfig, type LoadedConfig } from "../config/load";
import type { ExtraExclusions } from "../config/exclusions";
import { selectIntegrations, type ResolvedIntegration } from "../config/resolve";
import { loadSnapshot, type Snapshot } from "../org/snapshot";

/**
 * The input loader of synth: the config, the org snapshot and the integrations a run works on, read the same way
 * by `orgtrust synth`, `orgtrust example` and the cdktf app (main.ts). The one place integrations are resolved for
 * them (config/resolve.ts selectIntegrations).
 */

/** Where a run's inputs come from. */
export interface InputFiles {
  /** The config file (default ./orgtrust.yaml). */
  config?: string;
  /** The snapshot file (default: the config's snapshot field, relative to the config file; none when neither). */
  snapshot?: string;
  /** Integration names (default: every integration of the config, sorted). */
  integrations?: string[];
  /** Exclusions given beside the config (--exclude-ou / --exclude-account), merged into it before it resolves. */
  exclusions?: ExtraExclusions;
}

export interface Inputs {
  loaded: LoadedConfig;
  /** The snapshot file read, when there is one. */
  snapshotPath?: string;
  snapshot?: Snapshot;
  /** The integrations to work on, resolved (presets applied). */
  integrations: ResolvedIntegration[];
}

/** The snapshot file to read: the given one, else the config's snapshot field (relative to the config file). */
export function snapshotPathOf(files: Pick<InputFiles, "snapshot">, loaded?: LoadedConfig): string | undefined {
  if (files.snapshot) return files.snapshot;
  if (loaded?.config.snapshot) return path.resolve(loaded.baseDir, loaded.config.snapshot);
  return undefined;
}

/** Loads the config, then the snapshot, then resolves the integrations (errors in that order, exit 2). */
export function loadInputs(files: InputFiles): Inputs {
  const loaded = loadConfig(files.config ?? DEFAULT_CONFIG_FILE, { exclusions: files.exclusions });
  const snapshotPath = snapshotPathOf(files, loaded);
  const snapshot = snapshotPath ? loadSnapshot(snapshotPath) : undefined;
  const integrations = selectIntegrations(loaded, files.integrations ?? []);
  return { loaded, snapshotPath, snapshot, integrations };
}
