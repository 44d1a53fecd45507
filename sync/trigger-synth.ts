import * as path from "node:path";
import { App } from "cdktf";
import { invokeAspects } from "cdktf/lib/synthesize/synthesizer";
import { InputError } from "../common/errors";
import type { LoadedConfig } from "../config/load";
import type { ResolvedIntegration } from "../config/resolve";
import { discoveryRolePolicy, type PolicyDocument, type PolicyStatement } from "../constructs/member-role-policy";
import { SyncTriggerStack } from "../constructs/sync-trigger";
import { stackBackend } from "../config/backend";
import { applyBackend } from "../synth/backend";
import { HCL_MARKER, JSON_MARKER_KEY, type StackFiles } from "../synth/commit";
import { toHcl } from "../synth/hcl";

/**
 * The trigger stack in synth's output (stacks/orgtrust-sync), when orgtrust.yaml has a `sync` section. synth calls
 * renderSyncTrigger once; everything else about the stack is here and in constructs/sync-trigger.ts.
 */
export const SYNC_STACK = "orgtrust-sync";

/** What the incremental refresh reads on top of a full crawl's calls (sync/incremental.ts). */
export const INCREMENTAL_READ_ACTIONS = [
  "organizations:DescribeAccount",
  "organizations:DescribeOrganizationalUnit",
  "organizations:ListParents",
] as const;

/**
 * The CI role's permissions: every integration's discovery policy (the Organizations reads, each member-role
 * StackSet's reads, the orgtrust roles' reads: what `orgtrust drift` without --deep needs), statements of the same Sid
 * merged, plus the incremental refresh's reads. Nothing that writes.
 */
export function ciPolicy(integrations: ResolvedIntegration[]): PolicyDocument {
  const bySid = new Map<string, { actions: Set<string>; resources: Set<string> }>();
  const add = (st: PolicyStatement) => {
    const sid = st.Sid ?? "Statement";
    const e = bySid.get(sid) ?? { actions: new Set<string>(), resources: new Set<string>() };
    for (const a of ([] as string[]).concat(st.Action ?? [])) e.actions.add(a);
    for (const r of ([] as string[]).concat((st.Resource as string | string[]) ?? [])) e.resources.add(r);
    bySid.set(sid, e);
  };
  for (const i of integrations) for (const st of discoveryRolePolicy(i).Statement) add(st);
  add({ Sid: "ReadOrganization", Effect: "Allow", Action: [...INCREMENTAL_READ_ACTIONS], Resource: "*" });
  const Statement = [...bySid.keys()].sort().map((Sid): PolicyStatement => {
    const e = bySid.get(Sid)!;
    const resources = e.resources.has("*") ? ["*"] : [...e.resources].sort();
    return {
      Sid,
      Effect: "Allow",
      Action: [...e.actions].sort(),
      Resource: resources.length === 1 ? resources[0] : resources,
    };
  });
  return { Version: "2012-10-17", Statement };
}

/**
 * Renders the trigger stack (in memory, with the configured backend and orgtrust's marker, so synth's commit treats
 * it as one of its own stacks: replaced and pruned like the others, state beside it never touched). Returns undefined
 * without a sync section.
 */
export function renderSyncTrigger(
  stage: string,
  loaded: LoadedConfig,
  hcl: boolean,
  stableJson: (v: unknown) => string,
): (StackFiles & { dir: string; paths: string[] }) | undefined {
  const sync = loaded.config.sync;
  if (!sync) return undefined;
  if (loaded.config.integrations[SYNC_STACK]) {
    throw new InputError(
      `integrations.${SYNC_STACK}: the name is taken by the sync trigger stack (fix: rename the integration)`,
    );
  }
  const org = loaded.config.organization;
  const app = new App({ outdir: path.join(stage, ".cdktf-sync-app"), stackTraces: false });
  const stack = new SyncTriggerStack(app, SYNC_STACK, {
    partition: org.partition,
    managementAccountId: org.managementAccountId,
    repository: sync.github.repository,
    branch: sync.github.branch,
    environment: sync.github.environment,
    ciRole: sync.ciRole,
    ciPolicy: ciPolicy(loaded.integrations),
    createOidcProvider: sync.github.createOidcProvider,
    controlTowerHomeRegion: sync.controlTower?.homeRegion,
  });
  applyBackend(stack, stackBackend(loaded.config.backend, SYNC_STACK));
  stack.prepareStack();
  invokeAspects(stack);
  stack.runAllValidations();
  const doc = stack.toTerraform() as Record<string, unknown>;
  const dir = `stacks/${SYNC_STACK}`;
  const header = [
    `orgtrust integration "${SYNC_STACK}" (sync trigger): EventBridge rules -> GitHub repository_dispatch (orgtrust-org-changed), and the CI role for OIDC.`,
    `${HCL_MARKER}; generated from the sync section of orgtrust.yaml (docs/sync.md). Set TF_VAR_github_dispatch_token when applying.`,
  ].join("\n");
  const file = hcl ? "main.tf" : "cdk.tf.json";
  if (!hcl) {
    const comment = (doc["//"] ?? {}) as Record<string, unknown>;
    doc["//"] = {
      ...comment,
      [JSON_MARKER_KEY]: {
        generatedBy: "orgtrust synth",
        integration: SYNC_STACK,
        note: "re-run `orgtrust synth` after changing the sync section of orgtrust.yaml instead of editing by hand",
      },
    };
  }
  const content = hcl ? toHcl(doc as never, { header }) : stableJson(doc);
  return { integration: SYNC_STACK, files: { [file]: content }, dir, paths: [`${dir}/${file}`] };
}
