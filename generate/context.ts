import { iamRoleArn, type Partition } from "../common/ids";
import type { ResolvedIntegration } from "../config/resolve";
import { describeReason, type ExclusionReason, type Scope } from "../org/scope";
import { tagRecord, type Snapshot, type SnapshotAccount } from "../org/snapshot";
import type { OuCover } from "../org/targets";
import type { Collision } from "./identifiers";
import { compareStrings } from "../common/compare";

/**
 * THE TEMPLATE CONTEXT: the one object every template (built-in or custom) renders from.
 * Documented field by field in docs/generate.md ("The template context"); keep the two in step.
 * Every optional value is `null`, never missing, so templates run in handlebars strict mode.
 */
export interface TemplateContext {
  /** Always "orgtrust". */
  generator: "orgtrust";
  integration: {
    name: string;
    /** Built-in consumer name, or "custom". */
    consumer: string;
    /** Consumer options after defaults (see docs/consumers.md). */
    options: Record<string, unknown>;
    tags: Record<string, string>;
  };
  organization: {
    id: string;
    arn: string;
    featureSet: string;
    managementAccountId: string;
    managementAccountEmail: string;
    rootId: string;
    rootName: string;
  };
  partition: Partition;
  homeRegion: string;
  /** Regions the consumer reads (may be ["*"] where the consumer supports all regions). */
  regions: string[];
  /** True when regions is ["*"]. */
  allRegions: boolean;
  snapshot: {
    /** Content hash (sha256, 12 hex) of the canonical snapshot: what the header names. */
    hash: string;
    tagsIncluded: boolean;
    accountCount: number;
    ouCount: number;
  };
  /** In-scope accounts, sorted by ID. */
  accounts: ContextAccount[];
  /** Out-of-scope accounts, sorted by ID, each with every reason. */
  excluded: ContextExcludedAccount[];
  /** Every OU, sorted by path then ID. */
  ous: ContextOu[];
  /** The OU tree from the root (the root node has path "/" and isRoot true). */
  ouTree: ContextOuNode;
  roles: {
    discovery: { name: string; path: string; arn: string; accountId: string; nameWithPath: string };
    member: { name: string; path: string; nameWithPath: string };
  };
  externalId: ContextExternalId;
  exclusions: {
    /** Excluded OU IDs from config and flags (all of them, sorted). */
    organizationalUnits: string[];
    /** The excluded OU IDs that exist in this org (sorted). */
    matchedOrganizationalUnits: string[];
    /** Excluded account IDs from config and flags (sorted). */
    accounts: string[];
    skipInactiveAccounts: boolean;
    managementAccount: boolean;
    /** True when any account of the org is out of scope, for any reason. */
    any: boolean;
    /** Out-of-scope accounts not already inside an excluded OU (what a consumer's account skip list needs). */
    accountsOutsideExcludedOus: string[];
  };
  /** The in-scope OU cover (what the member-role StackSet targets). */
  cover: { targets: string[]; exact: boolean; uncovered: Array<{ accountId: string; reason: string }> };
  /** Identifier collisions resolved for this integration. */
  collisions: Collision[];
  /** Consumer-specific derived data (see each consumer in docs/consumers.md); {} for custom templates. */
  consumer: Record<string, unknown>;
}

export interface ContextAccount {
  id: string;
  name: string;
  email: string;
  /** The account's Organizations ARN. */
  arn: string;
  /** State, lower-cased as Backstage labels it: "active". */
  state: string;
  isManagementAccount: boolean;
  parentId: string;
  /** "/" for the root, "/Workloads/Prod" below it (OU names). */
  ouPath: string;
  /** Every OU path prefix: ["/Workloads", "/Workloads/Prod"] (empty at the root). */
  ouPathPrefixes: string[];
  /** Root first, then each OU down to the parent. */
  path: Array<{ id: string; name: string }>;
  tags: Record<string, string>;
  /** Tags as a list sorted by key. */
  tagList: Array<{ key: string; value: string }>;
  /** ARN of the integration's member role in this account (partition-correct, with the role path). */
  memberRoleArn: string;
  /** Collision-checked identifiers for this consumer, by kind (e.g. names.connection). */
  names: Record<string, string>;
  /** Other per-account values a consumer derives (e.g. Backstage's extra.owner, c7n-org's extra.tags). */
  extra: Record<string, unknown>;
}

export interface ContextExcludedAccount {
  id: string;
  name: string;
  state: string;
  isManagementAccount: boolean;
  ouPath: string;
  reasons: Array<{ kind: ExclusionReason["kind"]; text: string; ouId: string | null }>;
  /** The reasons joined: "in excluded OU Sandbox (ou-...); inactive (SUSPENDED)". */
  reasonText: string;
}

export interface ContextOu {
  id: string;
  name: string;
  parentId: string;
  path: string;
  depth: number;
  tags: Record<string, string>;
  /** In an excluded subtree. */
  excluded: boolean;
  /** In-scope account IDs anywhere below this OU, sorted. */
  inScopeAccountIds: string[];
  /** Consumer identifiers for the OU, when the consumer derives any (e.g. names.aggregator). */
  names: Record<string, string>;
}

export interface ContextOuNode {
  id: string;
  name: string;
  path: string;
  isRoot: boolean;
  excluded: boolean;
  /** In-scope account IDs directly in this node. */
  accountIds: string[];
  children: ContextOuNode[];
}

export interface ContextExternalId {
  source: "generate" | "value" | "env";
  /** Environment variable the value is read from at run time: "ORGTRUST_BACKSTAGE_EXTERNAL_ID". */
  variable: string;
  /** Terraform variable name (the env variable, lower-cased): set it with TF_VAR_<name>. */
  terraformVariable: string;
  /** Secrets Manager secret holding a generated value. */
  secretName: string;
  /** Fixed prefix of a generated value (Turbot Pipes: the Pipes organization ID), else null. */
  prefix: string | null;
  /** True with --inline-secrets, and always for consumers whose format cannot reference a variable: files carry the value. */
  inline: boolean;
  /** The value, only with --inline-secrets (else null). A secret: templates must only place it in files. */
  value: string | null;
  /** For formats whose consumer expands environment variables: "${VAR}", or the value when inline. */
  placeholder: string;
  /** An HCL expression: var.<terraformVariable>, or the quoted value when inline. */
  hcl: string;
}

export interface ContextInputs {
  snapshot: Snapshot;
  snapshotHash: string;
  integration: ResolvedIntegration;
  scope: Scope;
  cover: OuCover;
  externalId: ContextExternalId;
}

/** An in-scope account before any consumer has named it. */
export type BaseAccount = Omit<ContextAccount, "names" | "extra">;
/** An OU before any consumer has named it. */
export type BaseOu = Omit<ContextOu, "names">;
/** The context every consumer derives its part from: what the snapshot, scope and integration say, nothing consumer-specific. */
export type BaseContext = Omit<TemplateContext, "accounts" | "ous" | "collisions" | "consumer"> & {
  accounts: BaseAccount[];
  ous: BaseOu[];
};

/**
 * What one consumer adds to the context (its `prepare` hook returns it; prepare never mutates the base context):
 * identifiers by kind for accounts and OUs, per-account extra values, its collisions and its settings.
 */
export interface ConsumerPart {
  /** names[field] of each account: field -> (account ID -> identifier). */
  accountNames?: Record<string, ReadonlyMap<string, string>>;
  /** extra[field] of each account, computed from the account. */
  accountExtra?: Record<string, (a: BaseAccount) => unknown>;
  /** names[field] of each OU that has one: field -> (OU ID -> identifier). */
  ouNames?: Record<string, ReadonlyMap<string, string>>;
  collisions?: Collision[];
  /** ctx.consumer ({} when absent). */
  consumer?: Record<string, unknown>;
}

/** What the accounts under one parent share (every account's path is its parent's chain): computed once per parent. */
interface ParentParts {
  ouPath: string;
  prefixes: string[];
  path: Array<{ id: string; name: string }>;
}
/** OU names (the root's included) and the parts of each parent, by snapshot: computed once per snapshot. */
const ouPathsBySnapshot = new WeakMap<Snapshot, { names: Map<string, string>; byParent: Map<string, ParentParts> }>();

function ouPaths(s: Snapshot) {
  let r = ouPathsBySnapshot.get(s);
  if (!r) {
    r = {
      names: new Map<string, string>([
        [s.root.id, s.root.name],
        ...s.organizationalUnits.map((o): [string, string] => [o.id, o.name]),
      ]),
      byParent: new Map(),
    };
    ouPathsBySnapshot.set(s, r);
  }
  return r;
}

/**
 * What a context takes from the snapshot and the scope alone, whatever the integration. The integrations of one
 * org mostly share one scope (renderIntegrations computes each distinct scope once), so this is computed once per
 * scope and shared, read only, by their contexts: rebuilding it per integration (5,000 accounts, their tags and
 * paths) was most of the time generate spent on contexts.
 */
interface ScopeParts {
  snapshot: Snapshot;
  excluded: ContextExcludedAccount[];
  /** Every OU with no consumer names (names {}): the context's ous for consumers that name none. */
  ous: ContextOu[];
  ouTree: ContextOuNode;
  exclusions: TemplateContext["exclusions"];
  /** The in-scope accounts, all but what depends on the integration (the member role ARN, names, extra). */
  accounts: AccountCore[];
}
const scopePartsCache = new WeakMap<Scope, ScopeParts>();

/** OU path strings of a snapshot: "/" for no OU, "/Workloads/Prod" for the OU IDs of that path. */
function ouPathString(ouNames: ReadonlyMap<string, string>, ids: readonly string[]): string {
  return ids.length ? `/${ids.map((id) => ouNames.get(id) ?? id).join("/")}` : "/";
}

/** The OU path, its prefixes and the path of the accounts under one parent (shared by them: read only). */
function parentPartsOf(s: Snapshot, a: SnapshotAccount, paths = ouPaths(s)): ParentParts {
  const { names, byParent } = paths;
  let r = byParent.get(a.parentId);
  if (!r) {
    const ids = a.path.slice(1).map((e) => e.id);
    r = {
      ouPath: ouPathString(names, ids),
      prefixes: ids.map((_, n) => ouPathString(names, ids.slice(0, n + 1))),
      path: a.path.map((e) => ({ id: e.id, name: e.name })),
    };
    byParent.set(a.parentId, r);
  }
  return r;
}

/**
 * An account's tags as a tagRecord (null prototype). A loaded snapshot's tags already are one (canonicalize builds
 * them, and snapshots are never modified once built): those are shared, read only, instead of copied.
 */
function tagsOf(t: Record<string, string>): Record<string, string> {
  return Object.getPrototypeOf(t) === null ? t : tagRecord(Object.entries(t));
}

function scopeParts(s: Snapshot, scope: Scope): ScopeParts {
  const cached = scopePartsCache.get(scope);
  if (cached?.snapshot === s) return cached;
  const paths = ouPaths(s);
  const ouNames = paths.names;

  const excluded: ContextExcludedAccount[] = scope.excluded.map((e) => ({
    id: e.account.id,
    name: e.account.name,
    state: e.account.state.toLowerCase(),
    isManagementAccount: e.account.isManagementAccount,
    ouPath: parentPartsOf(s, e.account).ouPath,
    reasons: e.reasons.map((r) => ({
      kind: r.kind,
      text: describeReason(r),
      ouId: r.kind === "excluded-ou" ? r.ouId : null,
    })),
    reasonText: e.reasons.map(describeReason).join("; "),
  }));

  // In-scope accounts below each OU (recursively): walk each account's path once.
  const below = new Map<string, string[]>();
  const push = <K, V>(m: Map<K, V[]>, k: K, v: V) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  for (const a of scope.inScope) for (let n = 1; n < a.path.length; n++) push(below, a.path[n].id, a.id);
  const ous: ContextOu[] = s.organizationalUnits
    .map((o) => {
      const ids = [...o.path.slice(1).map((e) => e.id), o.id];
      return {
        id: o.id,
        name: o.name,
        parentId: o.parentId,
        path: ouPathString(ouNames, ids),
        depth: o.depth,
        tags: tagRecord(Object.entries(o.tags)),
        excluded: scope.excludedOuIds.has(o.id),
        inScopeAccountIds: [...(below.get(o.id) ?? [])].sort(compareStrings),
        names: {},
      };
    })
    .sort((a, b) => compareStrings(a.path, b.path) || compareStrings(a.id, b.id));

  const childrenOf = new Map<string, ContextOu[]>();
  for (const o of ous) push(childrenOf, o.parentId, o);
  const directAccounts = new Map<string, string[]>();
  for (const a of scope.inScope) push(directAccounts, a.parentId, a.id);
  const node = (id: string, name: string, path: string, isRoot: boolean, excludedNode: boolean): ContextOuNode => ({
    id,
    name,
    path,
    isRoot,
    excluded: excludedNode,
    accountIds: [...(directAccounts.get(id) ?? [])].sort(compareStrings),
    children: (childrenOf.get(id) ?? []).map((c) => node(c.id, c.name, c.path, false, c.excluded)),
  });

  const matchedOus = scope.rules.organizationalUnits.filter((id) => ouNames.has(id) && id !== s.root.id);
  const r: ScopeParts = {
    snapshot: s,
    excluded,
    ous,
    ouTree: node(s.root.id, s.root.name, "/", true, false),
    exclusions: {
      organizationalUnits: [...scope.rules.organizationalUnits].sort(compareStrings),
      matchedOrganizationalUnits: [...matchedOus].sort(compareStrings),
      accounts: [...scope.rules.accounts].sort(compareStrings),
      skipInactiveAccounts: scope.rules.skipInactiveAccounts,
      managementAccount: scope.rules.managementAccount,
      any: scope.excluded.length > 0,
      accountsOutsideExcludedOus: scope.excluded
        .filter((e) => !e.reasons.some((r) => r.kind === "excluded-ou"))
        .map((e) => e.account.id),
    },
    accounts: scope.inScope.map((a): AccountCore => {
      const parent = parentPartsOf(s, a, paths);
      return {
        id: a.id,
        name: a.name,
        email: a.email,
        arn: a.arn,
        state: a.state.toLowerCase(),
        isManagementAccount: a.isManagementAccount,
        parentId: a.parentId,
        ouPath: parent.ouPath,
        ouPathPrefixes: parent.prefixes,
        path: parent.path,
        tags: tagsOf(a.tags),
        tagList: Object.keys(a.tags)
          .sort(compareStrings)
          .map((key) => ({ key, value: a.tags[key] })),
      };
    }),
  };
  scopePartsCache.set(scope, r);
  return r;
}

/** An in-scope account as far as the snapshot and the scope say (shared by the integrations of one scope). */
type AccountCore = Omit<ContextAccount, "memberRoleArn" | "names" | "extra">;

/**
 * A base context whose accounts are already this context's own entries, with empty names and extra ({}), and whose
 * OUs have empty names (shared with the other contexts of the scope).
 */
type PlainBaseContext = BaseContext & { accounts: ContextAccount[]; ous: ContextOu[] };

/** Each context's account list -> the scope's shared list it was built from (same accounts, same order). */
const coreOfAccounts = new WeakMap<readonly ContextAccount[], readonly AccountCore[]>();

/**
 * The list a context's accounts were built from, shared by every context of the same scope (same accounts, IDs and
 * names, in the same order): a key for what consumers derive from the accounts' IDs and names alone. Undefined for
 * a list no context was built with.
 */
export function sharedAccountList(accounts: readonly object[]): readonly object[] | undefined {
  return coreOfAccounts.get(accounts as readonly ContextAccount[]);
}

/** Builds one integration's context: the base context, then the consumer's part (from `prepare`, given the base). */
export function buildContext(input: ContextInputs, prepare?: (base: BaseContext) => ConsumerPart): TemplateContext {
  const base = plainBaseContext(input);
  return withConsumerPart(base, prepare ? prepare(base) : {});
}

/**
 * The context with a consumer's part: every account and OU gets its names (and accounts their extra values). The
 * accounts are this context's own, so their names and extra are filled in place (not copied: 5,000 accounts per
 * integration); the OUs are shared with the other contexts of the scope, so a consumer that names OUs gets copies.
 */
function withConsumerPart(base: PlainBaseContext, part: ConsumerPart): TemplateContext {
  const accountNames = Object.entries(part.accountNames ?? {});
  const accountExtra = Object.entries(part.accountExtra ?? {});
  const ouNames = Object.entries(part.ouNames ?? {});
  for (const [field, m] of accountNames) for (const a of base.accounts) a.names[field] = m.get(a.id)!;
  for (const [field, f] of accountExtra) for (const a of base.accounts) a.extra[field] = f(a);
  const ous = ouNames.length
    ? base.ous.map((o): ContextOu => {
        const names: Record<string, string> = {};
        for (const [field, m] of ouNames) {
          const v = m.get(o.id);
          if (v !== undefined) names[field] = v;
        }
        return { ...o, names };
      })
    : base.ous;
  return { ...base, ous, collisions: [...(part.collisions ?? [])], consumer: part.consumer ?? {} };
}

/** The base context (no consumer names or data): what every consumer of this integration derives its part from. */
export function baseContext(input: ContextInputs): BaseContext {
  return plainBaseContext(input);
}

function plainBaseContext(input: ContextInputs): PlainBaseContext {
  const { snapshot: s, integration: i, scope, cover } = input;
  const p = i.partition;
  const parts = scopeParts(s, scope);
  // A literal, not a spread: one object shape for every account.
  const accounts = parts.accounts.map((a): ContextAccount => ({
    id: a.id,
    name: a.name,
    email: a.email,
    arn: a.arn,
    state: a.state,
    isManagementAccount: a.isManagementAccount,
    parentId: a.parentId,
    ouPath: a.ouPath,
    ouPathPrefixes: a.ouPathPrefixes,
    path: a.path,
    tags: a.tags,
    tagList: a.tagList,
    memberRoleArn: iamRoleArn(p, a.id, i.memberRole.name, i.memberRole.path),
    names: {},
    extra: {},
  }));
  coreOfAccounts.set(accounts, parts.accounts);
  return {
    generator: "orgtrust",
    integration: { name: i.name, consumer: i.consumer, options: i.options, tags: i.tags },
    organization: {
      id: s.organization.id,
      arn: s.organization.arn,
      featureSet: s.organization.featureSet,
      managementAccountId: s.organization.managementAccountId,
      managementAccountEmail: s.organization.managementAccountEmail,
      rootId: s.root.id,
      rootName: s.root.name,
    },
    partition: p,
    homeRegion: i.homeRegion,
    regions: [...i.regions],
    allRegions: i.regions.includes("*"),
    snapshot: {
      hash: input.snapshotHash,
      tagsIncluded: s.tagsIncluded,
      accountCount: s.accounts.length,
      ouCount: s.organizationalUnits.length,
    },
    accounts,
    excluded: parts.excluded,
    ous: parts.ous,
    ouTree: parts.ouTree,
    roles: {
      discovery: {
        name: i.discoveryRole.name,
        path: i.discoveryRole.path,
        arn: i.discoveryRole.arn,
        accountId: i.discoveryRole.accountId,
        nameWithPath: `${i.discoveryRole.path.slice(1)}${i.discoveryRole.name}`,
      },
      member: {
        name: i.memberRole.name,
        path: i.memberRole.path,
        nameWithPath: `${i.memberRole.path.slice(1)}${i.memberRole.name}`,
      },
    },
    externalId: input.externalId,
    exclusions: parts.exclusions,
    cover: {
      targets: [...cover.targets],
      exact: cover.exact,
      uncovered: cover.uncovered.map((u) => ({ accountId: u.account.id, reason: u.reason })),
    },
  };
}
