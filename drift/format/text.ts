import { terminalSafe } from "../../common/terminal";
import { CHECK_TITLES, type Finding } from "../finding";
import type { DriftReport } from "../report";

/** The default format: one table row per finding (severity, check, kind, integration, target, message), each followed by its fix. */
export function formatText(report: DriftReport): string {
  const s = report.summary;
  const lines: string[] = [];
  lines.push(
    `orgtrust drift: organization ${report.organizationId}, integrations ${report.integrations.join(", ") || "(none)"}${report.deep ? ", --deep" : ""}`,
  );
  if (!report.findings.length) {
    lines.push(`  No drift: ${s.checked} checks passed.`);
    return terminalSafe(`${lines.join("\n")}\n`);
  }
  const rows = report.findings.map((f) => [
    f.severity.toUpperCase(),
    f.check,
    f.kind,
    f.integration ?? "-",
    targetText(f),
  ]);
  const widths = [0, 1, 2, 3, 4].map((i) =>
    Math.max(
      ...[["SEVERITY", "CHECK", "KIND", "INTEGRATION", "TARGET"][i], ...rows.map((r) => r[i])].map((x) => x.length),
    ),
  );
  const fmt = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  lines.push("");
  lines.push(fmt(["SEVERITY", "CHECK", "KIND", "INTEGRATION", "TARGET"]));
  report.findings.forEach((f, i) => {
    lines.push(fmt(rows[i]));
    lines.push(`    ${f.message}`);
    if (f.expected !== null) lines.push(`    expected: ${indent(f.expected)}`);
    if (f.found !== null) lines.push(`    found:    ${indent(f.found)}`);
    lines.push(`    fix:      ${f.fix}`);
  });
  lines.push("");
  const checks = [...new Set(report.findings.map((f) => CHECK_TITLES[f.check]))];
  lines.push(
    `${s.errors} error(s), ${s.warnings} warning(s), ${s.infos} info(s) over ${s.checked} checks (${checks.join(", ")}); ` +
      (s.failing
        ? `${s.failing} at or above --fail-on ${report.failOn}: exit 1`
        : `none at or above --fail-on ${report.failOn}: exit 0`),
  );
  // Names and messages carry org data: escape codes in them are shown, never sent to the terminal.
  return terminalSafe(`${lines.join("\n")}\n`);
}

const indent = (s: string) => s.replace(/\n/g, "\n              ");

export function targetText(f: Pick<Finding, "target">): string {
  const t = f.target;
  return `${t.type} ${t.id}${t.name ? ` (${t.name})` : ""}`;
}
