/**
 * External-ID facts the config checks at load and the constructs apply (constructs/external-id-secret.ts re-exports
 * them): an `env` external ID becomes a Terraform input variable of the same name in the integration's stack.
 */

/** Names Terraform reserves for its own use, which an input variable may not take. */
export const RESERVED_VARIABLE_NAMES: readonly string[] = ["source", "version", "providers", "count", "for_each", "lifecycle", "depends_on", "locals"];

/** The integration stack's own input variable for the management-account role (IntegrationStack). */
export const MANAGEMENT_ROLE_VARIABLE = "management_account_role_arn";
