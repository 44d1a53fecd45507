/**
 * Text from the organization (account and OU names, tag values) is attacker-controlled: AWS allows any character
 * in an OU name, so an escape sequence there could erase lines of a summary, set the window title or hide text.
 * Everything orgtrust prints for a person goes through terminalSafe; JSON output through jsonTerminalSafe.
 */

/**
 * Characters never printed raw: C0 controls except tab and line feed (carriage return included: it overwrites a
 * line), DEL, C1 controls (U+009B is an 8-bit CSI), the Unicode line and paragraph separators, and the
 * bidirectional and invisible formatting marks that reorder or hide text (Trojan Source, CVE-2021-42574).
 */
const UNSAFE =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g;

const hex = (c: string) => {
  const n = c.charCodeAt(0);
  return n < 0x100 ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u${n.toString(16).padStart(4, "0")}`;
};

/** Text safe to write to a terminal: each unsafe character becomes a visible escape (\x1b, \u202e). */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, hex);
}

/** Same for one line (a name inside a table row): line feeds and tabs are escaped too. */
export function terminalSafeLine(text: string): string {
  return terminalSafe(text).replace(/[\n\t]/g, hex);
}

/**
 * JSON text (from JSON.stringify, which escapes C0 controls but leaves DEL, C1 and the formatting marks raw) with
 * those characters written as \u escapes: the same JSON value, harmless on a terminal.
 */
export function jsonTerminalSafe(json: string): string {
  return json.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
