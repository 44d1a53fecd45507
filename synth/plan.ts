import { integrationRules, scopeWithChecks, type ScopeFlags } from "../org/scope-rules";
import { InputError } from "../common/errors";
import type { Logger } from "../common/log";
import { PRESETS, type ResolvedIntegration } from "../config/resolve";
import { stackExternalIdSource, type ExternalIdSource } from "../common/external-id";
import type { StackSetTargets } from "../constructs/integration-stack";
import { describeReason } from "../org/scope";
import { computeOuCover } from "../org/targets";
import { snapshotHash, type Snapshot, type SnapshotAccount } from "../org/snapshot";

/**
 * Planning: everything synth decides before any construct exists. Per integration: where the external ID comes
 * from, what the StackSet targets, whether the management account gets the role directly, and the coverage report
 * (who gets the role through the StackSet, directly, or not at all, and why). Scope and targets come from
 * computeScope / computeOuCover; nothing here re-decides who is in scope.
 */

/** Uncovered accounts warned about one by one per integration; the rest are summed up in one line. */
const MAX_UNCOVERED_WARNINGS = 10;

export interface AccountRef {
  id: string;
  name: string;
}

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

export interface IntegrationPlan {
  integration: ResolvedIntegration;
  externalId: ExternalIdSource;
  targets: StackSetTargets;
  managementRole: boolean;
  /** Member accounts that get the member role directly through an aliased provider (stackSet.uncoveredAccounts "direct"), sorted. */
  directAccounts: string[];
  coverage: Coverage;
  /** Warnings for this integration (also logged): uncovered accounts, unmatched exclusions, empty scope. */
  warnings: string[];
}

/** Account ids for a warning line: the first MAX_UNCOVERED_WARNINGS, then a count. */
const listIds = (ids: string[]): string =>
  ids.length > MAX_UNCOVERED_WARNINGS ? `${ids.slice(0, MAX_UNCOVERED_WARNINGS).join(", ")} and ${ids.length - MAX_UNCOVERED_WARNINGS} more (orgtrust-coverage.json lists them)` : ids.join(", ");

const ref = (a: SnapshotAccount): AccountRef => ({ id: a.id, name: a.name });

/** Where the external ID comes from, in the stack's form (common/external-id.ts stackExternalIdSource). */
export function externalIdSourceFor(integration: ResolvedIntegration): ExternalIdSource {
  return stackExternalIdSource(integration.externalId, integration);
}

/** Checks the snapshot describes the configured organization (targets from another org would be nonsense). */
export function checkSnapshotMatches(snapshot: Snapshot, integration: ResolvedIntegration, source = "--snapshot"): void {
  const o = snapshot.organization;
  if (o.managementAccountId !== integration.managementAccountId) {
    throw new InputError(
      `${source}: the snapshot is of organization ${o.id} with management account ${o.managementAccountId}, but organization.managementAccountId is ${integration.managementAccountId} (fix: re-run \`orgtrust discover --out <file>\` against the configured organization, or correct the config)`,
    );
  }
  if (o.partition !== integration.partition) {
    throw new InputError(`${source}: the snapshot is in partition ${o.partition}, but organization.partition is ${integration.partition} (fix: correct organization.partition or re-run discover)`);
  }
}

/** The checks that need no scope: external-ID source, exclusions need a snapshot, snapshot of this organization. */
export function checkInputs(integration: ResolvedIntegration, opts: { snapshot?: Snapshot; cli: ScopeFlags }): ExternalIdSource {
  const externalId = externalIdSourceFor(integration);
  if (opts.snapshot) {
    checkSnapshotMatches(opts.snapshot, integration);
    return externalId;
  }
  const rules = integrationRules(integration, opts.cli);
  const listed = [...rules.organizationalUnits, ...rules.accounts];
  if (listed.length) {
    throw new InputError(
      `integrations.${integration.name}: exclusions (${listed.join(", ")}) need an org snapshot to compute the StackSet targets (fix: run \`orgtrust discover --out org.json\`, then pass --snapshot org.json or set snapshot: org.json in the config)`,
    );
  }
  return externalId;
}

/** Plans one integration. Throws InputError for exclusions without a snapshot and for an unusable variable name. */
export function planIntegration(integration: ResolvedIntegration, opts: { snapshot?: Snapshot; cli: ScopeFlags; log: Logger }): IntegrationPlan {
  const warnings: string[] = [];
  const log: Logger = {
    info: (m) => opts.log.info(m),
    progress: (m) => opts.log.progress(m),
    done: () => opts.log.done(),
    warn: (m) => {
      warnings.push(m);
      opts.log.warn(m);
    },
  };
  const externalId = checkInputs(integration, opts);
  const rules = integrationRules(integration, opts.cli);

  if (!opts.snapshot) {
    const direct: DirectAccount[] = integration.exclusions.managementAccount ? [] : [{ id: integration.managementAccountId, name: "management account", how: "management-account" }];
    return {
      integration,
      externalId,
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
          ? [{ id: integration.managementAccountId, name: "management account", reasons: [describeReason({ kind: "management-account" })] }]
          : [],
        exact: true,
      },
      warnings,
    };
  }

  const snapshot = opts.snapshot;
  const scope = scopeWithChecks(snapshot, rules, opts.cli, log, `integrations.${integration.name} exclusions`);
  const cover = computeOuCover(scope);
  const names = new Map<string, string>([[snapshot.root.id, snapshot.root.name], ...snapshot.organizationalUnits.map((o): [string, string] => [o.id, o.name])]);
  const at = `integrations.${integration.name}`;
  const viaProvider = integration.stackSet.uncoveredAccounts === "direct";
  if (viaProvider && cover.uncovered.length) {
    // One line per integration: the accounts are listed in the summary, --json and orgtrust-coverage.json.
    const n = cover.uncovered.length;
    log.warn(
      `${at}: ${n} in-scope account${n === 1 ? " gets" : "s get"} the member role directly (stackSet.uncoveredAccounts: direct, through ${integration.stackSet.directAccessRoleName}) because ${n === 1 ? "its OU" : "their OUs"} cannot be targeted by the StackSet: ${listIds(cover.uncovered.map((u) => u.account.id))}; accounts that join such an OU later will not get it automatically (re-run discover and synth)`,
    );
  } else {
    // One line per uncovered account, up to a point: a large org with a badly placed exclusion would otherwise
    // print thousands of lines. The coverage file and --json always list every one.
    for (const u of cover.uncovered.slice(0, MAX_UNCOVERED_WARNINGS)) {
      log.warn(`${at}: account ${u.account.id} (${u.account.name}) is in scope but gets no member role: it ${u.reason}`);
    }
    if (cover.uncovered.length > MAX_UNCOVERED_WARNINGS) {
      log.warn(
        `${at}: ${cover.uncovered.length - MAX_UNCOVERED_WARNINGS} more in-scope accounts get no member role (${cover.uncovered.length} in all; orgtrust-coverage.json and --json list them)`,
      );
    }
  }
  const members = scope.inScope.filter((a) => !a.isManagementAccount);
  if (members.length === 0) log.warn(`integrations.${integration.name}: no member account is in scope; the StackSet gets no instances`);
  return {
    integration,
    externalId,
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
        ...(viaProvider ? cover.uncovered.map((u): DirectAccount => ({ ...ref(u.account), how: "direct-provider", reason: u.reason })) : []),
      ].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)),
      uncovered: viaProvider ? [] : cover.uncovered.map((u) => ({ ...ref(u.account), reason: u.reason })),
      excluded: scope.excluded.map((e) => ({ ...ref(e.account), reasons: e.reasons.map(describeReason) })),
      exact: viaProvider || cover.exact,
    },
    warnings,
  };
}
