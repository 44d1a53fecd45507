import * as fs from "node:fs";
import * as path from "node:path";
import { specifiers } from "../support/source-scan";

/**
 * Layers point down: cli/ (commander, flags, printing) sits on the engines (synth/, generate/, drift/, sync/), which
 * sit on the planner (plan/) and the model (config/, org/, constructs/) and aws/ (clients, credentials, retry and rate
 * control, paginators, error mapping), which sit on common/ (docs/architecture.md). aws/ imports common/ only. The CLI may import
 * anything; nothing outside cli/ imports cli/ (the cdktf app main.ts and the library entry index.ts included), so an
 * engine never depends on how a flag is spelt. Tests are outside the rule: they drive the CLI.
 */

const REPO = path.resolve(__dirname, "..", "..");
const SOURCE_DIRS = [
  "common",
  "config",
  "aws",
  "org",
  "constructs",
  "plan",
  "synth",
  "generate",
  "drift",
  "sync",
  "bench",
];
const ROOT_FILES = ["main.ts", "index.ts"];

function tsFiles(dir: string, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) tsFiles(p, out);
    else if (/\.ts$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** The repository-relative file a relative specifier of `from` names, or undefined for a package. */
function target(from: string, spec: string): string | undefined {
  if (!spec.startsWith(".")) return undefined;
  return path.relative(REPO, path.resolve(path.dirname(from), spec));
}

const intoCli = (from: string, spec: string) => {
  const t = target(from, spec);
  return t !== undefined && (t === "cli" || t.startsWith(`cli${path.sep}`));
};

describe("import direction: nothing outside cli/ imports cli/", () => {
  test("the check recognises an import of cli/ in every syntax (it can fail)", () => {
    const from = path.join(REPO, "synth", "x.ts");
    for (const src of [
      `import { a } from "../cli/common";`,
      `import type { B } from '../cli/common'`,
      `const c = require("../cli/main");`,
      `await import("../cli")`,
    ]) {
      expect({ src, hits: specifiers(src).filter((s) => intoCli(from, s)).length }).toEqual({ src, hits: 1 });
    }
    for (const src of [
      `import { a } from "../common/errors";`,
      `import { b } from "./client";`,
      `import { c } from "commander";`,
    ]) {
      expect({ src, hits: specifiers(src).filter((s) => intoCli(from, s)).length }).toEqual({ src, hits: 0 });
    }
  });

  test("engines, model, common, the cdktf app and the library entry never import cli/", () => {
    const files = [
      ...SOURCE_DIRS.flatMap((d) => tsFiles(path.join(REPO, d))),
      ...ROOT_FILES.map((f) => path.join(REPO, f)).filter((f) => fs.existsSync(f)),
    ];
    expect(files.length).toBeGreaterThan(40);
    const offenders = files.flatMap((f) =>
      specifiers(fs.readFileSync(f, "utf8"))
        .filter((s) => intoCli(f, s))
        .map((s) => `${path.relative(REPO, f)}: imports ${s}`),
    );
    expect(offenders).toEqual([]);
  });
});

describe("import direction: aws/ imports common/ only", () => {
  const outsideCommon = (from: string, spec: string) => {
    const t = target(from, spec);
    if (t === undefined) return false;
    const top = t.split(path.sep)[0];
    return top !== "aws" && top !== "common";
  };

  test("the check recognises an import of another layer (it can fail)", () => {
    const from = path.join(REPO, "aws", "x.ts");
    for (const src of [
      `import { a } from "../org/snapshot";`,
      `import type { B } from "../config/load";`,
      `import { c } from "../cli/env";`,
    ]) {
      expect({ src, hits: specifiers(src).filter((s) => outsideCommon(from, s)).length }).toEqual({ src, hits: 1 });
    }
    for (const src of [
      `import { a } from "../common/errors";`,
      `import { b } from "./client";`,
      `import { c } from "@aws-sdk/client-iam";`,
    ]) {
      expect({ src, hits: specifiers(src).filter((s) => outsideCommon(from, s)).length }).toEqual({ src, hits: 0 });
    }
  });

  test("no file in aws/ imports org/, config/, cli/ or an engine", () => {
    const files = tsFiles(path.join(REPO, "aws"));
    expect(files.length).toBeGreaterThan(5);
    const offenders = files.flatMap((f) =>
      specifiers(fs.readFileSync(f, "utf8"))
        .filter((s) => outsideCommon(f, s))
        .map((s) => `${path.relative(REPO, f)}: imports ${s}`),
    );
    expect(offenders).toEqual([]);
  });
});

describe("import direction: the planner sits below the engines", () => {
  const ENGINES = ["cli", "synth", "generate", "drift", "sync", "bench"];
  const intoEngine = (from: string, spec: string) => {
    const t = target(from, spec);
    return t !== undefined && ENGINES.some((e) => t === e || t.startsWith(`${e}${path.sep}`));
  };

  test("the check recognises an import of an engine (it can fail)", () => {
    const from = path.join(REPO, "plan", "x.ts");
    expect(
      specifiers(`import { runSynth } from "../synth/synthesize";`).filter((s) => intoEngine(from, s)),
    ).toHaveLength(1);
    expect(specifiers(`import type { Scope } from "../org/scope";`).filter((s) => intoEngine(from, s))).toHaveLength(0);
  });

  test("plan/ imports no engine and no CLI, and its core (member-role.ts) no cdktf, so drift loads it cheaply", () => {
    const files = tsFiles(path.join(REPO, "plan"));
    expect(files.length).toBeGreaterThan(2);
    const offenders = files.flatMap((f) =>
      specifiers(fs.readFileSync(f, "utf8"))
        .filter((s) => intoEngine(f, s))
        .map((s) => `${path.relative(REPO, f)}: imports ${s}`),
    );
    expect(offenders).toEqual([]);
    // Value imports only: a type-only import is erased and loads nothing.
    const core = fs.readFileSync(path.join(REPO, "plan", "member-role.ts"), "utf8");
    const valueImports = [...core.matchAll(/^import (?!type )[^;]*from "([^"]+)";/gm)].map((m) => m[1]);
    expect(valueImports.filter((s) => s === "cdktf" || s.startsWith("@cdktf/") || s.includes("/constructs/"))).toEqual(
      [],
    );
  });
});
