import { CHECK_TITLES, severityAtLeast, unitKey, type CheckName, type Finding } from "../finding";
import type { DriftReport } from "../report";
import { targetText } from "./text";

/**
 * XML-escapes text and drops every character XML 1.0 cannot hold (XML 1.0 §2.2 Char: tab, LF, CR, U+0020-U+D7FF,
 * U+E000-U+FFFD, U+10000-U+10FFFF; so C0 controls, U+FFFE, U+FFFF and unpaired surrogates go). CR is written as
 * a character reference, which a parser keeps (a raw CR would be normalised to LF).
 */
export function xml(s: string): string {
  return s
    .replace(
      /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      "",
    )
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    .replace(/\r/g, "&#13;");
}

/** XML-escapes an attribute value: tab and line breaks as character references, which attribute-value
 * normalisation (XML 1.0 §3.3.3) would otherwise turn into spaces. */
export function xmlAttr(s: string): string {
  return xml(s).replace(/\t/g, "&#9;").replace(/\n/g, "&#10;");
}

const details = (f: Finding) =>
  [
    `${f.severity} ${f.kind}: ${f.message}`,
    f.expected !== null ? `expected: ${f.expected}` : "",
    f.found !== null ? `found: ${f.found}` : "",
    `fix: ${f.fix}`,
  ]
    .filter(Boolean)
    .join("\n");

/**
 * JUnit XML for CI test reporters: one <testsuite> per check and integration, one <testcase> per unit checked
 * (account, OU, StackSet, file). A test case fails (<failure>) when it has a finding at or above --fail-on;
 * findings below it go to <system-out>.
 */
export function formatJunit(report: DriftReport): string {
  const byUnit = new Map<string, Finding[]>();
  for (const f of report.findings) byUnit.set(unitKey(f), [...(byUnit.get(unitKey(f)) ?? []), f]);
  const suites = new Map<string, { check: CheckName; integration: string | null; cases: string[]; failures: number }>();
  let tests = 0;
  let failures = 0;
  for (const u of report.checked) {
    const key = `${u.check}\u0000${u.integration ?? ""}`;
    const suite = suites.get(key) ?? { check: u.check, integration: u.integration, cases: [], failures: 0 };
    suites.set(key, suite);
    const fs = byUnit.get(unitKey(u)) ?? [];
    const failing = fs.filter((f) => severityAtLeast(f.severity, report.failOn));
    const other = fs.filter((f) => !severityAtLeast(f.severity, report.failOn));
    const classname = `orgtrust.drift.${u.check}${u.integration ? `.${u.integration}` : ""}`;
    const body: string[] = [];
    if (failing.length) {
      suite.failures++;
      failures++;
      const first = failing[0];
      body.push(
        `      <failure type="${xmlAttr(failing.map((f) => f.kind).join(" "))}" message="${xmlAttr(failing.length > 1 ? `${first.message} (and ${failing.length - 1} more)` : first.message)}">${xml(failing.map(details).join("\n\n"))}</failure>`,
      );
    }
    if (other.length) body.push(`      <system-out>${xml(other.map(details).join("\n\n"))}</system-out>`);
    tests++;
    const name = xmlAttr(targetText(u));
    suite.cases.push(
      body.length
        ? `    <testcase classname="${xmlAttr(classname)}" name="${name}">\n${body.join("\n")}\n    </testcase>`
        : `    <testcase classname="${xmlAttr(classname)}" name="${name}"/>`,
    );
  }
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="orgtrust drift" tests="${tests}" failures="${failures}" errors="0">`,
  ];
  for (const s of suites.values()) {
    const name = `${CHECK_TITLES[s.check]}${s.integration ? ` [${s.integration}]` : ""}`;
    out.push(
      `  <testsuite name="${xmlAttr(name)}" tests="${s.cases.length}" failures="${s.failures}" errors="0" skipped="0">`,
    );
    out.push(...s.cases);
    out.push("  </testsuite>");
  }
  out.push("</testsuites>");
  return `${out.join("\n")}\n`;
}
