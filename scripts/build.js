#!/usr/bin/env node
"use strict";
// The package build: an empty dist/ (nothing stale is packed), then `tsc -p tsconfig.build.json` (the library, the CLI
// and their declarations; no tests, no benches). `prepack` runs it for npm pack / npm publish; bin/orgtrust runs it
// on the first start in a checkout without dist/. There is deliberately no `prepare` script: installing the packed
// tarball, npm 11 warns that orgtrust "has install scripts not yet covered by allowScripts" when it has one.
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
let tsc;
try {
  tsc = require.resolve("typescript/bin/tsc", { paths: [root] });
} catch {
  process.stderr.write("orgtrust build: typescript is not installed (fix: run `npm ci` in the orgtrust checkout)\n");
  process.exit(2);
}
fs.rmSync(path.join(root, "dist"), { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.build.json")], {
  cwd: root,
  stdio: "inherit",
});
process.exit(r.status ?? 1);
