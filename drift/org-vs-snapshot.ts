import { computeScope, describeReason, type Scope, type ScopeRules } from "../org/scope";
import type { Snapshot, SnapshotAccount, SnapshotOu } from "../org/snapshot";
import { computeOuCover } from "../org/targets";
import { accountTarget, finding, ouTarget, type CheckResult, type Finding, type FindingKind, type Target } from "./finding";

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

type Change =
  | { kind: "account-added" | "account-removed" | "account-moved" | "account-state-changed" | "account-renamed"; old?: SnapshotAccount; now?: SnapshotAccount }
  | { kind: "ou-added" | "ou-removed" | "ou-moved" | "ou-renamed"; old?: SnapshotOu; now?: SnapshotOu };

const pathText = (path: Array<{ id: string; name: string }>) => `${path.map((p) => p.name).join("/")} (${path[path.length - 1].id})`;
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

export function checkOrgVsSnapshot(old: Snapshot, now: Snapshot, integrations: IntegrationRules[], snapshotLabel: string): CheckResult {
  const orgTarget: Target = { type: "organization", id: now.organization.id, name: null };
  const units = integrations.map((i) => ({ check: "org" as const, integration: i.name, target: orgTarget }));
  if (old.organization.id !== now.organization.id) {
    return {
      units,
      findings: [
        finding("snapshot-other-organization", {
          integration: null,
          target: orgTarget,
          message: `the snapshot ${snapshotLabel} describes organization ${old.organization.id}, but the credentials reach ${now.organization.id}`,
          expected: old.organization.id,
          found: now.organization.id,
          fix: `Check --profile/--role-arn, or re-run \`orgtrust discover --out ${snapshotLabel}\`.`,
        }),
      ],
    };
  }
  const changes = diffOrganizations(old, now);
  const findings: Finding[] = [];
  const rediscover = `re-run \`orgtrust discover --out ${snapshotLabel}\``;
  for (const integ of integrations) {
    if (!changes.length) break;
    const imp = impactOf(old, now, integ.rules);
    const targetDiff = [...[...imp.targetsRemoved].sort().map((t) => `-${t}`), ...[...imp.targetsAdded].sort().map((t) => `+${t}`)];
    const diffIds = new Set([...imp.targetsAdded, ...imp.targetsRemoved]);
    const explicitlyExcluded = new Set(integ.rules.accounts);
    const oldById = new Map(old.accounts.map((a) => [a.id, a]));
    for (const c of changes) {
      let target: Target;
      let touched: string[];
      let altersTargets: boolean;
      let altersScope: boolean;
      let what: string;
      let expected: string | null;
      let found: string | null;
      let scopeNote = "";
      if (c.kind.startsWith("account-")) {
        const a = (c as { old?: SnapshotAccount; now?: SnapshotAccount }).now ?? (c as { old?: SnapshotAccount }).old!;
        const o = (c as { old?: SnapshotAccount }).old;
        const n = (c as { now?: SnapshotAccount }).now;
        target = accountTarget(a);
        touched = [...(o?.path.map((p) => p.id) ?? []), ...(n?.path.map((p) => p.id) ?? [])];
        altersTargets = c.kind !== "account-state-changed" && c.kind !== "account-renamed" && explicitlyExcluded.has(a.id) && touched.some((t) => diffIds.has(t));
        const wasIn = imp.oldIn.has(a.id);
        const isIn = imp.newIn.has(a.id);
        altersScope = wasIn !== isIn;
        if (altersScope) scopeNote = isIn ? "now in scope" : `now out of scope (${whyOut(imp.newScope, a.id)})`;
        switch (c.kind) {
          case "account-added":
            what = `account ${a.id} (${a.name}) joined the organization in ${pathText(a.path)}`;
            expected = null;
            found = `${pathText(a.path)}, ${a.state}`;
            break;
          case "account-removed":
            what = `account ${a.id} (${a.name}) left the organization`;
            expected = `${pathText(a.path)}, ${a.state}`;
            found = null;
            break;
          case "account-moved":
            what = `account ${a.id} (${a.name}) moved from ${pathText(o!.path)} to ${pathText(n!.path)}`;
            expected = pathText(o!.path);
            found = pathText(n!.path);
            break;
          case "account-state-changed":
            what = `account ${a.id} (${a.name}) changed state from ${o!.state} to ${n!.state}`;
            expected = o!.state;
            found = n!.state;
            break;
          default:
            what = `account ${a.id} was renamed from "${o!.name}" to "${n!.name}"`;
            expected = o!.name;
            found = n!.name;
        }
      } else {
        const u = (c as { now?: SnapshotOu }).now ?? (c as { old?: SnapshotOu }).old!;
        const o = (c as { old?: SnapshotOu }).old;
        const n = (c as { now?: SnapshotOu }).now;
        target = ouTarget(u);
        touched = [...(o ? [...o.path.map((p) => p.id), o.id] : []), ...(n ? [...n.path.map((p) => p.id), n.id] : [])];
        altersTargets = c.kind !== "ou-renamed" && touched.some((t) => diffIds.has(t));
        const moved = imp.scopeChanged.filter((a) => a.path.some((p) => p.id === u.id) || oldById.get(a.id)?.path.some((p) => p.id === u.id));
        altersScope = c.kind !== "ou-renamed" && moved.length > 0;
        if (altersScope) {
          const inNow = moved.filter((a) => imp.newIn.has(a.id)).length;
          scopeNote = `${moved.length} account(s) change scope (${inNow} now in, ${moved.length - inNow} now out)`;
        }
        switch (c.kind) {
          case "ou-added":
            what = `OU ${u.id} (${u.name}) was created at ${ouPathText(u)}`;
            expected = null;
            found = ouPathText(u);
            break;
          case "ou-removed":
            what = `OU ${u.id} (${u.name}) no longer exists`;
            expected = ouPathText(u);
            found = null;
            break;
          case "ou-moved":
            what = `OU ${u.id} (${u.name}) moved from ${ouPathText(o!)} to ${ouPathText(n!)}`;
            expected = ouPathText(o!);
            found = ouPathText(n!);
            break;
          default:
            what = `OU ${u.id} was renamed from "${o!.name}" to "${n!.name}"`;
            expected = o!.name;
            found = n!.name;
        }
      }
      const notes = [scopeNote, altersTargets ? `StackSet targets change: ${targetDiff.join(" ")}` : ""].filter(Boolean);
      const message = `${what}${notes.length ? `; ${notes.join("; ")}` : ""}`;
      const kind = c.kind as FindingKind;
      const base = { integration: integ.name, target, expected, found, check: "org" as const };
      if (altersTargets) {
        findings.push(finding(kind, { ...base, message, severity: "error", remedy: "resynth-deploy", fix: `${cap(rediscover)}, then synth and apply (\`orgtrust synth --hcl\`, then \`terraform apply\` in its stacks/<integration> folder, or \`cdktf deploy\` of your own cdktf app) and run \`orgtrust generate\`.` }));
      } else if (altersScope) {
        findings.push(finding(kind, { ...base, message, severity: "error", remedy: "regenerate", fix: `${cap(rediscover)}, then run \`orgtrust generate\` (the in-scope accounts changed).` }));
      } else {
        const stillIn = c.kind.startsWith("account-") && imp.newIn.has(target.id);
        const regen = stillIn && (c.kind === "account-moved" || c.kind === "account-renamed");
        findings.push(
          finding(kind, {
            ...base,
            message: `${message}${regen ? "; still in scope" : c.kind.startsWith("account-") ? (stillIn ? "" : "; outside this integration's scope") : "; neither targets nor scope change"}`,
            severity: regen ? "warning" : "info",
            remedy: regen ? "regenerate" : "rediscover",
            fix: regen ? `${cap(rediscover)}, then run \`orgtrust generate\` (configs that carry OU paths or names change).` : `${cap(rediscover)} to keep the snapshot current.`,
          }),
        );
      }
    }
  }
  return { units, findings };
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
