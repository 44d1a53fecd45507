import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { assertWritable, writeFileAtomic } from "../common/atomic-write";
import { InputError } from "../common/errors";
import { terminalSafe } from "../common/terminal";
import {
  addAwsOptions,
  awsOptionsFrom,
  makeLogger,
  printJson,
  requireConfig,
  snapshotPathFrom,
  type AwsCliOptions,
} from "./common";
import { selectIntegrations } from "../config/resolve";
import { loadSnapshot } from "../org/snapshot";
import { DEFAULT_SYNTH_OUT } from "./synth";

interface SyncFlags extends AwsCliOptions {
  config?: string;
  snapshot?: string;
  since?: string;
  changed: string[];
  event?: string;
  maxAge?: number;
  check?: boolean;
  synthOut: string;
  hcl?: boolean;
  generated?: string;
  summary?: string;
  drift?: boolean;
  json?: boolean;
}

/** Default for --max-age: an incremental refresh builds on a snapshot at most a week old. */
export const DEFAULT_MAX_SNAPSHOT_AGE_HOURS = 168;

const collectIds = (v: string, prev: string[] = []) => {
  const parts = v.split(/[\s,]+/).filter(Boolean);
  for (const p of parts) {
    if (!/^\d{12}$/.test(p) && !/^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/.test(p) && !/^r-[0-9a-z]{4,32}$/.test(p)) {
      throw new InputError(
        `--changed ${p}: not an account id (12 digits), OU id (ou-xxxx-xxxxxxxx) or root id (r-xxxx) (fix: pass the ids the event names)`,
      );
    }
  }
  return [...prev, ...parts];
};

export function registerSync(program: Command): Command {
  const cmd = program
    .command("sync")
    .description(
      "For CI: discover the org (live), compare with the committed snapshot and, when anything changed, write the new snapshot, regenerate every consumer's files and the stacks, and write a Markdown change summary for the pull request. --changed/--event refresh only what an event names. Exit 0 nothing changed, 1 files changed (--check: would change; nothing written), 2 invalid input, 3 AWS failure.",
    )
    .option("-c, --config <file>", "config file (default: ./orgtrust.yaml)")
    .option(
      "-s, --snapshot <file>",
      "the committed snapshot to compare with and update (default: the config's snapshot field)",
    )
    .option(
      "--since <file>",
      "describe the changes since this snapshot (e.g. the default branch's) instead of since --snapshot; a missing file: since nothing",
    )
    .option(
      "--changed <ids...>",
      "refresh only these accounts / OUs / the root from the committed snapshot (ids, space or comma separated)",
      collectIds,
      [],
    )
    .option(
      "--event <file>",
      "read the changed ids from an event payload (repository_dispatch client_payload, workflow_dispatch input `changed`); none: full crawl",
    )
    .option(
      "--max-age <hours>",
      `crawl the whole org when the committed snapshot is older than this (default: the config's sync.maxSnapshotAgeHours, else ${DEFAULT_MAX_SNAPSHOT_AGE_HOURS})`,
      (v) => {
        const n = Number(v);
        if (!Number.isFinite(n) || n < 0)
          throw new InputError(`--max-age ${v}: must be a number of hours, 0 or more (fix: e.g. --max-age 24)`);
        return n;
      },
    )
    .option("--check", "write nothing; exit 1 when sync would change a file")
    .option("--synth-out <dir>", "synth's output folder", DEFAULT_SYNTH_OUT)
    .option("--hcl", "the stacks are plain HCL (synth --hcl)")
    .option(
      "--generated <dir>",
      "generated files under DIR/<integration>/ (generate --out); default each integration's output.dir",
    )
    .option(
      "--summary <file>",
      "write the Markdown change summary here (the pull-request body), also when nothing changed",
    )
    .option(
      "--drift",
      "also run `orgtrust drift` (no --deep) against the committed snapshot and list its findings per integration in the summary",
    )
    .option("--json", "machine-readable result on stdout; no progress");
  addAwsOptions(cmd);
  cmd.addHelpText(
    "after",
    [
      "",
      "Examples:",
      '  orgtrust sync --summary "$RUNNER_TEMP/orgtrust-sync.md"                 # full crawl',
      '  orgtrust sync --event "$GITHUB_EVENT_PATH" --summary sync.md             # only what the event names',
      "  orgtrust sync --changed 123456789012 ou-ab12-cdef3456 --check            # exit 1 when files would change",
      "",
      "Exit codes: 0 nothing changed, 1 files changed (or would, with --check), 2 invalid input, 3 AWS or network failure.",
    ].join("\n"),
  );
  return cmd.action(async (flags: SyncFlags) => {
    const log = makeLogger(flags);
    const loaded = requireConfig(flags);
    const snapshotPath = snapshotPathFrom(flags, loaded);
    if (!snapshotPath) {
      throw new InputError(
        `${path.basename(loaded.file)}: sync needs the committed snapshot file (fix: set snapshot: org.json in the config, or pass --snapshot org.json)`,
      );
    }
    const integrations = selectIntegrations(loaded, []);
    if (!integrations.length)
      throw new InputError(
        `${loaded.file}: no integrations configured (fix: add one under integrations:, see \`orgtrust init\`)`,
      );
    let changed = flags.changed;
    let fullCrawlReason: string | undefined;
    if (flags.event) {
      const { idsFromEvent } = await import("../sync/event");
      const ev = idsFromEvent(flags.event);
      changed = [...changed, ...ev.ids];
      if (!changed.length && !ev.scheduled) fullCrawlReason = `${ev.describe} names no account or OU`;
    }
    const toWrite = [snapshotPath, ...(flags.summary ? [flags.summary] : [])];
    if (!flags.check) assertWritable(toWrite);
    else if (flags.summary) assertWritable([flags.summary]);
    const configured = loaded.config.sync?.maxSnapshotAgeHours;
    // Loaded on use: cdktf, the provider bindings and the generator stay out of every other command's start-up.
    const { runSync } = await import("../sync/run");
    const aws = awsOptionsFrom(flags, loaded);
    // Drift runs against what is deployed: the committed snapshot (read before sync replaces it).
    const committedPath = flags.since ?? snapshotPath;
    const committed = flags.drift && fs.existsSync(committedPath) ? loadSnapshot(committedPath) : undefined;
    const drift = flags.drift
      ? async () => {
          const { runDrift, DEFAULT_AUDIT_ROLE } = await import("../drift/run");
          const report = await runDrift({
            loaded,
            integrations,
            snapshot: committed
              ? { snapshot: committed, path: path.relative(process.cwd(), committedPath) || committedPath }
              : undefined,
            aws,
            deep: false,
            auditRoleName: DEFAULT_AUDIT_ROLE,
            failOn: "error",
            log,
          });
          const by = new Map<string, Array<{ severity: string; kind: string; message: string }>>();
          // The org-vs-snapshot findings are the changes the summary lists already.
          for (const f of report.findings) {
            if (f.check === "org" || !f.integration) continue;
            by.set(f.integration, [
              ...(by.get(f.integration) ?? []),
              { severity: f.severity, kind: f.kind, message: f.message },
            ]);
          }
          return by;
        }
      : undefined;
    const result = await runSync({
      loaded,
      snapshotPath,
      sincePath: flags.since,
      integrations,
      aws,
      changed,
      fullCrawlReason,
      maxSnapshotAgeHours: flags.maxAge ?? configured ?? DEFAULT_MAX_SNAPSHOT_AGE_HOURS,
      check: !!flags.check,
      synthOut: flags.synthOut,
      hcl: !!flags.hcl,
      generatedDir: flags.generated,
      log,
      drift,
    });
    if (flags.summary) writeFileAtomic(flags.summary, result.summary);
    if (flags.json) {
      printJson({
        changed: result.changed,
        check: result.check,
        refresh: result.refresh,
        organizationChanges: result.organizationChanges,
        changes: result.changes,
        files: result.files,
      });
    } else {
      const verb = result.check ? "would change" : "changed";
      const how =
        result.refresh.mode === "full"
          ? `full crawl, ${result.refresh.calls} calls${result.refresh.reason ? `: ${result.refresh.reason}` : ""}`
          : `incremental, ${result.refresh.calls} calls`;
      const lines = [
        `orgtrust sync: ${result.organizationChanges} organization change(s), ${result.files.length} file(s) ${verb} (${how})`,
      ];
      for (const f of result.files) lines.push(`  ${f.status.padEnd(8)} ${f.path}`);
      if (flags.summary) lines.push(`Summary: ${flags.summary}`);
      process.stdout.write(terminalSafe(`${lines.join("\n")}\n`));
    }
    process.exitCode = result.changed ? 1 : 0;
  });
}
