import { CHECK_TITLES } from "../finding";
import type { DriftReport } from "../report";
import { terminalSafe } from "../../common/terminal";
import { targetText } from "./text";

/** Rows shown before the table is cut (a job summary is limited to 1 MiB; a PR comment to 65,536 characters). */
export const MARKDOWN_MAX_ROWS = 200;

const ICON = { error: "❌", warning: "⚠️", info: "ℹ️" } as const;

/**
 * Escapes text for a Markdown table cell (GitHub-flavoured: PR comments and job summaries). Account and OU names
 * are attacker-controlled, so nothing in a cell may become markup: the inline punctuation GFM gives a meaning to
 * (backslash, backtick, `*`, `_`, brackets, `|`, `~`, `$` for GitHub math) is backslash-escaped (CommonMark 0.31
 * §2.4), which disarms links, images, footnotes, emphasis, code spans, strikethrough and pipes; block syntax cannot
 * start inside a cell; `&`, `<` and `>` become entities (no HTML, no autolink, no entity tricks);
 * `@` and `#` get a zero-width space after them so no @mention or issue reference pings anyone; `://` and `www.`
 * are broken the same way so no bare URL is autolinked; control and formatting characters are shown as escapes;
 * line breaks become <br>.
 */
export function cell(s: string | null): string {
  if (s === null || s === "") return "";
  return terminalSafe(s)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_[\]|~$]/g, (c) => `\\${c}`)
    .replace(/[@#]/g, (c) => `${c}&#8203;`)
    .replace(/:\/\//g, ":&#8203;//")
    .replace(/www\./gi, (w) => `${w.slice(0, 3)}&#8203;.`)
    .replace(/\r?\n/g, "<br>");
}

/** A pull-request comment or GitHub job summary: a headline, counts per check, the findings table. */
export function formatMarkdown(report: DriftReport): string {
  const s = report.summary;
  const out: string[] = [];
  const status = s.failing
    ? `❌ drift found (${s.failing} at or above \`${report.failOn}\`)`
    : "✅ no drift at or above `" + report.failOn + "`";
  out.push(`## orgtrust drift: ${status}`);
  out.push("");
  out.push(
    `Organization \`${report.organizationId}\` · integrations ${report.integrations.map((i) => `\`${i}\``).join(", ") || "(none)"}${report.deep ? " · `--deep`" : ""} · ${s.checked} checks · ${s.errors} errors, ${s.warnings} warnings, ${s.infos} info`,
  );
  out.push("");
  const checks = [...new Set(report.checked.map((u) => u.check))];
  out.push("| Check | Checked | Errors | Warnings | Info |");
  out.push("|---|---:|---:|---:|---:|");
  for (const c of checks) {
    const fs = report.findings.filter((f) => f.check === c);
    const n = (sev: string) => fs.filter((f) => f.severity === sev).length;
    out.push(
      `| ${CHECK_TITLES[c]} | ${report.checked.filter((u) => u.check === c).length} | ${n("error")} | ${n("warning")} | ${n("info")} |`,
    );
  }
  out.push("");
  if (!report.findings.length) {
    out.push("No findings.");
    return `${out.join("\n")}\n`;
  }
  out.push("| Severity | Kind | Integration | Target | Finding | Expected | Found | Fix |");
  out.push("|---|---|---|---|---|---|---|---|");
  for (const f of report.findings.slice(0, MARKDOWN_MAX_ROWS)) {
    out.push(
      `| ${ICON[f.severity]} ${f.severity} | \`${f.kind}\` | ${cell(f.integration ?? "-")} | ${cell(targetText(f))} | ${cell(f.message)} | ${cell(f.expected)} | ${cell(f.found)} | ${cell(f.fix)} |`,
    );
  }
  if (report.findings.length > MARKDOWN_MAX_ROWS) {
    out.push("");
    out.push(
      `… and ${report.findings.length - MARKDOWN_MAX_ROWS} more findings (run \`orgtrust drift --format json\` for all of them).`,
    );
  }
  return `${out.join("\n")}\n`;
}
