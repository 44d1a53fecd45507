import type { Scope } from "./scope";
import type { SnapshotAccount } from "./snapshot";
import { compareStrings } from "../common/compare";

/**
 * OU cover: the highest OUs (or the root) whose whole subtree is in scope. It is what the member-role StackSet
 * targets (auto-deployment then follows accounts that join or move later) and what Port's `ouId` lists.
 *
 * A node is blocked when its subtree holds an excluded OU or an explicitly excluded account: targeting it would
 * give the role to something excluded, now or when an account later joins the excluded part. Inactive accounts
 * and the management account do not block (StackSets skip both). In-scope member accounts that sit directly in
 * a blocked node cannot be reached without the account-filter patterns the provider mishandles, so they are
 * reported as uncovered rather than targeted.
 */
export interface OuCover {
  /** Targeted OU / root ids, sorted. Empty when nothing is in scope. */
  targets: string[];
  /** In-scope member accounts the targets reach, sorted by id. */
  viaStackSet: SnapshotAccount[];
  /** The management account when in scope (StackSets never deploy there; it gets the role directly). */
  direct: SnapshotAccount[];
  /** In-scope member accounts no target can reach exactly, with why. */
  uncovered: Array<{ account: SnapshotAccount; reason: string }>;
  /** True when targets + direct reach exactly the in-scope accounts. */
  exact: boolean;
}

export function computeOuCover(scope: Scope): OuCover {
  const s = scope.snapshot;
  const inScopeIds = new Set(scope.inScope.map((a) => a.id));
  const explicitlyExcluded = new Set(
    scope.excluded
      .filter((e) => e.reasons.some((r) => r.kind === "excluded-ou" || r.kind === "excluded-account"))
      .map((e) => e.account.id),
  );

  // Appended in place: copying each parent's list per member was quadratic in the accounts of one parent.
  const push = <V>(m: Map<string, V[]>, k: string, v: V) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  const children = new Map<string, string[]>();
  for (const ou of s.organizationalUnits) push(children, ou.parentId, ou.id);
  const accountsIn = new Map<string, SnapshotAccount[]>();
  for (const a of s.accounts) push(accountsIn, a.parentId, a);

  const blockedMemo = new Map<string, boolean>();
  const blocked = (node: string): boolean => {
    const memo = blockedMemo.get(node);
    if (memo !== undefined) return memo;
    const result =
      scope.excludedOuIds.has(node) ||
      (accountsIn.get(node) ?? []).some((a) => explicitlyExcluded.has(a.id)) ||
      (children.get(node) ?? []).some(blocked);
    blockedMemo.set(node, result);
    return result;
  };

  const targets: string[] = [];
  const uncovered: OuCover["uncovered"] = [];
  const names = new Map<string, string>([
    [s.root.id, s.root.name],
    ...s.organizationalUnits.map((o): [string, string] => [o.id, o.name]),
  ]);
  const walk = (node: string) => {
    if (scope.excludedOuIds.has(node)) return;
    if (!blocked(node)) {
      targets.push(node);
      return;
    }
    const excludedHere = (accountsIn.get(node) ?? []).filter((a) => explicitlyExcluded.has(a.id)).map((a) => a.id);
    for (const a of accountsIn.get(node) ?? []) {
      if (!inScopeIds.has(a.id) || a.isManagementAccount) continue;
      const why = excludedHere.length
        ? `excluded account ${excludedHere.join(", ")} sits beside it`
        : "an excluded OU lies below it";
      uncovered.push({
        account: a,
        reason: `sits directly in ${names.get(node)} (${node}) which cannot be targeted: ${why}; move it into an OU whose whole subtree is in scope`,
      });
    }
    for (const c of children.get(node) ?? []) walk(c);
  };
  walk(s.root.id);
  targets.sort();

  const targetSet = new Set(targets);
  const underTarget = (a: SnapshotAccount) => a.path.some((p) => targetSet.has(p.id));
  const viaStackSet = scope.inScope.filter((a) => !a.isManagementAccount && underTarget(a));
  const direct = scope.inScope.filter((a) => a.isManagementAccount);
  uncovered.sort((x, y) => compareStrings(x.account.id, y.account.id));
  return { targets, viaStackSet, direct, uncovered, exact: uncovered.length === 0 };
}
