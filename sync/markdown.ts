/**
 * Markdown for pull-request bodies and job summaries, safe for org data: account and OU names, tag keys and values
 * can hold anything (Markdown, HTML, `@mentions`, `#123` references, pipes, newlines, control characters).
 *
 * Org data goes into a code span: GitHub renders its content literally (no emphasis, links, HTML, mentions or issue
 * references inside code). The fence is one backtick longer than the longest run of backticks in the text
 * (CommonMark 0.31.2 §6.1), newlines become spaces (a code span cannot hold a line break), control and bidirectional
 * formatting characters become visible escapes, and in a table cell each `|` is written `\|` (GFM 0.29 §4.10: a pipe
 * inside a code span still ends the cell unless escaped; the backslash is removed again).
 */

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

function visible(s: string): string {
  return s
    .replace(/\r\n?|\n/g, " ")
    .replace(/\t/g, " ")
    .replace(CONTROL, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** Org data as an inline code span, for a table cell (pipes escaped) or, with cell false, for running text. */
export function code(value: string, cell = true): string {
  let s = visible(value);
  if (s === "") return "(empty)";
  if (cell) s = s.replace(/\|/g, "\\|");
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(longest + 1);
  const pad = s.startsWith("`") || s.endsWith("`") || (s.startsWith(" ") && s.endsWith(" ")) ? " " : "";
  return `${fence}${pad}${s}${pad}${fence}`;
}

/** Text of our own (never org data) for a table cell: only pipes and newlines need care. */
export function text(value: string): string {
  return value.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
}

/** A GFM table; rows beyond `max` are cut with a note. */
export function table(head: string[], rows: string[][], max = 200): string[] {
  if (!rows.length) return [];
  const out = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const r of rows.slice(0, max)) out.push(`| ${r.join(" | ")} |`);
  if (rows.length > max)
    out.push("", `… and ${rows.length - max} more rows (run \`orgtrust sync --check --json\` for all of them).`);
  return out;
}
