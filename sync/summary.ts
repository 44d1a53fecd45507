import type { ResolvedIntegration } from "../config/resolve";
import { computeScope, type ScopeRules } from "../org/scope";
import type { PathEntry, Snapshot, SnapshotAccount, SnapshotOu } from "../org/snapshot";
import type { Coverage } from "../plan/member-role";
import { countChanges, type OrgChanges } from "./diff";
import { code, table, text } from "./markdown";

/**
 * The change summary `orgtrust sync` writes for a pull-request body: per integration, the account and OU changes that
 * concern it, who now gets or loses the member role (through the StackSet, directly, or not at all and why), the
 * StackSet targets, drift findings and the files that changed. Deterministic: no timestamp, everything sorted.
 */

/** Summary length before it is cut (GitHub's pull-request body limit is 65,536 characters). */
export const MAX_SUMMARY_CHARS = 60_000;

/** How an account gets the member role of one integration, as the planner gives it (plan/member-role.ts Coverage). */
export type RoleStatus = { how: "stackset" } | { how: "direct"; why: string } | { how: "none"; why: string };

export function roleStatuses(coverage: Coverage | undefined): Map<string, RoleStatus> {
  const m = new Map<string, RoleStatus>();
  if (!coverage) return m;
  for (const a of coverage.viaStackSet) m.set(a.id, { how: "stackset" });
  for (const d of coverage.direct) {
    m.set(d.id, {
      how: "direct",
      why:
        d.how === "management-account"
          ? "management account: StackSets never deploy there"
          : `own provider: ${d.reason ?? "no StackSet target reaches it"}`,
    });
  }
  for (const u of coverage.uncovered) m.set(u.id, { how: "none", why: u.reason });
  for (const e of coverage.excluded) m.set(e.id, { how: "none", why: e.reasons.join("; ") });
  return m;
}

export function describeStatus(s: RoleStatus | undefined): string {
  if (!s) return "not in the organization";
  if (s.how === "stackset") return "through the StackSet";
  return s.how === "direct" ? `directly (${s.why})` : `not at all: ${s.why}`;
}

export interface IntegrationSummaryInput {
  integration: ResolvedIntegration;
  before?: Coverage;
  after: Coverage;
  /** Files of this integration that changed (or would change under --check), relative paths, sorted. */
  files: Array<{ path: string; status: string }>;
  /** Drift findings for this integration (when drift ran), one line each. */
  drift?: Array<{ severity: string; kind: string; message: string }>;
}

export interface SummaryInput {
  organizationId: string;
  before?: Snapshot;
  after: Snapshot;
  changes: OrgChanges;
  refresh: { mode: "full" | "incremental"; calls: number; reason?: string; ids?: string[] };
  check: boolean;
  /** Files outside any one integration (the snapshot, synth's manifest, the sync trigger stack). */
  sharedFiles: Array<{ path: string; status: string }>;
  integrations: IntegrationSummaryInput[];
}

const pathText = (p: PathEntry[]) => p.map((e) => e.name).join(" / ");
const acct = (a: { id: string; name: string }) => `${code(a.name)} (${code(a.id)})`;
const ouRef = (o: { id: string; name: string }) => `${code(o.name)} (${code(o.id)})`;
const tagText = (t: Record<string, string>) => {
  const e = Object.entries(t);
  return e.length ? e.map(([k, v]) => code(`${k}=${v}`)).join(" ") : "(none)";
};

function rulesOf(i: ResolvedIntegration): ScopeRules {
  return {
    organizationalUnits: i.exclusions.organizationalUnits,
    accounts: i.exclusions.accounts,
    skipInactiveAccounts: i.exclusions.skipInactiveAccounts,
    managementAccount: i.exclusions.managementAccount,
  };
}

/** Account rows that concern an integration: the account is in its scope before or after, or it changed scope. */
function accountRows(changes: OrgChanges, relevant: (id: string) => boolean): string[][] {
  const rows: string[][] = [];
  for (const a of changes.accountsAdded)
    if (relevant(a.id)) rows.push(["added", acct(a), `in ${code(pathText(a.path))}, ${code(a.state)}`]);
  for (const a of changes.accountsRemoved)
    if (relevant(a.id)) rows.push(["removed", acct(a), `was in ${code(pathText(a.path))}`]);
  for (const m of changes.accountsMoved)
    if (relevant(m.account.id))
      rows.push(["moved", acct(m.account), `${code(pathText(m.from))} → ${code(pathText(m.to))}`]);
  for (const r of changes.accountsRenamed)
    if (relevant(r.account.id)) rows.push(["renamed", acct(r.account), `${code(r.from)} → ${code(r.to)}`]);
  for (const s of changes.accountStates)
    if (relevant(s.account.id)) rows.push(["state", acct(s.account), `${code(s.from)} → ${code(s.to)}`]);
  for (const t of changes.accountTags)
    if (relevant(t.account.id)) rows.push(["tags", acct(t.account), `${tagText(t.from)} → ${tagText(t.to)}`]);
  return rows;
}

function ouRows(changes: OrgChanges, relevant: (ou: SnapshotOu) => boolean): string[][] {
  const rows: string[][] = [];
  for (const o of changes.ousCreated) if (relevant(o)) rows.push(["created", ouRef(o), `in ${code(pathText(o.path))}`]);
  for (const o of changes.ousDeleted)
    if (relevant(o)) rows.push(["deleted", ouRef(o), `was in ${code(pathText(o.path))}`]);
  for (const r of changes.ousRenamed)
    if (relevant(r.ou)) rows.push(["renamed", ouRef(r.ou), `${code(r.from)} → ${code(r.to)}`]);
  for (const t of changes.ouTags)
    if (relevant(t.ou)) rows.push(["tags", ouRef(t.ou), `${tagText(t.from)} → ${tagText(t.to)}`]);
  return rows;
}

function fileRows(files: Array<{ path: string; status: string }>): string[][] {
  return files.map((f) => [code(f.path), text(f.status)]);
}

/** The whole pull-request body. */
export function renderSummary(s: SummaryInput): string {
  const n = countChanges(s.changes);
  const changedFiles = s.sharedFiles.length + s.integrations.reduce((a, i) => a + i.files.length, 0);
  const out: string[] = [];
  const verb = s.check ? "would change" : "changed";
  out.push(
    `## orgtrust sync: ${n} organization change${n === 1 ? "" : "s"}, ${changedFiles} file${changedFiles === 1 ? "" : "s"} ${verb}`,
  );
  out.push("");
  const how =
    s.refresh.mode === "full"
      ? `a full crawl (${s.refresh.calls} Organizations calls${s.refresh.reason ? `; ${text(s.refresh.reason)}` : ""})`
      : `an incremental refresh of ${(s.refresh.ids ?? []).map((id) => code(id, false)).join(", ")} (${s.refresh.calls} Organizations calls)`;
  out.push(
    `Organization ${code(s.organizationId, false)} · ${s.before ? "" : "no committed snapshot yet · "}refreshed by ${how}.`,
  );
  if (s.refresh.mode === "incremental")
    out.push(
      "",
      "An incremental refresh reads only what the event named; the scheduled run's full crawl catches anything an event missed.",
    );

  const beforeOus = new Map((s.before?.organizationalUnits ?? []).map((o) => [o.id, o]));
  const afterOus = new Map(s.after.organizationalUnits.map((o) => [o.id, o]));
  for (const i of s.integrations) {
    const name = i.integration.name;
    out.push("", `### ${code(name, false)} (${text(i.integration.consumer)})`, "");
    const b = roleStatuses(i.before);
    const a = roleStatuses(i.after);
    const beforeScope = s.before ? computeScope(s.before, rulesOf(i.integration)) : undefined;
    const afterScope = computeScope(s.after, rulesOf(i.integration));
    const inScopeIds = new Set([...(beforeScope?.inScope ?? []), ...afterScope.inScope].map((x) => x.id));
    // A change of how the account gets the role; without it before and after (absent or out of scope) is no change.
    const without = (x: RoleStatus | undefined) => !x || x.how === "none";
    const statusChanged = (id: string) =>
      !(without(b.get(id)) && without(a.get(id))) && describeStatus(b.get(id)) !== describeStatus(a.get(id));
    const relevantAccount = (id: string) => inScopeIds.has(id) || statusChanged(id);
    const excludedOu = (o: SnapshotOu) =>
      (beforeScope?.excludedOuIds.has(o.id) ?? true) &&
      afterScope.excludedOuIds.has(o.id) &&
      (beforeOus.has(o.id) || afterOus.has(o.id));
    out.push(
      `In scope: ${afterScope.inScope.length} account${afterScope.inScope.length === 1 ? "" : "s"}${beforeScope && beforeScope.inScope.length !== afterScope.inScope.length ? ` (was ${beforeScope.inScope.length})` : ""}; member role for ${i.after.viaStackSet.length} through the StackSet, ${i.after.direct.length} directly, ${i.after.uncovered.length} in scope without it.`,
    );

    const accounts = accountRows(s.changes, relevantAccount);
    const ous = ouRows(s.changes, (o) => !excludedOu(o));
    if (accounts.length) out.push("", "**Accounts**", "", ...table(["Change", "Account", "Details"], accounts));
    if (ous.length) out.push("", "**Organizational units**", "", ...table(["Change", "OU", "Details"], ous));

    const ids = [...new Set([...b.keys(), ...a.keys()])].sort();
    const roleRows = ids.filter(statusChanged).map((id) => {
      const acc = s.after.accounts.find((x) => x.id === id) ?? s.before?.accounts.find((x) => x.id === id);
      const now = a.get(id);
      const verbRow = without(now) ? "loses" : without(b.get(id)) ? "gets" : "changes how";
      return [
        acct({ id, name: acc?.name ?? id }),
        text(verbRow),
        text(describeStatus(b.get(id))),
        text(describeStatus(now)),
      ];
    });
    if (roleRows.length)
      out.push("", "**Member role**", "", ...table(["Account", "Change", "Before", "Now"], roleRows));
    const tb = (i.before?.targets ?? []).map((t) => t.id).join(",");
    const ta = i.after.targets.map((t) => t.id).join(",");
    if (i.before && tb !== ta) {
      const list = (c: Coverage) => (c.targets.length ? c.targets.map((t) => ouRef(t)).join(", ") : "none");
      out.push("", `StackSet targets: ${list(i.before)} → ${list(i.after)}`);
    }
    if (i.drift?.length) {
      out.push(
        "",
        "**Drift findings**",
        "",
        ...table(
          ["Severity", "Kind", "Finding"],
          i.drift.map((d) => [text(d.severity), code(d.kind), code(d.message)]),
        ),
      );
    }
    if (i.files.length)
      out.push("", `**Files** (${i.files.length})`, "", ...table(["File", "Status"], fileRows(i.files)));
    if (!accounts.length && !ous.length && !roleRows.length && !i.files.length && !i.drift?.length)
      out.push("", "No change for this integration.");
  }
  if (s.changes.rootTags)
    out.push("", `Root tags: ${tagText(s.changes.rootTags.from)} → ${tagText(s.changes.rootTags.to)}`);
  if (s.sharedFiles.length)
    out.push(
      "",
      `### Other files (${s.sharedFiles.length})`,
      "",
      ...table(["File", "Status"], fileRows(s.sharedFiles)),
    );
  const footer = [
    "",
    "---",
    "Review the changes, merge, then apply the stacks (`cdktf deploy` or `terraform apply`). Generated by `orgtrust sync`.",
  ];
  let body = out.join("\n");
  if (body.length > MAX_SUMMARY_CHARS) {
    // GitHub refuses a pull-request body over 65,536 characters: cut at a line end, say so.
    body = `${body.slice(0, body.lastIndexOf("\n", MAX_SUMMARY_CHARS))}\n\n… the summary is cut here (a pull-request body holds at most 65,536 characters); \`orgtrust sync --check --json\` lists every change.`;
  }
  return `${body}${footer.join("\n")}\n`;
}

export type { SnapshotAccount };
