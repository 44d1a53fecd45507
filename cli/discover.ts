import type { Command } from "commander";
import { assertWritable } from "../common/atomic-write";
import { describeReason, summarizeScope, type Scope } from "../org/scope";
import { saveSnapshot, snapshotHash, type Snapshot } from "../org/snapshot";
import {
  addAwsOptions,
  addCommonOptions,
  loadOptionalConfig,
  makeLogger,
  orgFrom,
  printJson,
  type AwsCliOptions,
  type CommonOptions,
} from "./common";
import { globalRules, scopeWithChecks } from "../org/scope-rules";
import { terminalSafe, terminalSafeLine } from "../common/terminal";

interface DiscoverFlags extends CommonOptions, AwsCliOptions {
  out?: string;
  tags: boolean;
}

export function registerDiscover(program: Command): Command {
  const cmd = program
    .command("discover")
    .description(
      "Read the live organization (or a saved snapshot) and print who is in scope; --out saves a versioned snapshot.",
    )
    .option("-o, --out <file>", "write the snapshot here (atomic); e.g. org.json")
    .option("--no-tags", "skip ListTagsForResource (fewer calls; tags will be empty)");
  addCommonOptions(cmd);
  addAwsOptions(cmd);
  cmd.addHelpText(
    "after",
    '\nExamples:\n  orgtrust discover --out org.json\n  orgtrust discover --profile mgmt --exclude-ou ou-ab12-cdef3456 --out org.json\n  orgtrust discover --role-arn arn:aws:iam::111122223333:role/orgtrust-discovery --external-id "$EXT_ID" --json\n  orgtrust discover --snapshot org.json          # summary of a saved snapshot, no AWS calls',
  );
  return cmd.action(async (flags: DiscoverFlags) => {
    const log = makeLogger(flags);
    const loaded = loadOptionalConfig(flags);
    if (flags.out) assertWritable([flags.out]);
    const { snapshot, live } = await orgFrom(flags, loaded, log, { tags: flags.tags, configSnapshot: false });
    const stats = live?.stats.toJSON();
    const calls =
      live && stats
        ? { total: stats.total, attempts: stats.attempts, minimum: live.minimumCalls, byOperation: stats.byOperation }
        : undefined;
    const scope = scopeWithChecks(snapshot, globalRules(flags, loaded), flags, log);
    if (flags.out) saveSnapshot(flags.out, snapshot, (m) => log.warn(m));
    if (flags.json) {
      printJson(summaryJson(snapshot, scope, flags.out, calls));
    } else {
      process.stdout.write(terminalSafe(summaryText(snapshot, scope, flags.out, calls)));
    }
  });
}

function summaryJson(snapshot: Snapshot, scope: Scope, out: string | undefined, calls: unknown) {
  return {
    organization: snapshot.organization,
    snapshotHash: snapshotHash(snapshot),
    accounts: snapshot.accounts.length,
    organizationalUnits: snapshot.organizationalUnits.length,
    inScope: scope.inScope.map((a) => ({ id: a.id, name: a.name })),
    excluded: scope.excluded.map((e) => ({ id: e.account.id, name: e.account.name, reasons: e.reasons })),
    unmatchedExclusions: scope.unmatched,
    snapshot: out ?? null,
    calls: calls ?? null,
  };
}

const MAX_LISTED = 25;

export function summaryText(
  snapshot: Snapshot,
  scope: Scope,
  out: string | undefined,
  calls?: { total: number; minimum: number; attempts: number },
): string {
  const o = snapshot.organization;
  const depth = Math.max(0, ...snapshot.organizationalUnits.map((u) => u.depth));
  const sum = summarizeScope(scope);
  const lines = [
    `Organization ${o.id} (partition ${o.partition}), management account ${o.managementAccountId}`,
    `  ${snapshot.accounts.length} accounts, ${snapshot.organizationalUnits.length} OUs (${depth} levels deep)${snapshot.tagsIncluded ? "" : ", tags not read"}`,
    `  In scope: ${sum.inScope} accounts`,
  ];
  const parts = [
    [sum.excluded["excluded-ou"], "in excluded OUs"],
    [sum.excluded["excluded-account"], "excluded by account ID"],
    [sum.excluded.inactive, "inactive"],
    [sum.excluded["management-account"], "management account"],
  ]
    .filter(([n]) => (n as number) > 0)
    .map(([n, label]) => `${n} ${label}`);
  lines.push(`  Excluded: ${scope.excluded.length}${parts.length ? ` (${parts.join(", ")})` : ""}`);
  for (const e of scope.excluded.slice(0, MAX_LISTED)) {
    lines.push(
      `    ${e.account.id}  ${terminalSafeLine(e.account.name).padEnd(28)} ${terminalSafeLine(e.reasons.map(describeReason).join("; "))}`,
    );
  }
  if (scope.excluded.length > MAX_LISTED)
    lines.push(`    ... and ${scope.excluded.length - MAX_LISTED} more (--json lists all)`);
  if (out) lines.push(`  Snapshot written: ${out} (sha256 ${snapshotHash(snapshot)})`);
  if (calls)
    lines.push(
      `  AWS calls: ${calls.total} (minimum for this shape: ${calls.minimum}; HTTP attempts: ${calls.attempts})`,
    );
  return `${lines.join("\n")}\n`;
}
