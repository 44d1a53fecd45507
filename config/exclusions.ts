import type { OrgtrustConfig } from "./schema";

/** Exclusions a command adds to the config's own (the --exclude-ou / --exclude-account flags). */
export interface ExtraExclusions {
  organizationalUnits?: readonly string[];
  accounts?: readonly string[];
}

const merged = (a: readonly string[], b: readonly string[] = []) => [...new Set([...a, ...b])].sort();

/**
 * The config with `extra` added to its global exclusions (deduplicated, sorted), so the integrations resolve with
 * them like with exclusions written in the file. The config is not changed; without extras it is returned as is.
 */
export function withExclusions(config: OrgtrustConfig, extra?: ExtraExclusions): OrgtrustConfig {
  if (!extra?.organizationalUnits?.length && !extra?.accounts?.length) return config;
  const ex = config.exclusions;
  return {
    ...config,
    exclusions: {
      ...ex,
      organizationalUnits: merged(ex.organizationalUnits, extra.organizationalUnits),
      accounts: merged(ex.accounts, extra.accounts),
    },
  };
}
