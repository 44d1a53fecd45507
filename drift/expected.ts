import {
  discoveryRolePolicy,
  discoveryTrustPolicy,
  memberInlinePolicy,
  memberRoleIsDiscoveryRole,
  memberRoleParameters,
  memberRoleTemplateBody,
  memberTrustPolicy,
  type PolicyStatement,
} from "../constructs/member-role-policy";
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

/** The member role in a member account, as the StackSet template (or a direct role) creates it. */
export function expectedRole(integration: ResolvedIntegration, externalId: ExpectedExternalId): ExpectedRole {
  const m = integration.memberRole;
  return {
    integration: integration.name,
    roleName: m.name,
    path: m.path,
    partition: integration.partition,
    trust: memberTrustPolicy(integration, externalId.value ?? EXTERNAL_ID_PLACEHOLDER),
    policyArns: m.policyArns,
    inline: memberInlinePolicy(integration),
    permissionsBoundary: m.permissionsBoundary,
    maxSessionDuration: m.maxSessionDuration,
    externalId: externalId.value,
  };
}

/**
 * The member role in the management account. When it shares the discovery role's name (Port Ocean) it is the
 * discovery role carrying the member policies: the discovery policy and the member inline policy, the discovery
 * role's boundary and session length.
 */
export function expectedManagementRole(integration: ResolvedIntegration, externalId: ExpectedExternalId): ExpectedRole {
  const member = expectedRole(integration, externalId);
  if (!memberRoleIsDiscoveryRole(integration)) return member;
  const d = integration.discoveryRole;
  const statements: PolicyStatement[] = [...discoveryRolePolicy(integration).Statement, ...(memberInlinePolicy(integration)?.Statement ?? [])];
  return {
    ...member,
    inline: { Version: "2012-10-17", Statement: statements },
    permissionsBoundary: d.permissionsBoundary,
    maxSessionDuration: d.maxSessionDuration,
  };
}

/** The discovery role as the constructs create it: the discovery policy inline, no managed policy attached. */
export function expectedDiscoveryRole(integration: ResolvedIntegration, externalId: ExpectedExternalId): ExpectedRole {
  const d = integration.discoveryRole;
  return {
    integration: integration.name,
    roleName: d.name,
    path: d.path,
    partition: integration.partition,
    trust: discoveryTrustPolicy(integration, externalId.value ?? EXTERNAL_ID_PLACEHOLDER),
    policyArns: [],
    inline: discoveryRolePolicy(integration),
    permissionsBoundary: d.permissionsBoundary,
    maxSessionDuration: d.maxSessionDuration,
    externalId: externalId.value,
  };
}
