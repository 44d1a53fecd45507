/**
 * THE HCL ALIGNMENT (one implementation for `orgtrust synth --hcl`, synth/hcl.ts, and the generated HCL of
 * consumers, generate/render.ts): the "=" of consecutive one-line attributes aligned the way `terraform fmt` does
 * (hclwrite's formatCells), so every HCL orgtrust writes is `terraform fmt -check` clean without terraform.
 * synth knows which of its lines are attributes (it writes them); generated text is scanned for them (alignHcl).
 *
 * The rule, from hclwrite: a line is an "assignment" when it has an "=" after its first token and the rest of the
 * line opens and closes the same number of brackets. Consecutive assignment lines form a chain; a chain's "=" are
 * aligned one space after its longest key. Any other line (blank, comment, block header, closing brace, a line
 * that opens a multi-line value) ends the chain. Indentation is left as written (templates indent by two).
 */

const QUOTE = 34; // "
const BACKSLASH = 92;
const HASH = 35;
const SLASH = 47;
const EQ = 61;
const GT = 62;
const LT = 60;
const BANG = 33;

/**
 * The index in `text` of the first top-level "=" of the line text[from, to) (not "==", "=>", "<=", "!=", ">="; not
 * in a string or after a comment) when the rest of the line opens and closes the same number of brackets, else -1.
 * Char codes on the whole text, no allocation: it runs on every line of multi-megabyte files.
 */
function assignmentEq(text: string, from: number, to: number): number {
  let eq = -1;
  let net = 0;
  let inString = false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === HASH || (c === SLASH && i + 1 < to && text.charCodeAt(i + 1) === SLASH)) break;
    else if (eq === -1) {
      if (c === EQ && i > from) {
        const next = i + 1 < to ? text.charCodeAt(i + 1) : NaN;
        const prev = text.charCodeAt(i - 1);
        if (next !== EQ && next !== GT && prev !== EQ && prev !== BANG && prev !== LT && prev !== GT) eq = i;
      }
    } else if (c === 40 || c === 91 || c === 123)
      net++; // ( [ {
    else if (c === 41 || c === 93 || c === 125) net--; // ) ] }
  }
  return net === 0 ? eq : -1;
}

/**
 * One chain of attributes, aligned: each `key = value` with the "=" one space after the chain's longest key. `key`
 * is everything before the "=" (indentation included, trailing blanks removed), `value` everything after it, trimmed.
 */
export function alignAssignments(chain: ReadonlyArray<{ key: string; value: string }>): string[] {
  let width = 0;
  for (const c of chain) if (c.key.length > width) width = c.key.length;
  return chain.map((c) => `${c.key.padEnd(width)} = ${c.value}`);
}

/** A printable ASCII character other than space: never removed by trim(). */
const isVisibleAscii = (c: number) => c > 32 && c < 127;

/**
 * Aligns the attribute chains of HCL text (a template's output): see the rule above. For speed on multi-megabyte
 * outputs: one pass over the text by index, without splitting it into lines; a line's key and value are measured
 * in place, and only a chain with a line out of alignment is rebuilt (the built-in templates are written aligned,
 * so their output usually comes back as it is, with no string built).
 */
export function alignHcl(text: string): string {
  const parts: string[] = [];
  let copied = 0; // text[0, copied) is in parts
  // keyLen: the length of the line's key (text[from, eq) without trailing blanks).
  let chain: Array<{ from: number; to: number; eq: number; keyLen: number }> = [];
  // Written as `key<spaces> = value` with the "=" at column width + 1 and the value trimmed already.
  const inPlace = (c: (typeof chain)[number], width: number) => {
    if (c.eq - c.from !== width + 1 || c.eq + 2 >= c.to) return false;
    for (let i = c.from + c.keyLen; i < c.eq; i++) if (text.charCodeAt(i) !== 32) return false;
    return (
      text.charCodeAt(c.eq + 1) === 32 &&
      isVisibleAscii(text.charCodeAt(c.eq + 2)) &&
      isVisibleAscii(text.charCodeAt(c.to - 1))
    );
  };
  const close = () => {
    let width = 0;
    for (const c of chain) if (c.keyLen > width) width = c.keyLen;
    if (!chain.every((c) => inPlace(c, width))) {
      const aligned = alignAssignments(
        chain.map((c) => ({ key: text.slice(c.from, c.from + c.keyLen), value: text.slice(c.eq + 1, c.to).trim() })),
      );
      chain.forEach((c, k) => {
        const line = aligned[k];
        if (c.to - c.from === line.length && text.startsWith(line, c.from)) return;
        parts.push(text.slice(copied, c.from), line);
        copied = c.to;
      });
    }
    chain = [];
  };
  let nextEq = text.indexOf("=");
  for (let from = 0; from <= text.length;) {
    let to = text.indexOf("\n", from);
    if (to === -1) to = text.length;
    if (nextEq !== -1 && nextEq < from) nextEq = text.indexOf("=", from);
    // A blank or comment line has no "=" outside a comment, so eq > from also says the line is neither.
    const eq = nextEq !== -1 && nextEq < to ? assignmentEq(text, from, to) : -1;
    let keyLen = 0;
    if (eq > from) {
      let end = eq;
      while (end > from && text.charCodeAt(end - 1) === 32) end--;
      // A visible ASCII character ends what trimEnd() removes; anything else is measured by trimEnd() itself.
      keyLen =
        end > from && isVisibleAscii(text.charCodeAt(end - 1)) ? end - from : text.slice(from, eq).trimEnd().length;
    }
    if (keyLen === 0) {
      if (chain.length) close();
    } else chain.push({ from, to, eq, keyLen });
    from = to + 1;
  }
  if (chain.length) close();
  if (copied === 0) return text;
  parts.push(text.slice(copied));
  return parts.join("");
}
