import * as path from "node:path";
import { InputError } from "../common/errors";
import type { Logger } from "../common/log";
import type { LoadedConfig } from "../config/load";
import type { ResolvedIntegration } from "../config/resolve";
import { computeScope, type Scope, type ScopeRules } from "./scope";
import type { Snapshot } from "./snapshot";

/**
 * The scope rules every engine (synth, generate, drift, sync) applies: the config's exclusions merged with the
 * command's --exclude-* flags, checked against the org. The CLI parses the flags; nothing here knows about it.
 */

/** The exclusion flags of a run (--exclude-ou, --exclude-account, --strict), merged into the config's rules. */
export interface ScopeFlags {
  excludeOu: string[];
  excludeAccount: string[];
  /** Exclusions that match nothing are an error (exit 2) instead of a warning. */
  strict?: boolean;
}

/** No exclusions beyond the config's (the engines' default when their options give none). */
export const NO_EXTRA_EXCLUSIONS: ScopeFlags = { excludeOu: [], excludeAccount: [] };

/** Global scope rules: config exclusions plus the --exclude-* flags. */
export function globalRules(opts: ScopeFlags, loaded?: LoadedConfig): ScopeRules {
  const ex = loaded?.config.exclusions;
  return {
    organizationalUnits: [...new Set([...(ex?.organizationalUnits ?? []), ...opts.excludeOu])].sort(),
    accounts: [...new Set([...(ex?.accounts ?? []), ...opts.excludeAccount])].sort(),
    skipInactiveAccounts: ex?.skipInactiveAccounts ?? true,
    managementAccount: false,
  };
}

/** An integration's scope rules: its resolved exclusions plus the --exclude-* flags. */
export function integrationRules(integration: ResolvedIntegration, opts: ScopeFlags): ScopeRules {
  const ex = integration.exclusions;
  return {
    organizationalUnits: [...new Set([...ex.organizationalUnits, ...opts.excludeOu])].sort(),
    accounts: [...new Set([...ex.accounts, ...opts.excludeAccount])].sort(),
    skipInactiveAccounts: ex.skipInactiveAccounts,
    managementAccount: ex.managementAccount,
  };
}

/**
 * organization.managementAccountId must be the org's: every role ARN, trust and generated file is built from it, so a
 * wrong one is one exit-2 error in every command (synth, generate, drift, discover).
 */
export function checkManagementAccount(
  loaded: LoadedConfig,
  org: { id: string; managementAccountId: string },
  what: string,
): void {
  const configured = loaded.config.organization.managementAccountId;
  if (configured === org.managementAccountId) return;
  throw new InputError(
    `${path.relative(process.cwd(), loaded.file) || loaded.file}: organization.managementAccountId is ${configured}, but ${what} is organization ${org.id} with management account ${org.managementAccountId} (fix: set organization.managementAccountId: "${org.managementAccountId}", or point orgtrust at the configured organization)`,
  );
}

/** Computes a scope and reports exclusions that match nothing: a warning, or exit 2 with --strict. */
export function scopeWithChecks(
  snapshot: Snapshot,
  rules: ScopeRules,
  opts: ScopeFlags,
  log: Logger,
  label = "exclusions",
): Scope {
  const scope = computeScope(snapshot, rules);
  for (const u of scope.unmatched) {
    const msg = `${label}: ${u.kind === "account" ? "account" : "OU"} ${u.id} matches nothing in organization ${snapshot.organization.id}`;
    if (opts.strict)
      throw new InputError(`${msg} (fix: remove it from the config or --exclude-* flags, or re-run discover)`);
    log.warn(msg);
  }
  return scope;
}
