import type { ResolvedIntegration } from "../config/resolve";

/**
 * The external ID the trust comparisons expect, when this run can know it:
 * - source value: the configured value;
 * - source env: process.env[env];
 * - source generate: the value lives in Secrets Manager (orgtrust/<integration>/external-id), which this CLI
 *   does not read (no Secrets Manager client is bundled); export the integration's variable
 *   (externalId.variable, default ORGTRUST_<NAME>_EXTERNAL_ID) to provide it.
 * When unknown, only the presence of a StringEquals sts:ExternalId condition is compared and an info finding
 * says so. The value is a secret to this tool: it is compared, never printed.
 */
export interface ExpectedExternalId {
  value?: string;
  /** Why the value is unknown (no value in it); undefined when known. */
  unknownBecause?: string;
}

export function expectedExternalId(
  integration: ResolvedIntegration,
  env: NodeJS.ProcessEnv = process.env,
): ExpectedExternalId {
  const x = integration.externalId;
  if (x.source === "value" && x.value) return { value: x.value };
  if (x.source === "env") {
    const v = x.env ? env[x.env] : undefined;
    return v ? { value: v } : { unknownBecause: `environment variable ${x.env} is not set` };
  }
  const v = env[x.variable];
  return v
    ? { value: v }
    : {
        unknownBecause: `the generated value is kept in Secrets Manager (${x.secretName}); export ${x.variable} to compare it`,
      };
}
