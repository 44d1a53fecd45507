"use strict";
// The top entries of a V8 CPU profile (node --cpu-prof, or node:inspector's Profiler): self time by function,
// summed over every call site of the same function. Used by bench/synth.js and bench/generate.js to print where the
// time goes beside their figures.
const fs = require("node:fs");
const path = require("node:path");

const REPO = path.join(__dirname, "..");

/** [{ ms, share, name }] for the `top` functions with the most self time (profile: the parsed .cpuprofile JSON). */
function topSelfTime(profile, top = 10) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++)
    self.set(profile.samples[i], (self.get(profile.samples[i]) || 0) + (profile.timeDeltas[i] || 0));
  const byFunction = new Map();
  let total = 0;
  for (const [id, us] of self) {
    const f = byId.get(id).callFrame;
    // The profiler's own idle time, and the inspector session that collects an in-process profile.
    if (f.functionName === "(idle)" || f.functionName === "(program)" || (f.functionName === "dispatch" && !f.url))
      continue;
    const url = f.url.replace(/^file:\/\//, "");
    const where = !url
      ? ""
      : url.includes("node_modules/")
        ? url.slice(url.lastIndexOf("node_modules/") + 13)
        : url.startsWith(REPO)
          ? path.relative(REPO, url)
          : url;
    const name = `${f.functionName || "(anonymous)"}${where ? ` ${where}:${f.lineNumber + 1}` : ""}`;
    byFunction.set(name, (byFunction.get(name) || 0) + us);
    total += us;
  }
  return [...byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ ms: us / 1000, share: total ? us / total : 0, name }));
}

/** Prints the table, indented, under a title. */
function printTop(title, profile, top = 10) {
  console.log(`    ${title} (CPU profile, self time by function, top ${top}):`);
  for (const e of topSelfTime(profile, top))
    console.log(`      ${e.ms.toFixed(0).padStart(6)} ms ${(e.share * 100).toFixed(1).padStart(5)}%  ${e.name}`);
}

/** The one .cpuprofile node --cpu-prof wrote into dir. */
function readProfileDir(dir) {
  const f = fs.readdirSync(dir).find((n) => n.endsWith(".cpuprofile"));
  if (!f) throw new Error(`no .cpuprofile in ${dir}`);
  return JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
}

module.exports = { topSelfTime, printTop, readProfileDir };
