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

export function expectedStackSet(
  integration: ResolvedIntegration,
  externalId: ExpectedExternalId,
  cover: OuCover,
  planned: Snapshot,
): ExpectedStackSet {
  const templateBody = memberRoleTemplateBody();
  const withPlaceholder = memberRoleParameters(integration, EXTERNAL_ID_PLACEHOLDER);
  const parameters = memberRoleParameters(integration, externalId.value ?? EXTERNAL_ID_PLACEHOLDER);
  const secretParameters = new Set(
    Object.keys(withPlaceholder).filter((k) => withPlaceholder[k].includes(EXTERNAL_ID_PLACEHOLDER)),
  );
  const presenceOnly = new Set(externalId.value === undefined ? secretParameters : []);
  const declared = ((parseTemplate(templateBody) as { Parameters?: Record<string, { NoEcho?: string }> }).Parameters ??
    {}) as Record<string, { NoEcho?: string }>;
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

/** What differs between orgtrust's roles; the integration and the expected external ID fill in the rest. */
type RoleShape = Pick<
  ExpectedRole,
  "roleName" | "path" | "policyArns" | "inline" | "permissionsBoundary" | "maxSessionDuration"
>;

function role(
  integration: ResolvedIntegration,
  externalId: ExpectedExternalId,
  trustPolicy: typeof memberTrustPolicy,
  shape: RoleShape,
): ExpectedRole {
  return {
    integration: integration.name,
    partition: integration.partition,
    trust: trustPolicy(integration, externalId.value ?? EXTERNAL_ID_PLACEHOLDER),
    externalId: externalId.value,
    ...shape,
  };
}

/** The member role in a member account, as the StackSet template (or a direct role) creates it. */
export function expectedRole(integration: ResolvedIntegration, externalId: ExpectedExternalId): ExpectedRole {
  const m = integration.memberRole;
  return role(integration, externalId, memberTrustPolicy, {
    roleName: m.name,
    path: m.path,
    policyArns: m.policyArns,
    inline: memberInlinePolicy(integration),
    permissionsBoundary: m.permissionsBoundary,
    maxSessionDuration: m.maxSessionDuration,
  });
}

/** The discovery role as the constructs create it: the discovery policy inline, no managed policy attached. */
export function expectedDiscoveryRole(integration: ResolvedIntegration, externalId: ExpectedExternalId): ExpectedRole {
  const d = integration.discoveryRole;
  return role(integration, externalId, discoveryTrustPolicy, {
    roleName: d.name,
    path: d.path,
    policyArns: [],
    inline: discoveryRolePolicy(integration),
    permissionsBoundary: d.permissionsBoundary,
    maxSessionDuration: d.maxSessionDuration,
  });
}

/**
 * The member role in the management account. When it shares the discovery role's name (Port Ocean) it is the
 * discovery role carrying the member policies too: the member managed policies, and the discovery policy beside the
 * member inline policy.
 */
export function expectedManagementRole(integration: ResolvedIntegration, externalId: ExpectedExternalId): ExpectedRole {
  if (!memberRoleIsDiscoveryRole(integration)) return expectedRole(integration, externalId);
  const statements: PolicyStatement[] = [
    ...discoveryRolePolicy(integration).Statement,
    ...(memberInlinePolicy(integration)?.Statement ?? []),
  ];
  return {
    ...expectedDiscoveryRole(integration, externalId),
    policyArns: integration.memberRole.policyArns,
    inline: { Version: "2012-10-17", Statement: statements },
  };
}
