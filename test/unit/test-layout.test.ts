import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The tests are laid out by kind (docs/development.md#tests-by-kind), one jest project per folder:
 * - test/unit: in process; never moto, the fault proxy, terraform's harness, the CLI as a child process or the package;
 * - test/e2e: the CLI as a child process or the installed package; never moto, the fault proxy or terraform's harness;
 * - test/integration: needs moto (the server or its Python package) or real terraform.
 * A suite anywhere else would not run at all (each project's roots is its folder), so it fails here. The moto global
 * set-up is the integration project's alone, so the unit and e2e runs never start moto_server. Every `test/...` path
 * the docs and the sources name exists (templates/ is not read: its text is part of the byte-identical outputs).
 */

const REPO = path.resolve(__dirname, "..", "..");
const KINDS = ["unit", "e2e", "integration"] as const;
type Kind = (typeof KINDS)[number];
const SKIP_DIRS = new Set(["node_modules", "dist", "cdktf.out", "out", "coverage", ".git", "templates"]);

function walk(dir: string, keep: (name: string) => boolean, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name) && !e.name.startsWith(".")) walk(p, keep, out);
    } else if (keep(e.name)) out.push(p);
  }
  return out;
}

/** Harness helpers (imported from test/support) a suite of each kind may not use. */
const MOTO_HELPERS = [
  "describeWithMoto",
  "startMoto",
  "startFaultProxy",
  "faultSuite",
  "buildOrg",
  "awsClients",
  "clientsFor",
  "createMemberRoleStackSet",
];
const TERRAFORM_HELPERS = ["describeWithTerraform", "TerraformWorkspace"];
const FORBIDDEN: Record<Kind, string[]> = {
  unit: [...MOTO_HELPERS, ...TERRAFORM_HELPERS, "runCli", "BIN", "startLocalRegistry"],
  e2e: [...MOTO_HELPERS, ...TERRAFORM_HELPERS],
  integration: [],
};

/** The names a source imports from test/support modules (`import { a, b as c } from "../support/x"`). */
function supportImports(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\bimport\s+(?:type\s+)?\{([^}]*)\}\s*from\s*["'](\.[^"']*)["']/g)) {
    const target = path
      .relative(REPO, path.resolve(path.dirname(file), m[2]))
      .split(path.sep)
      .join("/");
    if (!target.startsWith("test/support/")) continue;
    for (const part of m[1].split(",")) {
      const name = part
        .trim()
        .replace(/^type\s+/, "")
        .split(/\s+as\s+/)[0];
      if (name) out.push(name);
    }
  }
  return out;
}

/** Why a suite's text does not fit its kind (empty when it fits). `file` is where it lives (for relative imports). */
function misfits(kind: Kind, file: string, text: string): string[] {
  const names = supportImports(file, text);
  const out = names.filter((n) => FORBIDDEN[kind].includes(n)).map((n) => `uses ${n} (a ${kind} suite may not)`);
  const integration =
    names.some((n) => n === "describeWithMoto" || n === "describeWithTerraform") ||
    /\bfrom moto\.|\bimport moto\b/.test(text);
  if (kind === "integration" && !integration)
    out.push(
      "uses neither moto (describeWithMoto, moto's Python package) nor describeWithTerraform: it is a unit or e2e suite",
    );
  return out;
}

describe("tests by kind", () => {
  test("every suite lives in test/unit, test/e2e or test/integration (a suite elsewhere would never run)", () => {
    const suites = walk(path.join(REPO, "test"), (n) => n.endsWith(".test.ts")).map((f) =>
      path.relative(REPO, f).split(path.sep).join("/"),
    );
    expect(suites.length).toBeGreaterThan(30);
    const misplaced = suites.filter((f) => !KINDS.some((k) => f.startsWith(`test/${k}/`)));
    expect(
      misplaced.map(
        (f) => `${f}: move it to test/unit, test/e2e or test/integration (docs/development.md#tests-by-kind)`,
      ),
    ).toEqual([]);
    for (const k of KINDS)
      expect({ k, n: suites.filter((f) => f.startsWith(`test/${k}/`)).length > 0 }).toEqual({ k, n: true });
  });

  test("the kind check recognises a misplaced suite (it can fail)", () => {
    const at = (k: Kind) => path.join(REPO, "test", k, "x.test.ts");
    // Built from parts so this file's own text holds none of these imports.
    const imp = (names: string, mod: string) => ["import {", names, "} from", `"../support/${mod}";`].join(" ");
    expect(misfits("unit", at("unit"), imp("describeWithMoto", "moto"))).toHaveLength(1);
    expect(misfits("unit", at("unit"), `${imp("REPO, runCli as run", "cli")}\nawait run(["discover"]);`)).toHaveLength(
      1,
    );
    expect(misfits("e2e", at("e2e"), imp("type FaultProxy, startFaultProxy", "fault-proxy"))).toHaveLength(1);
    expect(misfits("integration", at("integration"), imp("runCli", "cli"))).toHaveLength(1);
    expect(misfits("unit", at("unit"), `${imp("REPO", "cli")}\n${imp("specifiers", "source-scan")}`)).toEqual([]);
    expect(misfits("e2e", at("e2e"), imp("runCli", "cli"))).toEqual([]);
    expect(misfits("integration", at("integration"), imp("describeWithMoto, enforceIam", "moto"))).toEqual([]);
  });

  test("each suite uses only what its kind may (unit: nothing running; e2e: no moto; integration: moto or terraform)", () => {
    const offenders = KINDS.flatMap((k) =>
      walk(path.join(REPO, "test", k), (n) => n.endsWith(".test.ts")).flatMap((f) =>
        misfits(k, f, fs.readFileSync(f, "utf8")).map((why) => `${path.relative(REPO, f)}: ${why}`),
      ),
    );
    expect(offenders).toEqual([]);
  });

  test("jest: one project per folder; only the integration project has the moto global set-up", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const config = require(path.join(REPO, "jest.config.js")) as {
      globalSetup?: string;
      globalTeardown?: string;
      projects: Array<Record<string, unknown>>;
    };
    expect(config.globalSetup).toBeUndefined();
    expect(config.globalTeardown).toBeUndefined();
    const projects = Object.fromEntries(config.projects.map((p) => [p.displayName, p]));
    expect(Object.keys(projects).sort()).toEqual([...KINDS].sort());
    for (const k of KINDS) expect(projects[k].roots).toEqual([`<rootDir>/test/${k}`]);
    expect(projects.unit.globalSetup).toBeUndefined();
    expect(projects.e2e.globalSetup).toBeUndefined();
    expect(projects.integration.globalSetup).toBe("<rootDir>/test/support/global-setup.ts");
    expect(projects.integration.globalTeardown).toBe("<rootDir>/test/support/global-teardown.ts");
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    for (const k of KINDS) expect(pkg.scripts[`test:${k}`]).toBe(`tsc -p tsconfig.json && jest --selectProjects ${k}`);
    expect(pkg.scripts.test).toBe("tsc -p tsconfig.json && jest");
  });

  test("every test/... path named in the docs and the sources exists", () => {
    const files = walk(REPO, (n) => /\.(ts|js|md)$/.test(n) && !n.endsWith(".d.ts"));
    expect(files.length).toBeGreaterThan(50);
    const ref = /(?<![\w./-])test\/[\w./-]*\w/g;
    const missing: string[] = [];
    for (const f of files) {
      for (const m of fs.readFileSync(f, "utf8").matchAll(ref)) {
        const p = m[0];
        // A path a comment wraps after its stem (test/integration/deny-data-reads\n * .test.ts) counts as the suite.
        if (!fs.existsSync(path.join(REPO, p)) && !fs.existsSync(path.join(REPO, `${p}.test.ts`)))
          missing.push(`${path.relative(REPO, f)}: ${p}`);
      }
    }
    expect(missing).toEqual([]);
    const nope = ["test", "unit", "nope.test.ts"].join("/"); // built from parts: this file names no missing path
    expect([...`see ${nope} and x/${nope}`.matchAll(ref)].map((m) => m[0])).toEqual([nope]);
  });
});
