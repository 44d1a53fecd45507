#!/usr/bin/env node
"use strict";
// Writes templates/precompiled.json: the built-in handlebars templates compiled ahead of time, which generate uses
// for a template whose source is unchanged (generate/render.ts, PRECOMPILED_FILE). Run it after editing a template:
//   npx tsc -p tsconfig.json && node scripts/precompile-templates.js
// test/unit/generate-unit.test.ts fails while the file is not current.
const fs = require("node:fs");
const path = require("node:path");
const { precompiledTemplates } = require("../dist/generate/render.js");

const file = path.join(__dirname, "..", "templates", "precompiled.json");
fs.writeFileSync(file, precompiledTemplates());
process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
