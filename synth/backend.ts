import {
  CloudBackend,
  LocalBackend,
  NamedCloudWorkspace,
  S3Backend,
  TerraformBackend,
  type S3BackendConfig,
  type TerraformStack,
} from "cdktf";
import type { StackBackend } from "../config/backend";

/**
 * Puts the configured Terraform backend on a synthesized stack with cdktf's own backend constructs. Synth always sets
 * one: without it cdktf would add a LocalBackend with an absolute path under the current directory
 * (TerraformStack.ensureBackendExists), which would differ per machine.
 *
 * A stack has at most one backend, and cdktf gives every backend the construct id "backend": the one a stack
 * construct may have created itself is removed first. Call this before the stack is prepared or synthesized.
 */
export function applyBackend(stack: TerraformStack, backend: StackBackend): TerraformBackend {
  for (const child of [...stack.node.children]) {
    if (TerraformBackend.isBackend(child)) stack.node.tryRemoveChild(child.node.id);
  }
  if (backend.type === "local") return new LocalBackend(stack, { path: backend.path });
  if (backend.type === "s3") {
    // cdktf 0.21's S3BackendConfig predates use_lockfile (Terraform 1.10); S3Backend writes every prop it is given in
    // snake_case, so the extra prop reaches the JSON as use_lockfile.
    const props: S3BackendConfig & { useLockfile: boolean } = {
      bucket: backend.bucket,
      key: backend.key,
      region: backend.region,
      encrypt: backend.encrypt,
      useLockfile: backend.use_lockfile,
      ...(backend.dynamodb_table ? { dynamodbTable: backend.dynamodb_table } : {}),
      ...(backend.kms_key_id ? { kmsKeyId: backend.kms_key_id } : {}),
    };
    return new S3Backend(stack, props);
  }
  return new CloudBackend(stack, {
    organization: backend.organization,
    workspaces: new NamedCloudWorkspace(backend.workspace, backend.project),
    ...(backend.hostname ? { hostname: backend.hostname } : {}),
  });
}
