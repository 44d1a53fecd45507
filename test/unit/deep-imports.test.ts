import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { specifiers } from "../support/source-scan";

/**
 * Provider resources are imported by deep path only (`@cdktf/provider-aws/lib/iam-role`): the package index eagerly
 * loads all 2,212 AWS resource modules (synth 9 s and 750 MB instead of about 1 s and 110 MB, paid again in every jest
 * test file). This test fails on any index import in the repository's TypeScript.
 */

const REPO = path.resolve(__dirname, "..", "..");
const SKIP_DIRS = new Set(["node_modules", "dist", "cdktf.out", ".git", ".gen", "coverage"]);
const PROVIDERS = ["@cdktf/provider-aws", "@cdktf/provider-random"];

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name) && !e.name.startsWith(".")) tsFiles(path.join(dir, e.name), out);
    } else if (/\.(ts|mts|cts|tsx)$/.test(e.name) && !e.name.endsWith(".d.ts")) {
      out.push(path.join(dir, e.name));
    }
  }
  return out;
}

/** Why a specifier is a forbidden provider import, or undefined when it is fine. */
export function badProviderImport(spec: string): string | undefined {
  for (const pkg of PROVIDERS) {
    if (spec !== pkg && !spec.startsWith(`${pkg}/`)) continue;
    const rest = spec.slice(pkg.length);
    const m = /^\/lib\/([a-z0-9-]+)$/.exec(rest);
    if (!m) return `${spec}: import resources by deep path (${pkg}/lib/<resource>), never the package index`;
    if (m[1] === "index" || m[1] === "lazy-index") return `${spec}: the index loads every resource module`;
    if (!fs.existsSync(path.join(REPO, "node_modules", pkg, "lib", m[1]))) return `${spec}: no such resource module`;
  }
  return undefined;
}

describe("provider imports are deep imports", () => {
  test("the scanner recognises index imports in every syntax (it can fail)", () => {
    // Built from parts so this file's own text holds no index import.
    const AWS = ["@cdktf", "provider-aws"].join("/");
    const RANDOM = ["@cdktf", "provider-random"].join("/");
    const bad = [
      `import { iamRole } from "${AWS}";`,
      `import * as aws from '${AWS}'`,
      `import { IamRole } from "${AWS}/lib";`,
      `import { x } from "${AWS}/lib/index";`,
      `import { x } from "${AWS}/lib/lazy-index";`,
      `const aws = require("${AWS}");`,
      `const r = await import("${RANDOM}");`,
      `export { provider } from "${RANDOM}";`,
      `import type { IamRoleConfig } from "${AWS}";`,
      `import {\n  IamRole,\n} from "${AWS}";`,
    ];
    for (const src of bad) {
      const problems = specifiers(src).map(badProviderImport).filter(Boolean);
      expect({ src, problems: problems.length }).toEqual({ src, problems: 1 });
    }
    const good = [
      `import { IamRole } from "${AWS}/lib/iam-role";`,
      `import { Password } from "${RANDOM}/lib/password";`,
    ];
    for (const src of good) expect(specifiers(src).map(badProviderImport).filter(Boolean)).toEqual([]);
  });

  test("no .ts file in the repository imports a provider package index", () => {
    const files = tsFiles(REPO);
    expect(files.length).toBeGreaterThan(10);
    const offenders: string[] = [];
    let deep = 0;
    for (const f of files) {
      const text = fs.readFileSync(f, "utf8");
      for (const spec of specifiers(text)) {
        if (PROVIDERS.some((p) => spec === p || spec.startsWith(`${p}/`))) deep++;
        const why = badProviderImport(spec);
        if (why) offenders.push(`${path.relative(REPO, f)}: ${why}`);
      }
    }
    expect(offenders).toEqual([]);
    expect(deep).toBeGreaterThan(5); // the constructs do import providers, so the scan sees them
  });

  test("loading the synth code pulls in only the resource modules it uses", () => {
    const entry = path.join(REPO, "dist", "synth", "synthesize.js");
    if (!fs.existsSync(entry))
      throw new Error("dist/ is missing: run `npx tsc -p tsconfig.json` (npm test does) before jest");
    const script = `require(${JSON.stringify(entry)}); const mods = Object.keys(require.cache).filter((k) => /@cdktf[\\\\/]provider-(aws|random)[\\\\/]lib[\\\\/]/.test(k)); console.log(mods.length);`;
    const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", cwd: REPO });
    expect(r.stderr).toBe("");
    const loaded = Number(r.stdout.trim());
    expect(loaded).toBeGreaterThan(5);
    expect(loaded).toBeLessThan(40); // the index would load 2,212
  });
});
