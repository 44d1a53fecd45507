import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startLocalRegistry, type LocalRegistry } from "../support/local-registry";

/**
 * The npm package, as a user gets it: `npm pack` (its prepack build), `npm install <tgz> cdktf constructs` into a
 * fresh project, the CLI through npx, `npm install -g` into a temporary prefix, and a user's own cdktf app
 * (examples/cdktf-app/main.ts, the app docs/synth-and-deploy.md shows) compiled with tsc against the installed package's types,
 * synthesized, and checked.
 *
 * Offline: npm resolves every dependency from a registry on 127.0.0.1 built from package-lock.json, with the tarballs
 * `npm ci` left in the npm cache (test/support/local-registry.ts says why `npm install --offline` alone cannot).
 * The pack runs in a copy of the checkout (node_modules linked): prepack empties dist/ before it builds, and the
 * other test files run the CLI from this checkout's dist/ at the same time.
 */

const REPO = path.resolve(__dirname, "..", "..");
const TSC = path.join(REPO, "node_modules", "typescript", "bin", "tsc");
const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as { version: string }).version;
const EXAMPLE_APP = path.join(REPO, "examples", "cdktf-app", "main.ts");
const COPY_SKIP = new Set(["node_modules", "dist", ".git", "cdktf.out", "out", "coverage", "test", "bench"]);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the event loop (the registry answers from this process). */
function run(cmd: string, args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 480_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

function expectOk(r: Run, what: string): void {
  if (r.code !== 0)
    throw new Error(
      `${what} exited ${r.code}\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`,
    );
}

/** Every file under dir, relative, sorted. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else out.push(path.relative(dir, path.join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

type TfJson = { resource: Record<string, Record<string, Record<string, unknown>>>; output: Record<string, unknown> };
type Policy = { Statement: Array<{ Principal?: unknown; Condition?: Record<string, Record<string, string>> }> };

let tmp: string;
let registry: LocalRegistry;
let npmEnv: Record<string, string>;
let tarball: string;
let packed: { filename: string; files: Array<{ path: string }> };
let app: string;
let globalPrefix: string;
let installs: { local: Run; global: Run };

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-package-"));
  const cache = (await run("npm", ["config", "get", "cache"], { cwd: REPO })).stdout.trim();
  registry = await startLocalRegistry(path.join(REPO, "package-lock.json"), cache);
  npmEnv = {
    npm_config_registry: registry.url,
    npm_config_cache: path.join(tmp, "npm-cache"),
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    npm_config_loglevel: "warn",
  };

  // npm pack, with its prepack build, in a copy of the checkout.
  const src = path.join(tmp, "src");
  fs.cpSync(REPO, src, {
    recursive: true,
    filter: (from) => !(path.dirname(from) === REPO && COPY_SKIP.has(path.basename(from))),
  });
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(src, "node_modules"), "dir");
  const packDir = path.join(tmp, "pack");
  fs.mkdirSync(packDir);
  const pack = await run("npm", ["pack", "--json", "--pack-destination", packDir], { cwd: src, env: npmEnv });
  expectOk(pack, "npm pack");
  packed = (JSON.parse(pack.stdout.slice(pack.stdout.indexOf("["))) as Array<typeof packed>)[0];
  tarball = path.join(packDir, packed.filename);

  // The user's project, and a global install into a temporary prefix, side by side.
  app = path.join(tmp, "app");
  fs.mkdirSync(app);
  fs.writeFileSync(
    path.join(app, "package.json"),
    `${JSON.stringify({ name: "my-org-infra", version: "1.0.0", private: true }, null, 2)}\n`,
  );
  globalPrefix = path.join(tmp, "global");
  const [local, global] = await Promise.all([
    run("npm", ["install", "--no-audit", "--no-fund", tarball, "cdktf@0.21.0", "constructs@10.8.1"], {
      cwd: app,
      env: npmEnv,
    }),
    run("npm", ["install", "-g", "--prefix", globalPrefix, "--no-audit", "--no-fund", tarball], {
      cwd: tmp,
      env: npmEnv,
    }),
  ]);
  installs = { local, global };
  expectOk(local, "npm install <tgz> cdktf constructs");
  expectOk(global, "npm install -g <tgz>");
}, 900_000);

afterAll(async () => {
  await registry?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("npm pack", () => {
  test("ships the compiled library and CLI with declarations, the templates, the examples, the README and the docs it links to; no tests, no sources, no source maps", () => {
    const files = packed.files.map((f) => f.path).sort();
    for (const f of [
      "bin/orgtrust",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/cli/main.js",
      "dist/constructs/integration-stack.d.ts",
      "templates/member-role/member-role.yaml",
      "templates/backstage/app-config.yaml.hbs",
      "examples/org.json",
      "examples/orgtrust.yaml",
      "examples/cdktf-app/main.ts",
      "README.md",
      "package.json",
      ...fs.readdirSync(path.join(REPO, "docs")).map((f) => `docs/${f}`),
    ]) {
      expect(files).toContain(f);
    }
    expect(
      files.filter(
        (f) =>
          /^dist\/(test|bench)\//.test(f) ||
          f.endsWith(".map") ||
          (f.startsWith("dist/") && f.endsWith(".ts") && !f.endsWith(".d.ts")),
      ),
    ).toEqual([]);
    expect(
      files.filter(
        (f) =>
          /^(cli|common|config|constructs|drift|generate|org|synth|test|scripts)\//.test(f) ||
          f === "index.ts" ||
          f.startsWith("tsconfig"),
      ),
    ).toEqual([]);
  });

  test("package.json: public, library entry points, cdktf and constructs as peers, no install-time script", () => {
    const pkg = JSON.parse(
      fs.readFileSync(path.join(app, "node_modules", "orgtrust", "package.json"), "utf8"),
    ) as Record<string, any>;
    expect(pkg.private).toBeUndefined();
    expect(pkg.main).toBe("dist/index.js");
    expect(pkg.types).toBe("dist/index.d.ts");
    expect(pkg.exports["."]).toEqual({ types: "./dist/index.d.ts", default: "./dist/index.js" });
    expect(pkg.peerDependencies).toEqual({ cdktf: "^0.21.0", constructs: "^10.4.2" });
    expect(pkg.dependencies.cdktf).toBeUndefined();
    expect(pkg.dependencies.constructs).toBeUndefined();
    for (const s of ["prepare", "preinstall", "install", "postinstall"]) expect(pkg.scripts?.[s]).toBeUndefined();
    // The installs asked the local registry for nothing the lockfile lacks, and npm built nothing on the user's side.
    expect(registry.missing).toEqual([]);
    expect(`${installs.local.stderr}${installs.global.stderr}`).not.toMatch(/install scripts/);
  });
});

describe("the installed CLI", () => {
  const npx = (args: string[]) => run("npx", ["--no", "--", "orgtrust", ...args], { cwd: app, env: npmEnv });

  test("npx orgtrust --help and --version", async () => {
    const help = await npx(["--help"]);
    expectOk(help, "npx orgtrust --help");
    expect(help.stdout).toMatch(/^Usage: orgtrust /);
    expect(help.stdout).not.toMatch(/not built yet/);
    const version = await npx(["--version"]);
    expectOk(version, "npx orgtrust --version");
    expect(version.stdout.trim()).toBe(VERSION);
  });

  test("npx orgtrust example: templates and examples come from the installed package, output identical to the checkout's", async () => {
    const r = await npx(["example", "--out", "example-out"]);
    expectOk(r, "npx orgtrust example");
    const installed = path.join(app, "example-out");
    expect(tree(installed)).toEqual(
      expect.arrayContaining([
        "cdktf.out/stacks/backstage/cdk.tf.json",
        "hcl/stacks/backstage/main.tf",
        "hcl/stacks/backstage/member-role.yaml",
      ]),
    );
    const checkout = path.join(tmp, "checkout-example");
    expectOk(
      await run(process.execPath, [path.join(REPO, "bin", "orgtrust"), "example", "--out", checkout], { cwd: tmp }),
      "checkout orgtrust example",
    );
    expect(tree(installed)).toEqual(tree(checkout));
    for (const f of tree(checkout))
      expect({ f, text: fs.readFileSync(path.join(installed, f), "utf8") }).toEqual({
        f,
        text: fs.readFileSync(path.join(checkout, f), "utf8"),
      });
  }, 300_000);

  test("npm install -g into a prefix: orgtrust --version", async () => {
    const bin = path.join(globalPrefix, "bin", "orgtrust");
    expect(fs.existsSync(bin)).toBe(true);
    const r = await run(bin, ["--version"], {
      cwd: tmp,
      env: { PATH: `${path.join(globalPrefix, "bin")}:${process.env.PATH}` },
    });
    expectOk(r, "orgtrust --version (global)");
    expect(r.stdout.trim()).toBe(VERSION);
  });
});

describe("the construct library in a user's own cdktf app", () => {
  const tsconfig = (moduleResolution: "node16" | "node10") => ({
    // No skipLibCheck here: orgtrust's declarations are checked too. Under node10 resolution, zod's declarations (a
    // dependency, reached through the policy builders' config types) need esModuleInterop, as `tsc --init` sets it.
    compilerOptions: {
      target: "ES2022",
      module: moduleResolution === "node16" ? "node16" : "commonjs",
      moduleResolution,
      ...(moduleResolution === "node10" ? { esModuleInterop: true } : {}),
      strict: true,
      outDir: "dist",
      rootDir: ".",
      types: [],
    },
    files: ["main.ts"],
  });

  test("docs/synth-and-deploy.md shows exactly the example app the test compiles; README and docs install this version", () => {
    const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
    const docs = fs
      .readdirSync(path.join(REPO, "docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => fs.readFileSync(path.join(REPO, "docs", f), "utf8"));
    expect(fs.readFileSync(path.join(REPO, "docs", "synth-and-deploy.md"), "utf8")).toContain(
      `\`\`\`ts\n${fs.readFileSync(EXAMPLE_APP, "utf8")}\`\`\``,
    );
    // Every install command names this version: the README's Install section, and every docs page.
    const pinned = (text: string) => [...text.matchAll(/orgtrust@(\d+\.\d+\.\d+(?:-[\w.]+)?)/g)].map((m) => m[1]);
    expect(pinned(readme).length).toBeGreaterThanOrEqual(2); // npm install --save-exact ..., npm install -g ...
    expect([readme, ...docs].flatMap(pinned).length).toBeGreaterThanOrEqual(4); // + the example app's, CI's
    expect([...new Set([readme, ...docs].flatMap(pinned))]).toEqual([VERSION]);
    expect(readme).toContain(`npm install --save-exact orgtrust@${VERSION} cdktf@0.21.0 constructs@10.8.1`);
  });

  test("loading the library loads no CLI, config or synth code, and provider resources by deep path only", async () => {
    const script = `require("orgtrust"); const ks = Object.keys(require.cache); console.log(JSON.stringify({ own: ks.filter((k) => k.includes("node_modules/orgtrust/dist/")).map((k) => k.split("node_modules/orgtrust/dist/")[1]), providers: ks.filter((k) => /@cdktf[\\\\/]provider-(aws|random)[\\\\/]lib[\\\\/]/.test(k)).length }));`;
    const r = await run(process.execPath, ["-e", script], { cwd: app });
    expectOk(r, "require(orgtrust)");
    const loaded = JSON.parse(r.stdout) as { own: string[]; providers: number };
    expect(loaded.own).toContain("index.js");
    expect(loaded.own.filter((m) => /^(cli|config|synth|generate|drift|org)\//.test(m))).toEqual([]);
    expect(loaded.providers).toBeGreaterThan(5);
    expect(loaded.providers).toBeLessThan(40); // the provider index would load 2,212
  });

  test("tsc compiles the README's app against the installed types (node16 and node10 resolution); a wrong prop does not compile", async () => {
    fs.copyFileSync(EXAMPLE_APP, path.join(app, "main.ts"));
    fs.writeFileSync(path.join(app, "tsconfig.json"), JSON.stringify(tsconfig("node16"), null, 2));
    // The node10 leg (main/types instead of the exports map) and the wrong-props app need only their own files
    // checked: the full declaration check runs once, in the node16 leg. All three compile at once.
    const fast = (moduleResolution: "node16" | "node10") => ({
      ...tsconfig(moduleResolution),
      compilerOptions: { ...tsconfig(moduleResolution).compilerOptions, noEmit: true, skipLibCheck: true },
    });
    fs.writeFileSync(path.join(app, "tsconfig.node10.json"), JSON.stringify(fast("node10"), null, 2));
    // The types are real: a misspelt prop and a wrong type are compile errors naming them.
    const bad = path.join(tmp, "bad-app");
    fs.mkdirSync(bad);
    fs.symlinkSync(path.join(app, "node_modules"), path.join(bad, "node_modules"), "dir");
    fs.writeFileSync(
      path.join(bad, "main.ts"),
      `import { App } from "cdktf";\nimport { IntegrationStack } from "orgtrust";\nnew IntegrationStack(new App(), "x", { homeRegion: "us-east-1", managementAccountId: "111122223333", trustedPrincipal: "arn:aws:iam::444455556666:root", memberRole: { managedPolicyArn: [] } });\nnew IntegrationStack(new App(), "y", { homeRegion: "us-east-1", managementAccountId: 111122223333, trustedPrincipal: "arn:aws:iam::444455556666:root" });\n`,
    );
    fs.writeFileSync(path.join(bad, "tsconfig.json"), JSON.stringify(fast("node16")));
    const [node16, node10, r] = await Promise.all([
      run(process.execPath, [TSC, "-p", "tsconfig.json"], { cwd: app }),
      run(process.execPath, [TSC, "-p", "tsconfig.node10.json"], { cwd: app }),
      run(process.execPath, [TSC, "-p", "tsconfig.json"], { cwd: bad }),
    ]);
    expectOk(node16, "tsc (node16)");
    expectOk(node10, "tsc (node10)");
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/main\.ts\(3,.*'managedPolicyArn' does not exist in type 'IntegrationMemberRoleOptions'/);
    expect(r.stdout).toMatch(/main\.ts\(4,.*Type 'number' is not assignable to type 'string'/);
  }, 600_000);

  test("the app synthesizes: discovery role, member-role StackSet on the two OUs, management-account role, all trusting the principal with the external ID", async () => {
    expect(fs.existsSync(path.join(app, "dist", "main.js"))).toBe(true); // compiled by the test above
    const outdir = path.join(tmp, "app-synth");
    expectOk(
      await run(process.execPath, ["dist/main.js"], { cwd: app, env: { CDKTF_OUTDIR: outdir } }),
      "node dist/main.js",
    );
    const tf = JSON.parse(fs.readFileSync(path.join(outdir, "stacks", "backstage", "cdk.tf.json"), "utf8")) as TfJson;
    const roles = tf.resource.aws_iam_role;
    expect(Object.keys(roles).sort()).toEqual(["discovery_role", "inventory_discovery", "management_role"]);
    expect(roles.discovery_role.name).toBe("backstage-org-discovery");
    expect(roles.inventory_discovery.name).toBe("inventory-org-reader");
    expect(roles.management_role.name).toBe("backstage-org-readonly");
    const trust = (name: string) => JSON.parse(roles[name].assume_role_policy as string) as Policy;
    expect(trust("discovery_role").Statement).toEqual([
      expect.objectContaining({
        Principal: { AWS: "arn:aws:iam::444455556666:role/backstage-backend" },
        Condition: { StringEquals: { "sts:ExternalId": "bk-7f3c9a2e4b1d8a6f" } },
      }),
    ]);
    expect(trust("management_role").Statement).toEqual(trust("discovery_role").Statement);
    expect(trust("inventory_discovery").Statement).toEqual([
      expect.objectContaining({
        Principal: { AWS: "arn:aws:iam::444455556666:role/inventory" },
        Condition: { StringEquals: { "sts:ExternalId": "bk-7f3c9a2e4b1d8a6f" } },
      }),
    ]);
    expect(roles.discovery_role.tags).toEqual({ owner: "platform" });

    const stackSet = tf.resource.aws_cloudformation_stack_set.member_role;
    expect(stackSet).toMatchObject({
      name: "orgtrust-backstage-member-role",
      permission_model: "SERVICE_MANAGED",
      call_as: "SELF",
      capabilities: ["CAPABILITY_NAMED_IAM"],
    });
    expect(stackSet.parameters).toMatchObject({
      RoleName: "backstage-org-readonly",
      TrustedPrincipal: "arn:aws:iam::444455556666:role/backstage-backend",
      ExternalId: "bk-7f3c9a2e4b1d8a6f",
      ManagedPolicyArns: "arn:aws:iam::aws:policy/SecurityAudit",
      DenyDataReads: "true",
    });
    expect(stackSet.template_body).toBe(
      fs.readFileSync(
        path.join(app, "node_modules", "orgtrust", "templates", "member-role", "member-role.yaml"),
        "utf8",
      ),
    );
    const instances = Object.values(tf.resource.aws_cloudformation_stack_set_instance);
    expect(
      instances
        .map((i) => (i.deployment_targets as { organizational_unit_ids: string[] }).organizational_unit_ids)
        .sort(),
    ).toEqual([["ou-ab12-dev00001"], ["ou-ab12-prod0001"]]);
    expect(instances.filter((i) => i.depends_on).length).toBe(1); // chained: a StackSet runs one operation at a time
    expect(instances.every((i) => i.stack_set_instance_region === "us-east-1")).toBe(true);
    expect(Object.values(tf.resource.aws_iam_role_policy_attachment).map((a) => a.policy_arn)).toEqual([
      "arn:aws:iam::aws:policy/SecurityAudit",
    ]);
    expect(tf.resource.aws_secretsmanager_secret.external_id_secret.name).toBe("orgtrust/backstage/external-id");
  });

  test("a bad prop is refused in the constructor, naming the prop and the fix", async () => {
    const script = `const { App } = require("cdktf"); const { IntegrationStack, InputError } = require("orgtrust");
      try { new IntegrationStack(new App(), "x", { homeRegion: "us-east-1", managementAccountId: "111122223333", trustedPrincipal: "arn:aws:iam::444455556666:root", organizationalUnitIds: ["123456789012"] }); }
      catch (e) { console.log(e instanceof InputError, e.message); }
      try { new IntegrationStack(new App(), "y", { homeRegion: "us-east-1", managementAccountId: "111122223333", trustedPrincipal: "arn:aws:iam::444455556666:root", memberRole: { managedPolicyArn: [] } }); }
      catch (e) { console.log(e instanceof InputError, e.message); }`;
    const r = await run(process.execPath, ["-e", script], { cwd: app });
    expectOk(r, "node -e");
    expect(r.stdout.trim().split("\n")).toEqual([
      'true IntegrationStack "x" props.organizationalUnitIds[0]: "123456789012" must be an OU id (ou-xxxx-xxxxxxxx) or a root id (r-xxxx)',
      expect.stringMatching(
        /^true IntegrationStack "y" props\.memberRole\.managedPolicyArn: is not a prop of IntegrationStack \(fix: use one of roleName, path, managedPolicyArns, /,
      ),
    ]);
  });
});
