/**
 * Aligns the "=" of consecutive one-line attributes the way `terraform fmt` does (hclwrite's formatCells), so
 * generated HCL is `terraform fmt -check` clean without terraform being installed.
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

export function alignHcl(text: string): string {
  const lines = text.split("\n");
  const out = [...lines];
  let chain: Array<{ n: number; key: string; rest: string }> = [];
  const close = () => {
    const width = Math.max(0, ...chain.map((c) => c.key.length));
    for (const c of chain) out[c.n] = `${c.key.padEnd(width)} = ${c.rest}`;
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
    chain.push({ n, key: line.slice(0, eq).replace(/\s+$/, ""), rest: line.slice(eq + 1).trim() });
  }
  close();
  return out.join("\n");
}
