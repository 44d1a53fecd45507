import * as fs from "node:fs";
import { Option, type Command } from "commander";
import { assertWritable, writeFileAtomic } from "../common/atomic-write";
import { InputError } from "../common/errors";
import { displayPath } from "../common/paths";
import { roleName } from "../common/ids";
import { FORMATS, formatReport, type Format } from "../drift/format";
import { DEFAULT_AUDIT_ROLE } from "../drift/audit-role";
import {
  addAwsOptions,
  addCommonOptions,
  awsOptionsFrom,
  exclusionsFrom,
  loadSnapshotFrom,
  makeLogger,
  repeatable,
  requireConfig,
  snapshotPathFrom,
  type AwsCliOptions,
  type CommonOptions,
} from "./common";
import { selectIntegrations } from "../config/resolve";
import { jsonTerminalSafe, terminalSafe } from "../common/terminal";

interface DriftFlags extends CommonOptions, AwsCliOptions {
  integration: string[];
  deep?: boolean;
  auditRoleName: string;
  generated?: string;
  format: Format;
  failOn: "error" | "warning";
  report: Array<{ format: Format; file: string }>;
}

const parseReport = (v: string, prev: Array<{ format: Format; file: string }> = []) => {
  const m = /^([a-z]+)=(.+)$/.exec(v);
  if (!m || !(FORMATS as readonly string[]).includes(m[1])) {
    throw new InputError(
      `--report ${v}: must be <format>=<file> with format one of ${FORMATS.join(", ")} (fix: e.g. --report junit=drift.xml)`,
    );
  }
  return [...prev, { format: m[1] as Format, file: m[2] }];
};

export function registerDrift(program: Command): Command {
  const cmd = program
    .command("drift")
    .description(
      "Check for drift between the config, the org snapshot and AWS: the live org vs the snapshot, the member-role StackSet (template, parameters, targets, auto-deployment), stack instance coverage, the management account role, the discovery role, every member role (--deep) and generated files (--generated). Exit 1 when a finding reaches --fail-on.",
    )
    .option("--integration <name>", "check only this integration (repeatable; default: all)", repeatable, [])
    .option("--deep", "assume the audit role in every in-scope member account and read the member role with IAM")
    .option(
      "--audit-role-name <name>",
      "role to assume in member accounts for --deep",
      (v) => {
        const r = roleName.safeParse(v);
        if (!r.success)
          throw new InputError(
            `--audit-role-name ${v}: ${r.error.issues[0].message} (fix: pass a role name such as ${DEFAULT_AUDIT_ROLE})`,
          );
        return v;
      },
      DEFAULT_AUDIT_ROLE,
    )
    .option(
      "--generated <dir>",
      "check generated files: DIR/<integration>/ against what `orgtrust generate` renders now",
    )
    .addOption(new Option("--format <format>", "output format on stdout").choices([...FORMATS]).default("text"))
    .addOption(
      new Option("--fail-on <severity>", "exit 1 when a finding has this severity or worse")
        .choices(["error", "warning"])
        .default("error"),
    )
    .option(
      "--report <format=file>",
      "also write the report in another format to a file (repeatable), e.g. --report junit=drift.xml",
      parseReport,
      [],
    );
  addCommonOptions(cmd);
  addAwsOptions(cmd);
  cmd.addHelpText(
    "after",
    [
      "",
      "Examples:",
      "  orgtrust drift                                   # text table; exit 1 on any error finding",
      "  orgtrust drift --deep --concurrency 8            # also read every member role",
      '  orgtrust drift --format markdown --report junit=drift-junit.xml >> "$GITHUB_STEP_SUMMARY"',
      "  orgtrust drift --generated generated --fail-on warning --format json",
      "",
      "Exit codes: 0 no finding at or above --fail-on, 1 drift, 2 invalid input, 3 AWS or network failure.",
    ].join("\n"),
  );
  return cmd.action(async (flags: DriftFlags) => {
    const format: Format = flags.json ? "json" : flags.format;
    const log = makeLogger({ json: format === "json" });
    const loaded = requireConfig(flags);
    const integrations = selectIntegrations(loaded, flags.integration);
    if (!integrations.length)
      throw new InputError(
        `${loaded.file}: no integrations configured (fix: add one under integrations:, see \`orgtrust init\`)`,
      );
    const snapshot = loadSnapshotFrom(flags, loaded);
    const snapshotPath = snapshotPathFrom(flags, loaded);
    if (flags.generated && !(fs.existsSync(flags.generated) && fs.statSync(flags.generated).isDirectory())) {
      throw new InputError(
        `--generated ${flags.generated}: not a directory (fix: pass the folder \`orgtrust generate\` writes to, holding one folder per integration)`,
      );
    }
    if (flags.report.length) assertWritable(flags.report.map((r) => r.file));
    // Loaded on use: the CloudFormation, IAM and STS clients (and the generator) cost every other command start-up time.
    const { runDrift } = await import("../drift/run");
    const report = await runDrift({
      loaded,
      integrations,
      snapshot: snapshot && snapshotPath ? { snapshot, path: displayPath(snapshotPath) } : undefined,
      aws: awsOptionsFrom(flags, loaded),
      deep: !!flags.deep,
      auditRoleName: flags.auditRoleName,
      generatedDir: flags.generated,
      failOn: flags.failOn,
      exclusions: exclusionsFrom(flags),
      log,
      checkGenerated: async (p) =>
        (await import("../drift/generated")).checkGenerated({ ...p, loaded, exclusions: exclusionsFrom(flags), log }),
    });
    for (const r of flags.report) writeFileAtomic(r.file, formatReport(report, r.format));
    process.stdout.write(
      format === "json" ? jsonTerminalSafe(formatReport(report, format)) : terminalSafe(formatReport(report, format)),
    );
    process.exitCode = report.summary.exitCode;
  });
}
