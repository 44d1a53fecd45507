import { memberInlinePolicy, memberRoleParameters, memberRoleTemplateBody, memberTrustPolicy } from "../constructs/member-role-policy";
import type { ResolvedIntegration } from "../config/resolve";
import type { Snapshot } from "../org/snapshot";
import type { OuCover } from "../org/targets";
import type { ExpectedExternalId } from "./external-id";
import type { ExpectedRole } from "./roles";
import type { ExpectedStackSet } from "./stackset";
import { parseTemplate } from "./template";

/**
 * What synthesis produces now, as drift compares it: the StackSet's template, parameters and targets, and the
 * member role (trust, managed and inline policies). Built from constructs/member-role-policy.ts, the same module
 * the constructs use, so the two cannot disagree.
 */

/** Stands in for an unknown external ID (valid external-ID characters, never a real value). */
export const EXTERNAL_ID_PLACEHOLDER = "orgtrust-drift-unknown-external-id";

export function expectedStackSet(integration: ResolvedIntegration, externalId: ExpectedExternalId, cover: OuCover, planned: Snapshot): ExpectedStackSet {
  const templateBody = memberRoleTemplateBody();
  const withPlaceholder = memberRoleParameters(integration, EXTERNAL_ID_PLACEHOLDER);
  const parameters = memberRoleParameters(integration, externalId.value ?? EXTERNAL_ID_PLACEHOLDER);
  const secretParameters = new Set(Object.keys(withPlaceholder).filter((k) => withPlaceholder[k].includes(EXTERNAL_ID_PLACEHOLDER)));
  const presenceOnly = new Set(externalId.value === undefined ? secretParameters : []);
  const declared = ((parseTemplate(templateBody) as { Parameters?: Record<string, { NoEcho?: string }> }).Parameters ?? {}) as Record<string, { NoEcho?: string }>;
  for (const [k, p] of Object.entries(declared)) {
    if (String(p?.NoEcho).toLowerCase() === "true") {
      secretParameters.add(k);
      presenceOnly.add(k);
    }
  }
  const targetSet = new Set(cover.targets);
  const populatedTargets = new Set<string>();
  for (const a of planned.accounts) {
    if (a.isManagementAccount) continue;
    for (const p of a.path) if (targetSet.has(p.id)) populatedTargets.add(p.id);
  }
  return { templateBody, parameters, secretParameters, presenceOnly, targets: cover.targets, populatedTargets };
}

export function expectedRole(integration: ResolvedIntegration, externalId: ExpectedExternalId): ExpectedRole {
  return {
    integration: integration.name,
    roleName: integration.memberRole.name,
    partition: integration.partition,
    trust: memberTrustPolicy(integration, externalId.value ?? EXTERNAL_ID_PLACEHOLDER),
    policyArns: integration.memberRole.policyArns,
    inline: memberInlinePolicy(integration),
    externalId: externalId.value,
  };
}
