import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InputError } from "../common/errors";
import type { Logger } from "../common/log";
import type { LoadedConfig } from "../config/load";
import type { ResolvedIntegration } from "../config/resolve";
import { runGenerate } from "../generate";
import type { AwsOptions } from "../aws/options";
import { discoverOrganization } from "../org/discover";
import { loadSnapshot, saveSnapshot, serializeSnapshot, type Snapshot } from "../org/snapshot";
import { planIntegration } from "../plan/integration";
import type { Coverage } from "../plan/member-role";
import type { ScopeFlags } from "../org/scope-rules";
import { runSynth } from "../synth/synthesize";
import { countChanges, diffSnapshots, type OrgChanges } from "./diff";
import { refreshIncrementally } from "./incremental";
import { renderSummary } from "./summary";
import { compareStrings } from "../common/compare";

/**
 * `orgtrust sync` as a function: refresh the org (a full crawl, or incrementally from the committed snapshot when
 * an event names what changed), compare with the committed snapshot, regenerate every consumer's files and the stacks,
 * and write the change summary. With check, nothing is written. The order of the writes (generated files, stacks,
 * snapshot last) means a run that fails half-way leaves the old snapshot, so the next run redoes the work.
 */

/** What `orgtrust sync` refreshes, regenerates and writes (cli/sync.ts maps the flags to it). */
export interface SyncOptions {
  loaded: LoadedConfig;
  /** The committed snapshot file (read, and written when the org changed). May not exist yet. */
  snapshotPath: string;
  /** Every integration of the config (resolved). */
  integrations: ResolvedIntegration[];
  aws: AwsOptions;
  /**
   * The snapshot the summary and coverage compare with, when it is not the one refreshed from (the workflow refreshes
   * from the open sync pull request's snapshot, so events accumulate, and describes the change since the default branch's).
   */
  sincePath?: string;
  /** Ids an event named (accounts, OUs, the root); empty: a full crawl. */
  changed: string[];
  /** Why a full crawl was chosen although an event was given (e.g. the event named no id). */
  fullCrawlReason?: string;
  /** Crawl the whole org when the committed snapshot is older than this (hours). */
  maxSnapshotAgeHours: number;
  check: boolean;
  /** synth's output folder and format. */
  synthOut: string;
  hcl: boolean;
  /** generate's --out (each integration under DIR/<integration>/); default each integration's output.dir. */
  generatedDir?: string;
  /** Extra exclusions passed on to generate and synth (default: none; the CLI offers no --exclude-* for sync: the config decides). */
  exclusions?: ScopeFlags;
  log: Logger;
  /** Drift findings per integration name (injected by the CLI when --drift is given). */
  drift?: (snapshot: Snapshot) => Promise<Map<string, Array<{ severity: string; kind: string; message: string }>>>;
}

export type SyncFileStatus = "created" | "changed" | "removed";

export interface SyncResult {
  /** True when a file changed (or would, under check): exit 1. */
  changed: boolean;
  check: boolean;
  refresh: { mode: "full" | "incremental"; calls: number; reason?: string; ids?: string[] };
  changes: OrgChanges;
  organizationChanges: number;
  /** Every file that changed (or would), relative to the working directory, with the integration it belongs to. */
  files: Array<{ path: string; status: SyncFileStatus; integration: string | null }>;
  /** The Markdown change summary (the pull-request body). */
  summary: string;
}

/** Age of the committed snapshot in hours: its last git commit, else its modification time. */
export function snapshotAgeHours(file: string, now = Date.now()): number {
  const dir = path.dirname(path.resolve(file));
  const git = spawnSync("git", ["log", "-1", "--format=%ct", "--", path.basename(file)], {
    cwd: dir,
    encoding: "utf8",
  });
  const committed = git.status === 0 ? Number(git.stdout.trim()) : NaN;
  const at = Number.isFinite(committed) && committed > 0 ? committed * 1000 : fs.statSync(file).mtimeMs;
  return Math.max(0, (now - at) / 3_600_000);
}

const rel = (p: string) => {
  const r = path.relative(process.cwd(), p);
  return r && !r.startsWith("..") && !path.isAbsolute(r) ? r : p;
};

function listFiles(dir: string, prefix = ""): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(path.join(dir, e.name), p));
    else out.push(p);
  }
  return out.sort();
}

const readOrNull = (f: string) => {
  try {
    return fs.readFileSync(f, "utf8");
  } catch {
    return null;
  }
};

/** A logger that prints each warning once (synth and generate each plan the same integrations). */
function dedupe(log: Logger): Logger {
  const seen = new Set<string>();
  return { ...log, warn: (m) => void (seen.has(m) || (seen.add(m), log.warn(m))) };
}

const silent: Logger = { info() {}, warn() {}, progress() {}, done() {} };

export async function runSync(opts: SyncOptions): Promise<SyncResult> {
  const log = dedupe(opts.log);
  const exists = fs.existsSync(opts.snapshotPath);
  const before = exists ? loadSnapshot(opts.snapshotPath) : undefined;
  const beforeText = exists ? fs.readFileSync(opts.snapshotPath, "utf8") : null;

  const since = opts.sincePath ? (fs.existsSync(opts.sincePath) ? loadSnapshot(opts.sincePath) : undefined) : before;

  // 1. Refresh the org.
  let after: Snapshot | undefined;
  let refresh: SyncResult["refresh"] | undefined;
  let reason = opts.fullCrawlReason;
  if (opts.changed.length) {
    if (!before) reason = "no committed snapshot to refresh from";
    else {
      const age = snapshotAgeHours(opts.snapshotPath);
      if (age > opts.maxSnapshotAgeHours)
        reason = `the committed snapshot is ${Math.floor(age)} h old (more than ${opts.maxSnapshotAgeHours} h)`;
      else {
        const inc = await refreshIncrementally(before, opts.changed, opts.aws);
        if (inc.snapshot) {
          after = inc.snapshot;
          refresh = { mode: "incremental", calls: inc.stats.total, ids: [...new Set(opts.changed)].sort() };
        } else reason = `incremental refresh not possible: ${inc.fallback}`;
      }
    }
  }
  if (!after) {
    const live = await discoverOrganization({
      ...opts.aws,
      tags: before?.tagsIncluded ?? true,
      onProgress: (p) => log.progress(`sync: discovering ${p.ous} OUs, ${p.accounts} accounts, ${p.calls} calls`),
    });
    log.done();
    after = live.snapshot;
    refresh = { mode: "full", calls: live.stats.total, ...(reason ? { reason } : {}) };
  }
  for (const [s, file] of [
    [before, opts.snapshotPath],
    [since, opts.sincePath ?? opts.snapshotPath],
  ] as const) {
    if (!s || s.organization.id === after.organization.id) continue;
    throw new InputError(
      `${rel(file)}: the snapshot is of organization ${s.organization.id}, but the credentials read ${after.organization.id} (fix: use credentials of the configured organization, or delete the snapshot to start over)`,
    );
  }
  const changes = diffSnapshots(since, after);
  const files: SyncResult["files"] = [];
  const afterText = serializeSnapshot(after);
  const snapshotChanged = afterText !== beforeText;

  // 2. Generated files: each consumer's config (the generator's own check / atomic write).
  const gen = await runGenerate({
    loaded: opts.loaded,
    snapshot: after,
    integrations: opts.integrations,
    outDir: opts.generatedDir,
    check: opts.check,
    inlineSecrets: false,
    exclusions: opts.exclusions,
    log,
  });
  for (const f of gen.files) {
    const status: SyncFileStatus | undefined = (
      {
        created: "created",
        changed: "changed",
        removed: "removed",
        missing: "created",
        differs: "changed",
        stale: "removed",
      } as const
    )[f.status as "created"];
    if (status) files.push({ path: rel(f.path), status, integration: f.integration });
  }

  // 3. Stacks: synthesized into a scratch folder first; the real output is replaced (by synth itself) only when a
  //    file differs, so an unchanged org leaves every stack file untouched.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-sync-"));
  try {
    await runSynth({
      loaded: opts.loaded,
      snapshot: after,
      integrations: opts.integrations,
      outDir: path.join(scratch, "out"),
      hcl: opts.hcl,
      exclusions: opts.exclusions,
      log: silent,
    });
    const stackOf = (f: string) => /^stacks\/([^/]+)\//.exec(f)?.[1] ?? null;
    const integrationNames = new Set(opts.integrations.map((i) => i.name));
    let synthChanged = false;
    for (const f of listFiles(path.join(scratch, "out"))) {
      const current = readOrNull(path.join(opts.synthOut, f));
      if (current === fs.readFileSync(path.join(scratch, "out", f), "utf8")) continue;
      synthChanged = true;
      const stack = stackOf(f);
      files.push({
        path: rel(path.join(opts.synthOut, f)),
        status: current === null ? "created" : "changed",
        integration: stack && integrationNames.has(stack) ? stack : null,
      });
    }
    if (synthChanged && !opts.check)
      await runSynth({
        loaded: opts.loaded,
        snapshot: after,
        integrations: opts.integrations,
        outDir: opts.synthOut,
        hcl: opts.hcl,
        exclusions: opts.exclusions,
        log,
      });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }

  // 4. The snapshot, last.
  if (snapshotChanged) {
    files.push({
      path: rel(opts.snapshotPath),
      status: beforeText === null ? "created" : "changed",
      integration: null,
    });
    if (!opts.check) saveSnapshot(opts.snapshotPath, after);
  }

  files.sort((a, b) => compareStrings(a.path, b.path));

  // 5. The summary: coverage as the planner gives it to synth, before and after.
  const coverageOf = (i: ResolvedIntegration, s: Snapshot | undefined): Coverage | undefined => {
    if (!s) return undefined;
    try {
      return planIntegration(i, s, { exclusions: opts.exclusions }).coverage;
    } catch {
      return undefined; // the committed snapshot no longer fits the config (e.g. another management account)
    }
  };
  const drift = opts.drift ? await opts.drift(after) : undefined;
  const summary = renderSummary({
    organizationId: after.organization.id,
    before: since,
    after,
    changes,
    refresh: refresh!,
    check: opts.check,
    sharedFiles: files.filter((f) => f.integration === null).map((f) => ({ path: f.path, status: f.status })),
    integrations: opts.integrations.map((i) => ({
      integration: i,
      before: coverageOf(i, since),
      after: coverageOf(i, after)!,
      files: files.filter((f) => f.integration === i.name).map((f) => ({ path: f.path, status: f.status })),
      drift: drift?.get(i.name),
    })),
  });
  return {
    changed: files.length > 0,
    check: opts.check,
    refresh: refresh!,
    changes,
    organizationChanges: countChanges(changes),
    files,
    summary,
  };
}
