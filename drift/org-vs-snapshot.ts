import { computeScope, describeReason, type Scope, type ScopeRules } from "../org/scope";
import type { Snapshot, SnapshotAccount, SnapshotOu } from "../org/snapshot";
import { computeOuCover } from "../org/targets";
import { accountTarget, finding, ouTarget, type CheckResult, type Finding, type Target } from "./finding";

/**
 * Check 1: the live organization against the saved snapshot. Lists accounts added, removed, moved, renamed or
 * with a changed state, and OUs added, removed, moved or renamed; then, per integration, whether each change
 * alters the StackSet targets (computeOuCover on the snapshot's scope vs the live scope: re-synth and deploy) or
 * the in-scope set (computeScope: re-generate). Changes that alter neither are info.
 */
export interface IntegrationRules {
  name: string;
  rules: ScopeRules;
}

type AccountChange =
  | { kind: "account-added"; now: SnapshotAccount }
  | { kind: "account-removed"; old: SnapshotAccount }
  | { kind: "account-moved" | "account-state-changed" | "account-renamed"; old: SnapshotAccount; now: SnapshotAccount };
type OuChange =
  | { kind: "ou-added"; now: SnapshotOu }
  | { kind: "ou-removed"; old: SnapshotOu }
  | { kind: "ou-moved" | "ou-renamed"; old: SnapshotOu; now: SnapshotOu };
type Change = AccountChange | OuChange;

const isAccountChange = (c: Change): c is AccountChange => c.kind.startsWith("account-");
/** The record before and after a change (the one that exists, for an addition or a removal). */
const beforeOf = <T>(c: { old: T } | { now: T }): T | undefined => ("old" in c ? c.old : undefined);
const afterOf = <T>(c: { old: T } | { now: T }): T | undefined => ("now" in c ? c.now : undefined);
/** The record a change is about: the live one, or the old one for a removal. */
const subjectOf = <T>(c: { old: T } | { now: T }): T => ("now" in c ? c.now : c.old);

const pathText = (path: Array<{ id: string; name: string }>) =>
  `${path.map((p) => p.name).join("/")} (${path[path.length - 1].id})`;
const ouPathText = (o: SnapshotOu) => `${[...o.path.map((p) => p.name), o.name].join("/")} (${o.id})`;

export function diffOrganizations(old: Snapshot, now: Snapshot): Change[] {
  const changes: Change[] = [];
  const oldAccounts = new Map(old.accounts.map((a) => [a.id, a]));
  const newAccounts = new Map(now.accounts.map((a) => [a.id, a]));
  for (const a of now.accounts) {
    const o = oldAccounts.get(a.id);
    if (!o) {
      changes.push({ kind: "account-added", now: a });
      continue;
    }
    if (o.parentId !== a.parentId) changes.push({ kind: "account-moved", old: o, now: a });
    if (o.state !== a.state) changes.push({ kind: "account-state-changed", old: o, now: a });
    if (o.name !== a.name) changes.push({ kind: "account-renamed", old: o, now: a });
  }
  for (const o of old.accounts) if (!newAccounts.has(o.id)) changes.push({ kind: "account-removed", old: o });
  const oldOus = new Map(old.organizationalUnits.map((o) => [o.id, o]));
  const newOus = new Map(now.organizationalUnits.map((o) => [o.id, o]));
  for (const u of now.organizationalUnits) {
    const o = oldOus.get(u.id);
    if (!o) changes.push({ kind: "ou-added", now: u });
    else {
      if (o.parentId !== u.parentId) changes.push({ kind: "ou-moved", old: o, now: u });
      if (o.name !== u.name) changes.push({ kind: "ou-renamed", old: o, now: u });
    }
  }
  for (const o of old.organizationalUnits) if (!newOus.has(o.id)) changes.push({ kind: "ou-removed", old: o });
  return changes;
}

interface Impact {
  targetsAdded: Set<string>;
  targetsRemoved: Set<string>;
  oldScope: Scope;
  newScope: Scope;
  oldIn: Set<string>;
  newIn: Set<string>;
  /** Accounts whose in-scope status differs (including added and removed in-scope accounts). */
  scopeChanged: SnapshotAccount[];
}

function impactOf(old: Snapshot, now: Snapshot, rules: ScopeRules): Impact {
  const oldScope = computeScope(old, rules);
  const newScope = computeScope(now, rules);
  const oldTargets = new Set(computeOuCover(oldScope).targets);
  const newTargets = new Set(computeOuCover(newScope).targets);
  const oldIn = new Set(oldScope.inScope.map((a) => a.id));
  const newIn = new Set(newScope.inScope.map((a) => a.id));
  const oldIds = new Set(old.accounts.map((a) => a.id));
  const scopeChanged = [
    ...old.accounts.filter((a) => oldIn.has(a.id) !== newIn.has(a.id)),
    ...now.accounts.filter((a) => !oldIds.has(a.id) && newIn.has(a.id)),
  ];
  // The live record of an account wins (its path is the new one); keep the old record for removed accounts.
  const liveById = new Map(now.accounts.map((a) => [a.id, a]));
  return {
    targetsAdded: new Set([...newTargets].filter((t) => !oldTargets.has(t))),
    targetsRemoved: new Set([...oldTargets].filter((t) => !newTargets.has(t))),
    oldScope,
    newScope,
    oldIn,
    newIn,
    scopeChanged: [...new Map(scopeChanged.map((a) => [a.id, liveById.get(a.id) ?? a])).values()],
  };
}

function whyOut(scope: Scope, id: string): string {
  const e = scope.excluded.find((x) => x.account.id === id);
  return e ? e.reasons.map(describeReason).join("; ") : "not in the organization";
}

/** What one change is and does, for one integration: the finding's target, text and impact. */
interface ChangeEffect {
  target: Target;
  what: string;
  expected: string | null;
  found: string | null;
  altersTargets: boolean;
  altersScope: boolean;
  scopeNote: string;
}

/** The per-integration facts every change is judged against. */
interface IntegrationImpact {
  imp: Impact;
  diffIds: Set<string>;
  explicitlyExcluded: Set<string>;
  oldById: Map<string, SnapshotAccount>;
}

function accountEffect(c: AccountChange, { imp, diffIds, explicitlyExcluded }: IntegrationImpact): ChangeEffect {
  const o = beforeOf(c);
  const n = afterOf(c);
  const a = subjectOf(c);
  const touched = [...(o?.path.map((p) => p.id) ?? []), ...(n?.path.map((p) => p.id) ?? [])];
  const altersTargets =
    c.kind !== "account-state-changed" &&
    c.kind !== "account-renamed" &&
    explicitlyExcluded.has(a.id) &&
    touched.some((t) => diffIds.has(t));
  const isIn = imp.newIn.has(a.id);
  const altersScope = imp.oldIn.has(a.id) !== isIn;
  const scopeNote = !altersScope ? "" : isIn ? "now in scope" : `now out of scope (${whyOut(imp.newScope, a.id)})`;
  const effect = { target: accountTarget(a), altersTargets, altersScope, scopeNote };
  switch (c.kind) {
    case "account-added":
      return {
        ...effect,
        what: `account ${a.id} (${a.name}) joined the organization in ${pathText(a.path)}`,
        expected: null,
        found: `${pathText(a.path)}, ${a.state}`,
      };
    case "account-removed":
      return {
        ...effect,
        what: `account ${a.id} (${a.name}) left the organization`,
        expected: `${pathText(a.path)}, ${a.state}`,
        found: null,
      };
    case "account-moved":
      return {
        ...effect,
        what: `account ${a.id} (${a.name}) moved from ${pathText(c.old.path)} to ${pathText(c.now.path)}`,
        expected: pathText(c.old.path),
        found: pathText(c.now.path),
      };
    case "account-state-changed":
      return {
        ...effect,
        what: `account ${a.id} (${a.name}) changed state from ${c.old.state} to ${c.now.state}`,
        expected: c.old.state,
        found: c.now.state,
      };
    case "account-renamed":
      return {
        ...effect,
        what: `account ${a.id} was renamed from "${c.old.name}" to "${c.now.name}"`,
        expected: c.old.name,
        found: c.now.name,
      };
  }
}

function ouEffect(c: OuChange, { imp, diffIds, oldById }: IntegrationImpact): ChangeEffect {
  const o = beforeOf(c);
  const n = afterOf(c);
  const u = subjectOf(c);
  const touched = [...(o ? [...o.path.map((p) => p.id), o.id] : []), ...(n ? [...n.path.map((p) => p.id), n.id] : [])];
  const altersTargets = c.kind !== "ou-renamed" && touched.some((t) => diffIds.has(t));
  const moved = imp.scopeChanged.filter(
    (a) => a.path.some((p) => p.id === u.id) || oldById.get(a.id)?.path.some((p) => p.id === u.id),
  );
  const altersScope = c.kind !== "ou-renamed" && moved.length > 0;
  const inNow = moved.filter((a) => imp.newIn.has(a.id)).length;
  const scopeNote = altersScope
    ? `${moved.length} account(s) change scope (${inNow} now in, ${moved.length - inNow} now out)`
    : "";
  const effect = { target: ouTarget(u), altersTargets, altersScope, scopeNote };
  switch (c.kind) {
    case "ou-added":
      return {
        ...effect,
        what: `OU ${u.id} (${u.name}) was created at ${ouPathText(u)}`,
        expected: null,
        found: ouPathText(u),
      };
    case "ou-removed":
      return { ...effect, what: `OU ${u.id} (${u.name}) no longer exists`, expected: ouPathText(u), found: null };
    case "ou-moved":
      return {
        ...effect,
        what: `OU ${u.id} (${u.name}) moved from ${ouPathText(c.old)} to ${ouPathText(c.now)}`,
        expected: ouPathText(c.old),
        found: ouPathText(c.now),
      };
    case "ou-renamed":
      return {
        ...effect,
        what: `OU ${u.id} was renamed from "${c.old.name}" to "${c.now.name}"`,
        expected: c.old.name,
        found: c.now.name,
      };
  }
}

/** The finding for one change and one integration: error when targets or scope change, else warning or info. */
function changeFinding(
  c: Change,
  e: ChangeEffect,
  integration: string,
  targetDiff: string[],
  newIn: Set<string>,
  snapshotLabel: string,
): Finding {
  const rediscover = cap(`re-run \`orgtrust discover --out ${snapshotLabel}\``);
  const notes = [e.scopeNote, e.altersTargets ? `StackSet targets change: ${targetDiff.join(" ")}` : ""].filter(
    Boolean,
  );
  const message = `${e.what}${notes.length ? `; ${notes.join("; ")}` : ""}`;
  const base = { integration, target: e.target, expected: e.expected, found: e.found, check: "org" as const };
  if (e.altersTargets) {
    return finding(c.kind, {
      ...base,
      message,
      severity: "error",
      remedy: "resynth-deploy",
      fix: `${rediscover}, then synth and apply (\`orgtrust synth --hcl\`, then \`terraform apply\` in its stacks/<integration> folder, or \`cdktf deploy\` of your own cdktf app) and run \`orgtrust generate\`.`,
    });
  }
  if (e.altersScope) {
    return finding(c.kind, {
      ...base,
      message,
      severity: "error",
      remedy: "regenerate",
      fix: `${rediscover}, then run \`orgtrust generate\` (the in-scope accounts changed).`,
    });
  }
  const isAccount = isAccountChange(c);
  const stillIn = isAccount && newIn.has(e.target.id);
  const regen = stillIn && (c.kind === "account-moved" || c.kind === "account-renamed");
  return finding(c.kind, {
    ...base,
    message: `${message}${regen ? "; still in scope" : isAccount ? (stillIn ? "" : "; outside this integration's scope") : "; neither targets nor scope change"}`,
    severity: regen ? "warning" : "info",
    remedy: regen ? "regenerate" : "rediscover",
    fix: regen
      ? `${rediscover}, then run \`orgtrust generate\` (configs that carry OU paths or names change).`
      : `${rediscover} to keep the snapshot current.`,
  });
}

function otherOrganization(old: Snapshot, now: Snapshot, orgTarget: Target, snapshotLabel: string): Finding {
  return finding("snapshot-other-organization", {
    integration: null,
    target: orgTarget,
    message: `the snapshot ${snapshotLabel} describes organization ${old.organization.id}, but the credentials reach ${now.organization.id}`,
    expected: old.organization.id,
    found: now.organization.id,
    fix: `Check --profile/--role-arn, or re-run \`orgtrust discover --out ${snapshotLabel}\`.`,
  });
}

export function checkOrgVsSnapshot(
  old: Snapshot,
  now: Snapshot,
  integrations: IntegrationRules[],
  snapshotLabel: string,
): CheckResult {
  const orgTarget: Target = { type: "organization", id: now.organization.id, name: null };
  const units = integrations.map((i) => ({ check: "org" as const, integration: i.name, target: orgTarget }));
  if (old.organization.id !== now.organization.id)
    return { units, findings: [otherOrganization(old, now, orgTarget, snapshotLabel)] };
  const changes = diffOrganizations(old, now);
  const findings: Finding[] = [];
  if (!changes.length) return { units, findings };
  const oldById = new Map(old.accounts.map((a) => [a.id, a]));
  for (const integ of integrations) {
    const imp = impactOf(old, now, integ.rules);
    const targetDiff = [
      ...[...imp.targetsRemoved].sort().map((t) => `-${t}`),
      ...[...imp.targetsAdded].sort().map((t) => `+${t}`),
    ];
    const facts: IntegrationImpact = {
      imp,
      diffIds: new Set([...imp.targetsAdded, ...imp.targetsRemoved]),
      explicitlyExcluded: new Set(integ.rules.accounts),
      oldById,
    };
    for (const c of changes) {
      const effect = isAccountChange(c) ? accountEffect(c, facts) : ouEffect(c, facts);
      findings.push(changeFinding(c, effect, integ.name, targetDiff, imp.newIn, snapshotLabel));
    }
  }
  return { units, findings };
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
