import type { IntegrationPlan } from "./integration";

/**
 * orgtrust-coverage.json, written by synth beside each stack: the plan's coverage with the integration's names, so
 * a reviewer (and sync's summary) sees who gets the member role through the StackSet, directly, or not at all.
 */
export const COVERAGE_FILE = "orgtrust-coverage.json";
export const COVERAGE_SCHEMA_VERSION = 1;

/** The document of orgtrust-coverage.json for one plan (written with sorted keys). */
export function coverageDocument(plan: IntegrationPlan): unknown {
  const i = plan.integration;
  return {
    schemaVersion: COVERAGE_SCHEMA_VERSION,
    integration: i.name,
    consumer: i.consumer,
    stackSetName: i.stackSet.name,
    memberRole: { name: i.memberRole.name, path: i.memberRole.path },
    managementRole: plan.managementRole,
    ...plan.coverage,
  };
}
