import * as path from "node:path";
import { z } from "zod";
import { region } from "../common/ids";

/**
 * `backend:` in orgtrust.yaml: where Terraform keeps the state of every synthesized stack. One block for all
 * integrations; `{integration}` in a path, key or workspace name becomes the integration's name, so each stack gets
 * its own state. Synth writes it into both outputs (cdk.tf.json through cdktf's own backend constructs, main.tf as a
 * `backend`/`cloud` block).
 *
 * The s3 keys are Terraform's own s3 backend argument names (hashicorp/terraform v1.11.4, commit 35645b8f,
 * internal/backend/remote-state/s3/backend.go ConfigSchema: bucket, key, region, encrypt, kms_key_id,
 * dynamodb_table (Deprecated: true, in favour of use_lockfile), use_lockfile; use_lockfile first appears in v1.10.0).
 * The key rule is Terraform's too: PrepareConfig rejects a key that starts or ends with "/" (validateStringS3Path in
 * validate.go) or contains "//". The cloud block is `cloud { organization, hostname, workspaces { name, project } }`
 * (internal/cloud/backend.go ConfigSchema, same commit).
 */

export const INTEGRATION_PLACEHOLDER = "{integration}";
export const DEFAULT_LOCAL_STATE_PATH = "terraform.{integration}.tfstate";

/** Text with `{integration}` as its only placeholder. */
const template = () =>
  z
    .string()
    .min(1)
    .refine(
      (s) => !s.includes("${"),
      "cannot hold a ${...} expression: Terraform backend settings are literal (fix: write the value itself; {integration} is the one placeholder)",
    )
    .refine(
      (s) => !s.replace(/\{integration\}/g, "").match(/[{}]/),
      "the only placeholder is {integration} (fix: remove the other { } text)",
    );

const localBackendSchema = z
  .object({
    type: z.literal("local"),
    /** State file, relative to the stack directory (stacks/<integration>/), where Terraform runs. */
    path: template()
      .refine(
        (p) => !path.isAbsolute(p) && !/^[A-Za-z]:[\\/]/.test(p),
        "must be relative to the stack directory, so the output is the same on every machine (fix: e.g. terraform.{integration}.tfstate or ../../../state/{integration}.tfstate)",
      )
      .refine(
        (p) => !p.endsWith("/") && !p.endsWith("\\"),
        "must name a file, not a directory (fix: e.g. terraform.{integration}.tfstate)",
      )
      .default(DEFAULT_LOCAL_STATE_PATH),
  })
  .strict();

const s3BackendSchema = z
  .object({
    type: z.literal("s3"),
    bucket: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
        "must be an S3 bucket name (3-63 lower-case letters, digits, . and -)",
      ),
    /** Object key of each stack's state; `{integration}` makes it per integration. */
    key: template()
      .refine(
        (k) => !k.startsWith("/") && !k.endsWith("/"),
        'must not start or end with "/" (Terraform refuses it; fix: e.g. orgtrust/{integration}.tfstate)',
      )
      .refine((k) => !k.includes("//"), 'must not contain "//" (Terraform refuses it)'),
    /** The bucket's region. */
    region,
    /** S3-native state locking (Terraform >= 1.10; the stacks need >= 1.11 anyway). Default true. */
    use_lockfile: z.boolean().default(true),
    /** Legacy DynamoDB locking (deprecated by Terraform in favour of use_lockfile). */
    dynamodb_table: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{3,255}$/, "must be a DynamoDB table name (3-255 letters, digits, _ . -)")
      .optional(),
    /** Server-side encryption of the state object (it holds the external ID). Default true. */
    encrypt: z.boolean().default(true),
    /** A KMS key for that encryption (ARN, alias ARN or key id). */
    kms_key_id: z.string().min(1).optional(),
  })
  .strict();

const hcpName = z.string().regex(/^[A-Za-z0-9_-]+$/, "may only hold letters, digits, - and _");

const cloudBackendSchema = z
  .object({
    type: z.literal("cloud"),
    /** The HCP Terraform (or Terraform Enterprise) organization. */
    organization: hcpName,
    /** Workspace of each stack; `{integration}` makes it per integration. */
    workspace: template().refine(
      (w) => /^[A-Za-z0-9_-]+$/.test(w.replace(/\{integration\}/g, "x")),
      "may only hold letters, digits, - and _ besides {integration} (fix: e.g. orgtrust-{integration})",
    ),
    /** Project the workspaces are created in (optional). */
    project: z.string().min(1).optional(),
    /** Terraform Enterprise host (default: HCP Terraform, app.terraform.io). */
    hostname: z
      .string()
      .regex(/^[a-z0-9.-]+(:\d+)?$/i, "must be a host name such as app.terraform.io (no scheme, no path)")
      .optional(),
  })
  .strict();

export const backendSchema = z.discriminatedUnion("type", [localBackendSchema, s3BackendSchema, cloudBackendSchema], {
  message: "must have type: local, s3 or cloud",
});

export type BackendConfig = z.infer<typeof backendSchema>;

/** One stack's backend, placeholders filled in. */
export type StackBackend =
  | { type: "local"; path: string }
  | {
      type: "s3";
      bucket: string;
      key: string;
      region: string;
      use_lockfile: boolean;
      dynamodb_table?: string;
      encrypt: boolean;
      kms_key_id?: string;
    }
  | { type: "cloud"; organization: string; workspace: string; project?: string; hostname?: string };

const fill = (s: string, integration: string) => s.split(INTEGRATION_PLACEHOLDER).join(integration);

/** The backend of one integration's stack (the default: a local state file beside the generated files). */
export function stackBackend(backend: BackendConfig | undefined, integration: string): StackBackend {
  const b = backend ?? { type: "local" as const, path: DEFAULT_LOCAL_STATE_PATH };
  if (b.type === "local") return { type: "local", path: fill(b.path, integration) };
  if (b.type === "s3") return { ...b, key: fill(b.key, integration) };
  return { ...b, workspace: fill(b.workspace, integration) };
}

/** What must differ between two stacks: the state they point at. */
function stateIdentity(b: StackBackend, integration: string): string {
  if (b.type === "local") return `local:${path.posix.normalize(`stacks/${integration}/${b.path.replace(/\\/g, "/")}`)}`;
  if (b.type === "s3") return `s3:${b.bucket}/${b.key}`;
  return `cloud:${b.hostname ?? "app.terraform.io"}/${b.organization}/${b.workspace}`;
}

/** The field a backend's state location comes from. */
const LOCATION_FIELD = { local: "path", s3: "key", cloud: "workspace" } as const;

/**
 * Cross-field checks on `backend` (zod superRefine on the whole config): every integration gets its own state, and a
 * local state file is never one of the files synth writes. Returns [field path, message] or undefined.
 */
export function backendProblem(
  backend: BackendConfig | undefined,
  integrations: string[],
): [string[], string] | undefined {
  if (!backend) return undefined;
  const field = LOCATION_FIELD[backend.type];
  const seen = new Map<string, string>();
  for (const name of integrations) {
    const b = stackBackend(backend, name);
    if (b.type === "local") {
      const rel = path.posix.normalize(b.path.replace(/\\/g, "/"));
      const fromOut = path.posix.normalize(`stacks/${name}/${rel}`);
      if (
        GENERATED_NAMES.includes(rel) ||
        rel === "." ||
        rel.startsWith(".terraform/") ||
        fromOut === "manifest.json" ||
        fromOut === "stacks" ||
        (fromOut.startsWith("stacks/") && fromOut.split("/").length === 2)
      ) {
        return [
          ["backend", "path"],
          `"${backend.type === "local" ? backend.path : ""}" is a file synth writes, a stack folder or Terraform's own folder (fix: e.g. terraform.{integration}.tfstate)`,
        ];
      }
    }
    const id = stateIdentity(b, name);
    const other = seen.get(id);
    if (other) {
      const value = (backend as Record<string, unknown>)[field];
      return [
        ["backend", field],
        `"${String(value)}" gives integrations ${other} and ${name} the same state (fix: put {integration} in it, e.g. ${backend.type === "s3" ? "orgtrust/{integration}.tfstate" : backend.type === "cloud" ? "orgtrust-{integration}" : "terraform.{integration}.tfstate"})`,
      ];
    }
    seen.set(id, name);
  }
  return undefined;
}

/** Names of the files synth writes into a stack directory (either format). A local state file may not be one of them. */
export const GENERATED_NAMES = ["cdk.tf.json", "main.tf", "member-role.yaml", "orgtrust-coverage.json"];
