import type { Finding } from "./finding";
import { EXTERNAL_ID_MARK } from "./policy";

/** What a known external ID value becomes wherever it would have been printed: the policies' mark. */
export const REDACTED = EXTERNAL_ID_MARK;

/**
 * The last line of defence for "the external ID never appears in any output": every text field of every finding
 * has each known external ID value replaced. The checks already mask the values they handle (trust policies,
 * StackSet parameters, generated diffs); this catches a value that shows up somewhere unexpected (a template
 * edited to carry the literal, an account renamed to it).
 */
export function redactFindings(findings: Finding[], secrets: Array<string | undefined>): Finding[] {
  const values = [...new Set(secrets.filter((s): s is string => !!s && s.length >= 2))].sort(
    (a, b) => b.length - a.length,
  );
  if (!values.length) return findings;
  const r = (s: string) => values.reduce((t, v) => t.split(v).join(REDACTED), s);
  const rn = (s: string | null) => (s === null ? null : r(s));
  return findings.map((f) => ({
    ...f,
    target: { ...f.target, id: r(f.target.id), name: rn(f.target.name) },
    message: r(f.message),
    expected: rn(f.expected),
    found: rn(f.found),
    fix: r(f.fix),
  }));
}
