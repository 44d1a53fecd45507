/**
 * A short unified-style diff for `generate --check`: common prefix and suffix trimmed, Myers' O(ND) diff on the
 * rest, hunks with up to 3 lines of context, the whole output capped at `maxLines`.
 */

type Op = { kind: " " | "-" | "+"; text: string };

/** Myers' shortest edit script between two line arrays. */
function myers(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max;
  const v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, a, b, offset, d);
    }
  }
  return [];
}

function backtrack(trace: Int32Array[], a: string[], b: string[], offset: number, dEnd: number): Op[] {
  const ops: Op[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = dEnd; d > 0; d--) {
    const v = trace[d];
    const k = x - y;
    const prevK = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? k + 1 : k - 1;
    const prevX = v[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: " ", text: a[--x] });
      y--;
    }
    if (x === prevX) ops.push({ kind: "+", text: b[--y] });
    else ops.push({ kind: "-", text: a[--x] });
  }
  while (x > 0 && y > 0) {
    ops.push({ kind: " ", text: a[--x] });
    y--;
  }
  return ops.reverse();
}

/** Lines of a file's text (a final newline does not make an extra empty line). */
function lines(text: string): string[] {
  if (text === "") return [];
  const l = text.split("\n");
  if (l[l.length - 1] === "") l.pop();
  return l;
}

/**
 * A unified-style diff from `oldText` (on disk; null when missing) to `newText` (what generate would write).
 * Returns "" when they are equal.
 */
export function unifiedDiff(file: string, oldText: string | null, newText: string, maxLines = 60, context = 3): string {
  if (oldText === newText) return "";
  const a = lines(oldText ?? "");
  const b = lines(newText);
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const midA = a.slice(pre, a.length - suf);
  const midB = b.slice(pre, b.length - suf);
  // Myers is O((N+M)·D); a wholesale rewrite of a huge file is shown as one replacement instead.
  const ops: Op[] =
    midA.length * midB.length > 1_000_000
      ? [...midA.map((text) => ({ kind: "-" as const, text })), ...midB.map((text) => ({ kind: "+" as const, text }))]
      : myers(midA, midB);
  const all: Array<Op & { ai: number; bi: number }> = [];
  let ai = 0;
  let bi = 0;
  const push = (op: Op) => {
    all.push({ ...op, ai, bi });
    if (op.kind !== "+") ai++;
    if (op.kind !== "-") bi++;
  };
  for (const text of a.slice(0, pre)) push({ kind: " ", text });
  for (const op of ops) push(op);
  for (const text of a.slice(a.length - suf)) push({ kind: " ", text });

  const out = [`--- ${file}${oldText === null ? " (missing)" : " (on disk)"}`, `+++ ${file} (generated)`];
  let i = 0;
  while (i < all.length) {
    if (all[i].kind === " ") {
      i++;
      continue;
    }
    const start = Math.max(0, i - context);
    let end = i;
    // Extend the hunk while changes are within 2*context lines of each other.
    while (end < all.length) {
      if (all[end].kind !== " ") {
        end++;
        continue;
      }
      let next = end;
      while (next < all.length && all[next].kind === " ") next++;
      if (next < all.length && next - end <= 2 * context) end = next;
      else break;
    }
    const stop = Math.min(all.length, end + context);
    const hunk = all.slice(start, stop);
    const aStart = hunk[0].ai + 1;
    const bStart = hunk[0].bi + 1;
    const aLen = hunk.filter((o) => o.kind !== "+").length;
    const bLen = hunk.filter((o) => o.kind !== "-").length;
    out.push(`@@ -${aLen ? aStart : aStart - 1},${aLen} +${bLen ? bStart : bStart - 1},${bLen} @@`);
    for (const o of hunk) out.push(`${o.kind}${o.text}`);
    i = stop;
  }
  if (out.length > maxLines + 2) {
    const more = out.length - maxLines - 2;
    return `${out.slice(0, maxLines + 2).join("\n")}\n... ${more} more diff lines\n`;
  }
  return `${out.join("\n")}\n`;
}
