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
 * The index of a line's first top-level "=" (not "==", "=>", "<=", "!=", ">="; not in a string or after a comment)
 * when the rest of the line opens and closes the same number of brackets, else -1. Char codes, no allocation: it
 * runs on every line of multi-megabyte files.
 */
function assignmentEq(line: string): number {
  let eq = -1;
  let net = 0;
  let inString = false;
  const n = line.length;
  for (let i = 0; i < n; i++) {
    const c = line.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === HASH || (c === SLASH && line.charCodeAt(i + 1) === SLASH)) break;
    else if (eq === -1) {
      if (c === EQ && i > 0) {
        const next = line.charCodeAt(i + 1);
        const prev = line.charCodeAt(i - 1);
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

/** Aligns the attribute chains of HCL text (a template's output): see the rule above. */
export function alignHcl(text: string): string {
  const lines = text.split("\n");
  const out = lines;
  let chain: Array<{ n: number; key: string; value: string }> = [];
  const close = () => {
    const aligned = alignAssignments(chain);
    chain.forEach((c, k) => (out[c.n] = aligned[k]));
    chain = [];
  };
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    // A blank or comment line has no "=" outside a comment, so eq > 0 also says the line is neither.
    const eq = line.includes("=") ? assignmentEq(line) : -1;
    const key = eq > 0 ? line.slice(0, eq).trimEnd() : "";
    if (key.trim() === "") {
      if (chain.length) close();
      continue;
    }
    chain.push({ n, key, value: line.slice(eq + 1).trim() });
  }
  close();
  return out.join("\n");
}
