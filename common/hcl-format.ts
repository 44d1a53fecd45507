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

interface Scan {
  /** Index of the first top-level "=" (not "==", "=>" or "<=" etc.), or -1. */
  eq: number;
  /** Net bracket change after the "=". */
  net: number;
}

function scanLine(line: string): Scan {
  let eq = -1;
  let net = 0;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "#" || (c === "/" && line[i + 1] === "/")) break;
    else if (eq === -1 && c === "=" && line[i + 1] !== "=" && line[i + 1] !== ">" && !"=!<>".includes(line[i - 1] ?? "")) eq = i;
    else if (eq !== -1 && "([{".includes(c)) net++;
    else if (eq !== -1 && ")]}".includes(c)) net--;
  }
  return { eq, net };
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
  const out = [...lines];
  let chain: Array<{ n: number; key: string; value: string }> = [];
  const close = () => {
    const aligned = alignAssignments(chain);
    chain.forEach((c, k) => (out[c.n] = aligned[k]));
    chain = [];
  };
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    const trimmed = line.trim();
    const { eq, net } = scanLine(line);
    const isAssign = trimmed !== "" && !trimmed.startsWith("#") && !trimmed.startsWith("//") && eq > 0 && line.slice(0, eq).trim() !== "" && net === 0;
    if (!isAssign) {
      close();
      continue;
    }
    chain.push({ n, key: line.slice(0, eq).replace(/\s+$/, ""), value: line.slice(eq + 1).trim() });
  }
  close();
  return out.join("\n");
}
