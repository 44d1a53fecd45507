import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TEST_CREDENTIALS } from "./aws-clients";
import { describeWithMoto, type WorkerMoto } from "./moto";

/**
 * Terraform harness: runs the real `terraform` binary on what `orgtrust synth` (cdk.tf.json) and `orgtrust synth
 * --hcl` (main.tf) wrote, against the suite's moto_server, with no network.
 *
 * Provider. Nothing can be downloaded here, but the machines carry a filesystem mirror of hashicorp/aws 5.100.0 (a
 * `registry.terraform.io/hashicorp/aws/5.100.0/<os>_<arch>` tree). The mirror is the folder holding
 * `registry.terraform.io`: $ORGTRUST_TF_PROVIDER_MIRROR when set, else the first of /opt/tf-plugins and Terraform's
 * usual plugin folders that holds the provider, else the first match of `find / -maxdepth 4 -type d -name
 * registry.terraform.io`. The harness writes a CLI config (TF_CLI_CONFIG_FILE) into its own temporary folder with a
 * `filesystem_mirror` for that folder and `direct { exclude = ["registry.terraform.io/*\/*"] }`, so no provider is ever
 * fetched, and no plugin cache: terraform's environment is built from scratch (PATH and what is listed in env(), so
 * no TF_PLUGIN_CACHE_DIR, TF_* or AWS_* of the caller's leaks in), with CHECKPOINT_DISABLE=1, TF_IN_AUTOMATION=1 and
 * HOME a temporary folder.
 *
 * 6.x spellings. The project pins hashicorp/aws 6.25.0 (the last @cdktf/provider-aws); the mirror has 5.100.0.
 * rewriteForMirroredProvider is the ONE place that changes synthesized files, in the harness's own copy, never in
 * the output folder: the version pin becomes "5.100.0" and aws_cloudformation_stack_set_instance's
 * `stack_set_instance_region` (6.x) becomes `region` (what 5.x calls the instance's target region). Nothing else.
 *
 * Working folders. A user runs `terraform init && terraform apply` inside `stacks/<integration>/`. The harness keeps
 * everything Terraform writes for the user where that would put it: the data folder is `stacks/<integration>/.terraform`
 * (TF_DATA_DIR) and the state is the synthesized local backend's path resolved against the stack folder (passed as
 * `-backend-config=path=...`, the value the user's own init would use). Only the rewritten configuration, the
 * dependency lock file (which names 5.100.0, so it must not land in the user's folder) and saved plans live in the
 * copy. A synth that deletes state or the data folder therefore does exactly what it would do to a user.
 *
 * Backends. The local backend (synth's default) keeps the state in the stack folder as above. The s3 backend (the
 * README's CI plan job) keeps it in moto's S3: init adds `-backend-config=use_path_style=true`, the one setting a user
 * would not write (moto on 127.0.0.1 cannot answer bucket.127.0.0.1 virtual-host names); Terraform's s3 backend
 * reaches moto through AWS_ENDPOINT_URL like the provider. Other backends are refused.
 *
 * AWS. Every run points the provider at moto with AWS_ENDPOINT_URL and fake credentials, reads no shared config,
 * and sends any non-loopback HTTP(S) request to a dead proxy (HTTPS_PROXY=127.0.0.1:9, NO_PROXY=loopback), so a
 * stray request fails at once instead of reaching the network.
 *
 * moto vs AWS (moto 5.2.1, checked on these machines; the suites shape their org so the two agree):
 *  - A StackSet instance targeted at an OU lands in the accounts of that OU and of its direct child OUs only (AWS:
 *    the whole subtree): keep every account at most one OU level below its target.
 *  - A root target also lands in the management account (AWS: never): keep an excluded OU holding an account, so the
 *    OU cover is never the root.
 *  - moto does not store some StackSet fields: MOTO_UNSTORED_STACKSET_FIELDS, the one list planChanges ignores.
 *
 * Processes. terraform runs in its own process group; a run that outlasts its timeout is killed with its provider
 * plugins, and describeWithTerraform kills whatever still runs when the suite ends (and on process exit).
 *
 * When terraform (>= 1.11) or the mirror is missing, describeWithTerraform skips the suite with one loud line, also
 * under CI=true (issue 9: skipped, not failed); ORGTRUST_REQUIRE_TERRAFORM=true turns the skip into a failure.
 */

/** What the project pins (@cdktf/provider-aws 21.22.1) and what the mirror holds. */
export const PINNED_AWS_PROVIDER = "6.25.0";
export const MIRRORED_AWS_PROVIDER = "5.100.0";
export const MIRROR_ENV = "ORGTRUST_TF_PROVIDER_MIRROR";
export const REQUIRE_ENV = "ORGTRUST_REQUIRE_TERRAFORM";

/**
 * The StackSet fields moto accepts but does not store or return, so a plan after apply always wants to set them
 * (auto_deployment even forces a replacement). planChanges ignores exactly these, on aws_cloudformation_stack_set only.
 */
export const MOTO_UNSTORED_STACKSET_FIELDS: readonly string[] = [
  "auto_deployment",
  "capabilities",
  "managed_execution",
  "operation_preferences",
  "administration_role_arn",
];

// ---------------------------------------------------------------------------------------------------------------
// Availability

export type TerraformAvailability =
  { ok: true; binary: string; version: string; mirror: string } | { ok: false; reason: string };

function platform(): string {
  const arch: Record<string, string> = { x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm" };
  return `${process.platform}_${arch[process.arch] ?? process.arch}`;
}

/** The provider folder inside a mirror, when it holds a provider binary. */
function providerIn(mirror: string): string | undefined {
  const dir = path.join(mirror, "registry.terraform.io", "hashicorp", "aws", MIRRORED_AWS_PROVIDER, platform());
  try {
    return fs.readdirSync(dir).some((f) => f.startsWith("terraform-provider-aws")) ? dir : undefined;
  } catch {
    return undefined;
  }
}

function findMirror(): { mirror?: string; reason?: string } {
  const fromEnv = process.env[MIRROR_ENV];
  if (fromEnv) {
    return providerIn(fromEnv)
      ? { mirror: path.resolve(fromEnv) }
      : {
          reason: `${MIRROR_ENV}=${fromEnv} holds no registry.terraform.io/hashicorp/aws/${MIRRORED_AWS_PROVIDER}/${platform()}/terraform-provider-aws*`,
        };
  }
  const home = os.homedir();
  const known = [
    "/opt/tf-plugins",
    path.join(home, ".terraform.d", "plugins"),
    path.join(home, ".local", "share", "terraform", "plugins"),
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
  ];
  for (const k of known) if (providerIn(k)) return { mirror: k };
  const found = spawnSync(
    "sh",
    ["-c", "find / -maxdepth 4 -type d -name registry.terraform.io -not -path '/proc/*' 2>/dev/null"],
    { encoding: "utf8", timeout: 20_000 },
  );
  for (const dir of (found.stdout ?? "").split("\n").filter(Boolean)) {
    const mirror = path.dirname(dir);
    if (providerIn(mirror)) return { mirror };
  }
  return {
    reason: `no filesystem mirror of hashicorp/aws ${MIRRORED_AWS_PROVIDER} (${platform()}) found (looked in /opt/tf-plugins, Terraform's plugin folders and find / -maxdepth 4; set ${MIRROR_ENV} to the folder holding registry.terraform.io)`,
  };
}

let availability: TerraformAvailability | undefined;

/** Whether terraform >= 1.11 and the provider mirror are there (computed once per process). */
export function terraformAvailability(): TerraformAvailability {
  if (availability) return availability;
  const v = spawnSync("terraform", ["version", "-json"], {
    encoding: "utf8",
    timeout: 30_000,
    env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "/dev/null" },
  });
  if (v.error || v.status !== 0) {
    availability = { ok: false, reason: "terraform is not on PATH" };
    return availability;
  }
  const version = (JSON.parse(v.stdout) as { terraform_version: string }).terraform_version;
  const [major, minor] = version.split(".").map(Number);
  if (major < 1 || (major === 1 && minor < 11)) {
    availability = {
      ok: false,
      reason: `terraform ${version} is older than 1.11 (the synthesized stacks need write-only attributes)`,
    };
    return availability;
  }
  const m = findMirror();
  availability = m.mirror
    ? { ok: true, binary: "terraform", version, mirror: m.mirror }
    : { ok: false, reason: m.reason! };
  return availability;
}

// ---------------------------------------------------------------------------------------------------------------
// The one rewrite

/**
 * THE ONE PLACE the harness changes synthesized Terraform, so the mirrored hashicorp/aws 5.100.0 can run it:
 *   1. the version pin: `"6.25.0"` -> `"5.100.0"` (terraform.required_providers.aws.version);
 *   2. `stack_set_instance_region` -> `region` on aws_cloudformation_stack_set_instance (6.x renamed the instance's
 *      target region to stack_set_instance_region and gave `region` to the provider-level region override).
 * Nothing else is touched. `file` is the file's name (cdk.tf.json is rewritten as data, *.tf as text); other files
 * come back unchanged. Throws when the pin is not exactly once where expected, so a new pin or a new 6.x-only
 * spelling shows up as a harness failure instead of a silently different test.
 */
export function rewriteForMirroredProvider(file: string, text: string): string {
  if (file.endsWith(".tf.json")) {
    const doc = JSON.parse(text) as {
      terraform?: { required_providers?: { aws?: { version?: string } } };
      resource?: Record<string, Record<string, Record<string, unknown>>>;
    };
    const aws = doc.terraform?.required_providers?.aws;
    if (aws?.version !== PINNED_AWS_PROVIDER)
      throw new Error(
        `${file}: terraform.required_providers.aws.version is ${JSON.stringify(aws?.version)}, not "${PINNED_AWS_PROVIDER}": revisit rewriteForMirroredProvider`,
      );
    aws.version = MIRRORED_AWS_PROVIDER;
    for (const inst of Object.values(doc.resource?.aws_cloudformation_stack_set_instance ?? {})) {
      if ("stack_set_instance_region" in inst) {
        // Keep the key's position: rebuild the object with the one key renamed.
        const renamed = Object.fromEntries(
          Object.entries(inst).map(([k, v]) => [k === "stack_set_instance_region" ? "region" : k, v]),
        );
        for (const k of Object.keys(inst)) delete inst[k];
        Object.assign(inst, renamed);
      }
    }
    return `${JSON.stringify(doc, null, 2)}\n`;
  }
  if (file.endsWith(".tf")) {
    const pin = new RegExp(`(\\bversion\\s*=\\s*)"${PINNED_AWS_PROVIDER.replace(/\./g, "\\.")}"`, "g");
    const pins = text.match(pin)?.length ?? 0;
    if (pins !== 1)
      throw new Error(
        `${file}: expected the aws provider pin version = "${PINNED_AWS_PROVIDER}" exactly once, found ${pins}: revisit rewriteForMirroredProvider`,
      );
    const out = text
      .replace(pin, `$1"${MIRRORED_AWS_PROVIDER}"`)
      .replace(/^(\s*)stack_set_instance_region(\s*=)/gm, "$1region$2");
    if (out.includes("stack_set_instance_region"))
      throw new Error(
        `${file}: stack_set_instance_region used other than as an attribute: revisit rewriteForMirroredProvider`,
      );
    return out;
  }
  return text;
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

const running = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // the whole group: terraform and its provider plugins
  } catch {
    /* already gone */
  }
}

/** Kills every terraform process group this process started that is still running. */
export async function killAllTerraform(): Promise<void> {
  const left = [...running];
  for (const c of left) killGroup(c, "SIGTERM");
  await Promise.all(
    left.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const t = setTimeout(() => {
            killGroup(c, "SIGKILL");
            resolve();
          }, 5000);
          c.once("exit", () => {
            clearTimeout(t);
            resolve();
          });
        }),
    ),
  );
}

process.once("exit", () => {
  for (const c of running) killGroup(c, "SIGKILL");
});

export interface TerraformResult {
  code: number;
  stdout: string;
  stderr: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Plans

/** The part of `terraform show -json <plan>` the checks read. */
export interface PlanJson {
  resource_changes?: Array<{
    address: string;
    type: string;
    change: { actions: string[]; before: unknown; after: unknown; after_unknown: unknown; replace_paths?: unknown[][] };
  }>;
  output_changes?: Record<string, { actions: string[] }>;
}

/** One resource (or output) the plan would change, after the moto allowance; attribute paths only, never values. */
export interface PlannedChange {
  address: string;
  actions: string[];
  /** Attribute paths (e.g. "tags", "parameters.ExternalId") whose value changes or becomes unknown. */
  attributes: string[];
}

const isEmpty = (v: unknown) =>
  v === null ||
  v === undefined ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);

/** Paths below `prefix` where before and after differ. An absent and an empty collection are the same value. */
function differences(before: unknown, after: unknown, unknown: unknown, prefix: string, out: string[]): void {
  if (unknown === true) {
    out.push(prefix);
    return;
  }
  if (isEmpty(before) && isEmpty(after)) return;
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    before.forEach((b, i) =>
      differences(b, after[i], Array.isArray(unknown) ? unknown[i] : undefined, `${prefix}[${i}]`, out),
    );
    return;
  }
  const obj = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
  if (obj(before) && obj(after)) {
    const b = before as Record<string, unknown>;
    const a = after as Record<string, unknown>;
    const u = (obj(unknown) ? unknown : {}) as Record<string, unknown>;
    for (const k of [...new Set([...Object.keys(b), ...Object.keys(a), ...Object.keys(u)])].sort())
      differences(b[k], a[k], u[k], prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) out.push(prefix);
}

/**
 * What a saved plan would change, attribute by attribute, with moto's allowance and nothing more: on
 * aws_cloudformation_stack_set the MOTO_UNSTORED_STACKSET_FIELDS are ignored, and when those fields alone force a
 * replacement (replace_paths) the attributes the provider computes on create (arn, id, ...) are unknown in the plan
 * for that reason only, so they are ignored too. Every other attribute of every resource must equal its state (an
 * absent and an empty map or list count as equal: `tags = {} -> null` sets no tag), and every output too. An empty
 * result is a no-change plan.
 */
export function planChanges(plan: PlanJson): PlannedChange[] {
  const out: PlannedChange[] = [];
  for (const rc of plan.resource_changes ?? []) {
    const { actions, before, after, after_unknown, replace_paths } = rc.change;
    if (actions.length === 1 && (actions[0] === "no-op" || actions[0] === "read")) continue;
    if (!(actions.includes("update") || (actions.includes("delete") && actions.includes("create")))) {
      out.push({ address: rc.address, actions, attributes: [] }); // a plain create or delete
      continue;
    }
    const ignored = new Set(rc.type === "aws_cloudformation_stack_set" ? MOTO_UNSTORED_STACKSET_FIELDS : []);
    const forcedByMotoOnly =
      (replace_paths ?? []).length > 0 && (replace_paths ?? []).every((p) => ignored.has(String(p[0])));
    const b = (before ?? {}) as Record<string, unknown>;
    const a = (after ?? {}) as Record<string, unknown>;
    const u = (after_unknown ?? {}) as Record<string, unknown>;
    const attributes: string[] = [];
    for (const k of [...new Set([...Object.keys(b), ...Object.keys(a)])].sort()) {
      if (ignored.has(k)) continue;
      // Computed on create: unknown only because moto's unstored fields force the replacement.
      if (forcedByMotoOnly && u[k] === true && (a[k] === null || a[k] === undefined)) continue;
      differences(b[k], a[k], u[k], k, attributes);
    }
    const replaced = actions.includes("delete") && actions.includes("create");
    if (attributes.length || (replaced && !forcedByMotoOnly)) out.push({ address: rc.address, actions, attributes });
  }
  for (const [name, oc] of Object.entries(plan.output_changes ?? {})) {
    if (!(oc.actions.length === 1 && oc.actions[0] === "no-op"))
      out.push({ address: `output.${name}`, actions: oc.actions, attributes: [] });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// A stack folder under Terraform

export interface TerraformWorkspaceOptions {
  /** The suite's moto endpoint (AWS_ENDPOINT_URL). */
  endpoint: string;
  /** Extra environment (TF_VAR_<name> for env-sourced external IDs). */
  env?: Record<string, string>;
  /** Per command; the process group is killed after it. Default 180 s. */
  timeoutMs?: number;
}

export interface TerraformState {
  lineage: string;
  serial: number;
  resources: string[];
}

/** Files Terraform itself writes into a working folder: never copied into the harness's copy. */
const TERRAFORM_OWNED =
  /(^\.terraform\.lock\.hcl$|\.tfstate(\.backup)?$|^\.terraform\.tfstate\.lock\.info$|^\.terraform$)/;

/**
 * Terraform for one synthesized stack folder (`<out>/stacks/<integration>`), as a user runs it there (see the file
 * comment: data folder and state in the stack folder, rewritten configuration in the harness's copy). Every command
 * first refreshes the copy from the stack folder as it is now, so a re-synth is picked up.
 */
export class TerraformWorkspace {
  readonly copyDir: string;
  private readonly home: string;
  private readonly cliConfig: string;
  private disposed = false;

  constructor(
    readonly stackDir: string,
    private readonly opts: TerraformWorkspaceOptions,
  ) {
    const a = terraformAvailability();
    if (!a.ok) throw new Error(`terraform harness: ${a.reason}`);
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-tf-"));
    this.copyDir = path.join(base, "config");
    this.home = path.join(base, "home");
    fs.mkdirSync(this.copyDir);
    fs.mkdirSync(this.home);
    this.cliConfig = path.join(base, "terraform.tfrc");
    fs.writeFileSync(
      this.cliConfig,
      [
        "# Written by test/support/terraform.ts: providers only from the local mirror, never from a registry.",
        "disable_checkpoint = true",
        "provider_installation {",
        "  filesystem_mirror {",
        `    path    = ${JSON.stringify(a.mirror)}`,
        `    include = ["registry.terraform.io/hashicorp/aws"]`,
        "  }",
        "  direct {",
        `    exclude = ["registry.terraform.io/*/*"]`,
        "  }",
        "}",
        "",
      ].join("\n"),
    );
  }

  /** The state file where the user's own `terraform init` in the stack folder would put it (local backend). */
  statePath(): string {
    const b = this.backend();
    if (b.type !== "local") throw new Error(`terraform harness: the stack's state is in ${b.type}, not in a file`);
    return path.resolve(this.stackDir, b.path);
  }

  /** The synthesized backend: local (with its path) or s3; anything else is refused. */
  private backend(): { type: "local"; path: string } | { type: "s3" } {
    const json = path.join(this.stackDir, "cdk.tf.json");
    const hcl = path.join(this.stackDir, "main.tf");
    let backend: Record<string, unknown> | undefined;
    if (fs.existsSync(json)) {
      backend = (JSON.parse(fs.readFileSync(json, "utf8")) as { terraform?: { backend?: Record<string, unknown> } })
        .terraform?.backend;
    } else if (fs.existsSync(hcl)) {
      const m = fs.readFileSync(hcl, "utf8").match(/\bbackend\s+"([^"]+)"\s*\{([^}]*)\}/);
      if (m) backend = { [m[1]]: { path: m[2].match(/\bpath\s*=\s*"([^"]*)"/)?.[1] } };
    } else {
      throw new Error(
        `terraform harness: ${this.stackDir} holds neither cdk.tf.json nor main.tf (deleted by a synth?)`,
      );
    }
    if (!backend) return { type: "local", path: "terraform.tfstate" };
    const types = Object.keys(backend);
    if (types.length === 1 && types[0] === "s3") return { type: "s3" };
    if (types.length !== 1 || types[0] !== "local")
      throw new Error(
        `terraform harness: only the local and s3 backends are supported, the stack has ${types.join(", ")}`,
      );
    return { type: "local", path: (backend.local as { path?: string } | undefined)?.path ?? "terraform.tfstate" };
  }

  /** Refreshes the copy: the stack folder's files, rewritten by rewriteForMirroredProvider; Terraform's own files stay. */
  private sync(): void {
    for (const f of fs.readdirSync(this.copyDir)) {
      if (!TERRAFORM_OWNED.test(f) && !f.endsWith(".tfplan"))
        fs.rmSync(path.join(this.copyDir, f), { recursive: true, force: true });
    }
    if (!fs.existsSync(this.stackDir)) return;
    for (const e of fs.readdirSync(this.stackDir, { withFileTypes: true })) {
      if (!e.isFile() || TERRAFORM_OWNED.test(e.name)) continue;
      const text = fs.readFileSync(path.join(this.stackDir, e.name), "utf8");
      fs.writeFileSync(path.join(this.copyDir, e.name), rewriteForMirroredProvider(e.name, text));
    }
  }

  private env(): Record<string, string> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: this.home,
      TF_CLI_CONFIG_FILE: this.cliConfig,
      TF_DATA_DIR: path.join(this.stackDir, ".terraform"),
      TF_IN_AUTOMATION: "1",
      TF_INPUT: "0",
      CHECKPOINT_DISABLE: "1",
      AWS_ENDPOINT_URL: this.opts.endpoint,
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_REGION: "us-east-1",
      AWS_CONFIG_FILE: "/nonexistent/orgtrust-test-config",
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/orgtrust-test-credentials",
      AWS_EC2_METADATA_DISABLED: "true",
      // Anything not on loopback goes to a port nobody listens on: fails at once, never reaches the network.
      HTTPS_PROXY: "http://127.0.0.1:9",
      HTTP_PROXY: "http://127.0.0.1:9",
      NO_PROXY: "127.0.0.1,localhost",
      ...this.opts.env,
    };
    return env;
  }

  /** Runs `terraform <args>` in the copy (synced first). Resolves with the exit code; never rejects on a non-zero one. */
  run(args: string[], timeoutMs = this.opts.timeoutMs ?? 180_000): Promise<TerraformResult> {
    if (this.disposed)
      return Promise.reject(new Error(`terraform harness: terraform ${args[0]} after dispose() (the suite has ended)`));
    this.sync();
    return new Promise((resolve, reject) => {
      const child = spawn("terraform", [...args], {
        cwd: this.copyDir,
        env: this.env(),
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      running.add(child);
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child, "SIGTERM");
        setTimeout(() => killGroup(child, "SIGKILL"), 5000).unref();
      }, timeoutMs);
      child.on("error", (e) => {
        clearTimeout(timer);
        running.delete(child);
        reject(e);
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        running.delete(child);
        if (timedOut) stderr += `\n[terraform harness] terraform ${args[0]} killed after ${timeoutMs} ms\n`;
        resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
      });
    });
  }

  /** Runs and throws (with Terraform's output) unless the exit code is 0. */
  async must(args: string[]): Promise<TerraformResult> {
    const r = await this.run(args);
    if (r.code !== 0)
      throw new Error(
        `terraform ${args.join(" ")} exited ${r.code}:\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-4000)}`,
      );
    return r;
  }

  init(): Promise<TerraformResult> {
    const b = this.backend();
    const config =
      b.type === "local"
        ? `-backend-config=path=${path.resolve(this.stackDir, b.path)}`
        : "-backend-config=use_path_style=true";
    return this.must(["init", "-input=false", "-no-color", config]);
  }

  validate(): Promise<TerraformResult> {
    return this.must(["validate", "-no-color"]);
  }

  apply(): Promise<TerraformResult> {
    return this.must(["apply", "-input=false", "-no-color", "-auto-approve"]);
  }

  /** `terraform plan -out` then `terraform show -json` of that saved plan. */
  async plan(): Promise<PlanJson> {
    const file = `plan-${Date.now()}.tfplan`;
    await this.must(["plan", "-input=false", "-no-color", "-lock-timeout=30s", `-out=${file}`]);
    const shown = await this.must(["show", "-json", "-no-color", file]);
    fs.rmSync(path.join(this.copyDir, file), { force: true });
    return JSON.parse(shown.stdout) as PlanJson;
  }

  /** The state as Terraform reads it (`terraform state pull`): lineage, serial, resource addresses. */
  async state(): Promise<TerraformState> {
    const r = await this.must(["state", "pull"]);
    if (!r.stdout.trim()) return { lineage: "", serial: 0, resources: [] };
    const s = JSON.parse(r.stdout) as {
      lineage: string;
      serial: number;
      resources?: Array<{ mode: string; type: string; name: string; instances: unknown[] }>;
    };
    const resources = (s.resources ?? [])
      .filter((x) => x.mode === "managed" && x.instances.length > 0)
      .map((x) => `${x.type}.${x.name}`);
    return { lineage: s.lineage, serial: s.serial, resources: resources.sort() };
  }

  /** Refuses further runs and removes the harness's copy (the stack folder, with the user's state, is the caller's). */
  dispose(): void {
    this.disposed = true;
    fs.rmSync(path.dirname(this.copyDir), { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Suites

/**
 * `describe` for suites that run Terraform against moto (the managed-policies server: the stacks attach AWS managed
 * policies; the server is reset once before the suite, not between tests, so tests build on each other). Skipped with
 * one loud line when terraform or the provider mirror is missing (and, through describeWithMoto, when moto is);
 * every terraform process still running when the suite ends is killed.
 */
export function describeWithTerraform(name: string, fn: (moto: () => WorkerMoto) => void): void {
  const a = terraformAvailability();
  if (!a.ok) {
    if (process.env[REQUIRE_ENV] === "true") {
      describe(name, () => {
        test("terraform and the provider mirror are available", () => {
          throw new Error(`${a.reason} (${REQUIRE_ENV}=true)`);
        });
      });
      return;
    }
    process.stderr.write(`\n*** Terraform tests SKIPPED: ${a.reason}. ***\n`);
    describe.skip(name, () => fn(() => undefined as never));
    return;
  }
  describeWithMoto(
    name,
    (moto) => {
      afterAll(killAllTerraform);
      fn(moto);
    },
    { managedPolicies: true, resetEachTest: false },
  );
}
