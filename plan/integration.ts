import type { ScopeFlags } from "../org/scope-rules";
import { InputError } from "../common/errors";
import type { ResolvedIntegration } from "../config/resolve";
import { stackExternalIdSource, type ExternalIdSource } from "../common/external-id";
import type { Snapshot } from "../org/snapshot";
import { checkExclusionsNeedSnapshot, planMemberRole, type MemberRolePlan, type PlanOptions } from "./member-role";

/**
 * The planner: (resolved integrations, snapshot) -> everything synth builds and drift, sync and the coverage file
 * read, before any construct exists. Per integration: where the external ID comes from, plus the member-role plan
 * of plan/member-role.ts (what the StackSet targets, whether the management account gets the role directly, and the
 * coverage: who gets the role through the StackSet, directly, or not at all, and why). Pure: warnings are returned,
 * not logged. Vocabulary: docs/architecture.md#vocabulary.
 */

/** The planner's output for one integration: what synth deploys (the stack's props are built from it alone). */
export interface IntegrationPlan extends MemberRolePlan {
  /** Where the external ID comes from: generated, a literal, or a Terraform input variable. */
  externalId: ExternalIdSource;
}

/** Where the external ID comes from, in the stack's form (common/external-id.ts stackExternalIdSource). */
export function externalIdSourceFor(integration: ResolvedIntegration): ExternalIdSource {
  return stackExternalIdSource(integration.externalId, integration);
}

/** Checks the snapshot describes the configured organization (targets from another org would be nonsense). */
export function checkSnapshotMatches(
  snapshot: Snapshot,
  integration: ResolvedIntegration,
  source = "--snapshot",
): void {
  const o = snapshot.organization;
  if (o.managementAccountId !== integration.managementAccountId) {
    throw new InputError(
      `${source}: the snapshot is of organization ${o.id} with management account ${o.managementAccountId}, but organization.managementAccountId is ${integration.managementAccountId} (fix: re-run \`orgtrust discover --out <file>\` against the configured organization, or correct the config)`,
    );
  }
  if (o.partition !== integration.partition) {
    throw new InputError(
      `${source}: the snapshot is in partition ${o.partition}, but organization.partition is ${integration.partition} (fix: correct organization.partition or re-run discover)`,
    );
  }
}

/** The checks that need no scope: external-ID source, exclusions need a snapshot, snapshot of this organization. */
export function checkInputs(
  integration: ResolvedIntegration,
  opts: { snapshot?: Snapshot; exclusions?: ScopeFlags },
): ExternalIdSource {
  const externalId = externalIdSourceFor(integration);
  if (opts.snapshot) checkSnapshotMatches(opts.snapshot, integration);
  else checkExclusionsNeedSnapshot(integration, opts.exclusions);
  return externalId;
}

/**
 * Plans one integration. Throws InputError for exclusions without a snapshot, a snapshot of another organization,
 * and (exclusions.strict) an exclusion that matches nothing.
 */
export function planIntegration(
  integration: ResolvedIntegration,
  snapshot: Snapshot | undefined,
  opts: PlanOptions,
): IntegrationPlan {
  const externalId = checkInputs(integration, { snapshot, exclusions: opts.exclusions });
  return { ...planMemberRole(integration, snapshot, opts), externalId };
}

/**
 * Plans every integration of a run. Every input error surfaces here, before anything is built, written or warned
 * about: the input checks of all integrations run first.
 */
export function planIntegrations(
  integrations: ResolvedIntegration[],
  snapshot: Snapshot | undefined,
  opts: PlanOptions & {
    /** Called with each warning as each integration is planned, in order (synth prints them as they arise). */
    onWarning?: (message: string) => void;
  },
): IntegrationPlan[] {
  if (integrations.length === 0)
    throw new InputError(
      "integrations: the config has no integration to synthesize (fix: add one, see `orgtrust init --help`)",
    );
  for (const integration of integrations) checkInputs(integration, { snapshot, exclusions: opts.exclusions });
  return integrations.map((integration) => {
    const plan = planIntegration(integration, snapshot, opts);
    for (const w of plan.warnings) opts.onWarning?.(w);
    return plan;
  });
}
