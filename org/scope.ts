import type { Snapshot, SnapshotAccount, SnapshotOu } from "./snapshot";

/**
 * The exclusion rule: the one place that decides which accounts are in scope and why each other one is not.
 * Discovery's summary, the StackSet targets, every generated config and the drift check all call computeScope;
 * nothing else re-implements the rule.
 *
 * - An excluded OU excludes its whole subtree.
 * - An excluded account is out wherever it sits.
 * - With skipInactiveAccounts (default), accounts whose state is not ACTIVE are out.
 * - With managementAccount, the management account is out (for integrations that treat it apart).
 * An account can be out for several reasons; all are listed.
 */
export interface ScopeRules {
  organizationalUnits: readonly string[];
  accounts: readonly string[];
  skipInactiveAccounts: boolean;
  managementAccount: boolean;
}

export type ExclusionReason =
  | { kind: "excluded-ou"; ouId: string; ouName: string }
  | { kind: "excluded-account" }
  | { kind: "inactive"; state: string }
  | { kind: "management-account" };

export interface ExcludedAccount {
  account: SnapshotAccount;
  reasons: ExclusionReason[];
}

export interface UnmatchedExclusion {
  kind: "organizationalUnit" | "account";
  id: string;
}

export interface Scope {
  snapshot: Snapshot;
  rules: ScopeRules;
  /** In-scope accounts, sorted by id. */
  inScope: SnapshotAccount[];
  /** Out-of-scope accounts with every reason, sorted by id. */
  excluded: ExcludedAccount[];
  /** Ids of every OU in an excluded subtree. */
  excludedOuIds: Set<string>;
  /** Exclusions that match nothing in the org: a warning, an error with --strict. */
  unmatched: UnmatchedExclusion[];
}

export function computeScope(snapshot: Snapshot, rules: ScopeRules): Scope {
  const ouById = new Map(snapshot.organizationalUnits.map((o) => [o.id, o]));
  const excludedOuRoots = new Set(rules.organizationalUnits);
  const excludedAccountIds = new Set(rules.accounts);

  /**
   * The highest excluded OU on a path, root first (then `self`, an OU's own id), if any: the first listed id on it,
   * looked up among the OUs. Walks the path in place (no id list per account).
   */
  const excludingOu = (path: readonly { id: string }[], self?: string): SnapshotOu | undefined => {
    for (const p of path) if (excludedOuRoots.has(p.id)) return ouById.get(p.id);
    return self !== undefined && excludedOuRoots.has(self) ? ouById.get(self) : undefined;
  };

  const excludedOuIds = new Set<string>();
  for (const ou of snapshot.organizationalUnits) {
    if (excludingOu(ou.path, ou.id)) excludedOuIds.add(ou.id);
  }

  const inScope: SnapshotAccount[] = [];
  const excluded: ExcludedAccount[] = [];
  for (const account of snapshot.accounts) {
    const reasons: ExclusionReason[] = [];
    const ou = excludingOu(account.path);
    if (ou) reasons.push({ kind: "excluded-ou", ouId: ou.id, ouName: ou.name });
    if (excludedAccountIds.has(account.id)) reasons.push({ kind: "excluded-account" });
    if (rules.skipInactiveAccounts && account.state !== "ACTIVE")
      reasons.push({ kind: "inactive", state: account.state });
    if (rules.managementAccount && account.isManagementAccount) reasons.push({ kind: "management-account" });
    if (reasons.length) excluded.push({ account, reasons });
    else inScope.push(account);
  }

  const accountIds = new Set(snapshot.accounts.map((a) => a.id));
  const unmatched: UnmatchedExclusion[] = [
    ...[...excludedOuRoots].filter((id) => !ouById.has(id)).map((id) => ({ kind: "organizationalUnit" as const, id })),
    ...[...excludedAccountIds].filter((id) => !accountIds.has(id)).map((id) => ({ kind: "account" as const, id })),
  ];
  return { snapshot, rules, inScope, excluded, excludedOuIds, unmatched };
}

/** "excluded OU Sandbox (ou-...)" style text for one reason. */
export function describeReason(r: ExclusionReason): string {
  switch (r.kind) {
    case "excluded-ou":
      return `in excluded OU ${r.ouName} (${r.ouId})`;
    case "excluded-account":
      return "excluded account";
    case "inactive":
      return `inactive (${r.state})`;
    case "management-account":
      return "management account excluded for this integration";
  }
}

/** Counts per reason kind, for summaries. An account with two reasons counts under its first. */
export function summarizeScope(scope: Scope): { inScope: number; excluded: Record<ExclusionReason["kind"], number> } {
  const excluded = { "excluded-ou": 0, "excluded-account": 0, inactive: 0, "management-account": 0 };
  for (const e of scope.excluded) excluded[e.reasons[0].kind]++;
  return { inScope: scope.inScope.length, excluded };
}
