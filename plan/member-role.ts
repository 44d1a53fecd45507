import { InputError } from "../common/errors";
import type { Logger } from "../common/log";
import type { ResolvedIntegration } from "../config/resolve";
import type { StackSetTargets } from "../constructs/integration-stack";
import { describeReason, type Scope } from "../org/scope";
import { integrationRules, NO_EXTRA_EXCLUSIONS, scopeWithChecks, type ScopeFlags } from "../org/scope-rules";
import { snapshotHash, type Snapshot, type SnapshotAccount } from "../org/snapshot";
import { computeOuCover, type OuCover } from "../org/targets";
import { byId } from "../common/compare";

/**
 * The planner's core: for one integration over one org, the StackSet's targets and the coverage (who gets the member
 * role through the StackSet, directly, or not at all, and why). Pure: no I/O, no logging (warnings are returned), no
 * cdktf (drift loads it without the constructs). Scope and the OU cover come from org/scope.ts and org/targets.ts;
 * nothing here re-decides who is in scope. Vocabulary: docs/architecture.md#vocabulary.
 */

/** Uncovered accounts warned about one by one per integration; the rest are summed up in one line. */
const MAX_UNCOVERED_WARNINGS = 10;

/** How the planner reads a run's exclusions. */
export interface PlanOptions {
  /** The run's --exclude-ou / --exclude-account / --strict values, merged into the integration's own (default: none). */
  exclusions?: ScopeFlags;
  /** Prefix of an "exclusion matches nothing" warning (default `integrations.<name> exclusions`). */
  unmatchedLabel?: string;
}

export interface AccountRef {
  id: string;
  name: string;
}

/** The coverage: how each account gets the member role. orgtrust-coverage.json is this plus the integration's names. */
export interface Coverage {
  /** "snapshot": computed from an org snapshot; "root-lookup": no snapshot and no exclusions, the root is targeted. */
  basis: "snapshot" | "root-lookup";
  /** The snapshot's content hash (orgtrust discover prints it), when basis is snapshot. */
  snapshotHash: string | null;
  organizationId: string | null;
  /** StackSet deployment targets (OU or root ids with names); root-lookup: the root, resolved at apply time. */
  targets: AccountRef[];
  /** In-scope member accounts the targets reach. Unknown (empty) without a snapshot. */
  viaStackSet: AccountRef[];
  /**
   * Accounts that get the role directly, not through the StackSet: the management account (how "management-account",
   * StackSets never deploy there) and, with stackSet.uncoveredAccounts "direct", the member accounts no OU target can
   * reach (how "direct-provider": an aliased provider assumes stackSet.directAccessRoleName there), sorted by id.
   */
  direct: DirectAccount[];
  /** In-scope member accounts the StackSet cannot reach exactly and that get no role (stackSet.uncoveredAccounts "none"), with why. */
  uncovered: Array<AccountRef & { reason: string }>;
  /** Out-of-scope accounts, with every reason. */
  excluded: Array<AccountRef & { reasons: string[] }>;
  /** True when the StackSet plus the direct role reach exactly the in-scope accounts. */
  exact: boolean;
}

/** How an account in Coverage.direct gets the member role. */
export type DirectHow = "management-account" | "direct-provider";

export interface DirectAccount extends AccountRef {
  how: DirectHow;
  /** direct-provider only: why no StackSet target can reach it. */
  reason?: string;
}

/** Where one integration's member role goes: the planner's output without the external ID (IntegrationPlan adds it). */
export interface MemberRolePlan {
  integration: ResolvedIntegration;
  /** What the StackSet targets: OU / root ids from the snapshot, or the root looked up at apply time. */
  targets: StackSetTargets;
  /** The management account is in scope: it gets the member role directly (StackSets never deploy there). */
  managementRole: boolean;
  /** Member accounts that get the member role directly through an aliased provider (stackSet.uncoveredAccounts "direct"), sorted. */
  directAccounts: string[];
  coverage: Coverage;
  /** The scope and OU cover the coverage is computed from (drift's checks read the accounts); null for root-lookup. */
  scope: Scope | null;
  cover: OuCover | null;
  /** The exclusions that match nothing in the org, as warning lines (also the first entries of warnings). */
  unmatched: string[];
  /** Warnings, in the order synth prints them: unmatched exclusions, uncovered accounts, empty scope. */
  warnings: string[];
}

/** Account ids for a warning line: the first MAX_UNCOVERED_WARNINGS, then a count. */
const listIds = (ids: string[]): string =>
  ids.length > MAX_UNCOVERED_WARNINGS
    ? `${ids.slice(0, MAX_UNCOVERED_WARNINGS).join(", ")} and ${ids.length - MAX_UNCOVERED_WARNINGS} more (orgtrust-coverage.json lists them)`
    : ids.join(", ");

const ref = (a: SnapshotAccount): AccountRef => ({ id: a.id, name: a.name });

/** Exclusions (the config's or --exclude-*) need a snapshot: without one the targets cannot avoid them. */
export function checkExclusionsNeedSnapshot(
  integration: ResolvedIntegration,
  exclusions: ScopeFlags = NO_EXTRA_EXCLUSIONS,
): void {
  const rules = integrationRules(integration, exclusions);
  const listed = [...rules.organizationalUnits, ...rules.accounts];
  if (listed.length) {
    throw new InputError(
      `integrations.${integration.name}: exclusions (${listed.join(", ")}) need an org snapshot to compute the StackSet targets (fix: run \`orgtrust discover --out org.json\`, then pass --snapshot org.json or set snapshot: org.json in the config)`,
    );
  }
}

/**
 * Plans one integration's member role over one org (snapshot), or over the root looked up at apply time (no
 * snapshot). Throws InputError for exclusions without a snapshot and, with exclusions.strict, an exclusion that
 * matches nothing.
 */
export function planMemberRole(
  integration: ResolvedIntegration,
  snapshot: Snapshot | undefined,
  opts: PlanOptions,
): MemberRolePlan {
  const exclusions = opts.exclusions ?? NO_EXTRA_EXCLUSIONS;
  const warnings: string[] = [];
  const collect: Logger = { info() {}, progress() {}, done() {}, warn: (m) => void warnings.push(m) };

  if (!snapshot) {
    checkExclusionsNeedSnapshot(integration, exclusions);
    const direct: DirectAccount[] = integration.exclusions.managementAccount
      ? []
      : [{ id: integration.managementAccountId, name: "management account", how: "management-account" }];
    return {
      integration,
      targets: { kind: "root-lookup" },
      managementRole: direct.length > 0,
      directAccounts: [],
      coverage: {
        basis: "root-lookup",
        snapshotHash: null,
        organizationId: null,
        targets: [{ id: "(root)", name: "the organization root, looked up at apply time" }],
        viaStackSet: [],
        direct,
        uncovered: [],
        excluded: integration.exclusions.managementAccount
          ? [
              {
                id: integration.managementAccountId,
                name: "management account",
                reasons: [describeReason({ kind: "management-account" })],
              },
            ]
          : [],
        exact: true,
      },
      scope: null,
      cover: null,
      unmatched: [],
      warnings,
    };
  }

  const at = `integrations.${integration.name}`;
  const scope = scopeWithChecks(
    snapshot,
    integrationRules(integration, exclusions),
    exclusions,
    collect,
    opts.unmatchedLabel ?? `${at} exclusions`,
  );
  const unmatched = [...warnings];
  const cover = computeOuCover(scope);
  const names = new Map<string, string>([
    [snapshot.root.id, snapshot.root.name],
    ...snapshot.organizationalUnits.map((o): [string, string] => [o.id, o.name]),
  ]);
  const viaProvider = integration.stackSet.uncoveredAccounts === "direct";
  if (viaProvider && cover.uncovered.length) {
    // One line per integration: the accounts are listed in the summary, --json and orgtrust-coverage.json.
    const n = cover.uncovered.length;
    warnings.push(
      `${at}: ${n} in-scope account${n === 1 ? " gets" : "s get"} the member role directly (stackSet.uncoveredAccounts: direct, through ${integration.stackSet.directAccessRoleName}) because ${n === 1 ? "its OU" : "their OUs"} cannot be targeted by the StackSet: ${listIds(cover.uncovered.map((u) => u.account.id))}; accounts that join such an OU later will not get it automatically (re-run discover and synth)`,
    );
  } else {
    // One line per uncovered account, up to a point: a large org with a badly placed exclusion would otherwise
    // print thousands of lines. The coverage file and --json always list every one.
    for (const u of cover.uncovered.slice(0, MAX_UNCOVERED_WARNINGS)) {
      warnings.push(
        `${at}: account ${u.account.id} (${u.account.name}) is in scope but gets no member role: it ${u.reason}`,
      );
    }
    if (cover.uncovered.length > MAX_UNCOVERED_WARNINGS) {
      warnings.push(
        `${at}: ${cover.uncovered.length - MAX_UNCOVERED_WARNINGS} more in-scope accounts get no member role (${cover.uncovered.length} in all; orgtrust-coverage.json and --json list them)`,
      );
    }
  }
  const members = scope.inScope.filter((a) => !a.isManagementAccount);
  if (members.length === 0) warnings.push(`${at}: no member account is in scope; the StackSet gets no instances`);
  return {
    integration,
    targets: { kind: "organizational-units", ids: cover.targets },
    managementRole: cover.direct.length > 0,
    directAccounts: viaProvider ? cover.uncovered.map((u) => u.account.id) : [],
    coverage: {
      basis: "snapshot",
      snapshotHash: snapshotHash(snapshot),
      organizationId: snapshot.organization.id,
      targets: cover.targets.map((id) => ({ id, name: names.get(id) ?? id })),
      viaStackSet: cover.viaStackSet.map(ref),
      direct: [
        ...cover.direct.map((a): DirectAccount => ({ ...ref(a), how: "management-account" })),
        ...(viaProvider
          ? cover.uncovered.map((u): DirectAccount => ({ ...ref(u.account), how: "direct-provider", reason: u.reason }))
          : []),
      ].sort(byId),
      uncovered: viaProvider ? [] : cover.uncovered.map((u) => ({ ...ref(u.account), reason: u.reason })),
      excluded: scope.excluded.map((e) => ({ ...ref(e.account), reasons: e.reasons.map(describeReason) })),
      exact: viaProvider || cover.exact,
    },
    scope,
    cover,
    unmatched,
    warnings,
  };
}

/** The management account when the plan gives it the member role directly. */
export function managementAccountOf(plan: Pick<MemberRolePlan, "coverage">): AccountRef | undefined {
  return plan.coverage.direct.find((d) => d.how === "management-account");
}

/**
 * The accounts that hold the member role directly now: those synth gave it directly (the plan of the snapshot it
 * used) that the live org still leaves out of every StackSet target. They have no stack instance by design; an
 * account that became uncoverable after that snapshot has no role yet (re-run discover and synth).
 */
export function directAccountsLive(planned: MemberRolePlan, live: MemberRolePlan): Set<string> {
  const synthGave = new Set(planned.directAccounts);
  return new Set((live.cover?.uncovered ?? []).map((u) => u.account.id).filter((id) => synthGave.has(id)));
}
