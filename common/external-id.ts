/**
 * The external ID, one model end to end: config/resolve.ts resolves each integration's into an ExternalId once at
 * load; synth hands its stack form (stackExternalIdSource, the ExternalIdSecret construct's documented props) to
 * the constructs; generate and drift read the ExternalId itself. Also the facts the config checks at load and the
 * constructs apply (constructs/external-id-secret.ts re-exports them): an `env` external ID becomes a Terraform input
 * variable of the same name in the integration's stack.
 */

/** What every resolved external ID has: how generated files reference it, and where a generated one is kept. */
interface ExternalIdNames {
  /** The environment or Terraform variable name generated files reference the value by. */
  variable: string;
  /** Secrets Manager secret name in the home region. */
  secretName: string;
}

/** An integration's external ID, resolved at load (defaults and consumer preset applied). Its value is a secret. */
export type ExternalId =
  | (ExternalIdNames & {
      /** orgtrust generates it (random_password) at apply time and keeps it in Secrets Manager. */
      source: "generate";
      /** Fixed text before the random part (Turbot Pipes: "<organization or tenant id>:"). */
      prefix?: string;
      /** Random characters after the prefix. */
      length: number;
      /** Letters and digits only (a vendor-prescribed form: Turbot Pipes); otherwise also the specials "-_.". */
      alphanumeric: boolean;
    })
  | (ExternalIdNames & {
      /** Given in the config (vendor-issued): never log it. */
      source: "value";
      value: string;
      length: number;
    })
  | (ExternalIdNames & {
      /** Read from an environment variable where needed (a sensitive Terraform input variable in the stacks). */
      source: "env";
      env: string;
    });

/** Where the external ID comes from. */
export type ExternalIdSource =
  | {
      /** orgtrust generates it with random_password at apply time. */
      kind: "generate";
      /**
       * Fixed text before the random part (Turbot Pipes: the Pipes organization or tenant id, e.g. "o_abc123").
       * @default none
       */
      prefix?: string;
      /** Number of random characters (at least 8; 32 or more unless a vendor prescribes the form). */
      length: number;
      /** Letters and digits only (Turbot Pipes: "8-character alphanumeric"); otherwise also EXTERNAL_ID_SPECIALS. */
      alphanumeric: boolean;
    }
  | {
      /** A value given in the config (vendor-issued): it is written into the synthesized files. */
      kind: "literal";
      /** The external ID. Never logged. */
      value: string;
    }
  | {
      /**
       * A sensitive Terraform input variable supplies the value at plan/apply time (config `source: env`): the
       * synthesized files hold only references to it (`var.<name>`), never the value.
       */
      kind: "variable";
      /** The variable's name (orgtrust uses the configured environment variable's: `TF_VAR_<name>` sets it). */
      name: string;
      /**
       * The variable's description: where the value comes from.
       * @default "The external ID (sensitive): set it with TF_VAR_<name>"
       */
      description?: string;
    };

/**
 * The stack form of an integration's external ID. Synth never reads the environment: an `env` source becomes a
 * sensitive Terraform input variable named like the environment variable (TF_VAR_<NAME> sets it at plan/apply time),
 * so the value stays out of the synthesized files. The name was checked at load (config/rules.ts).
 */
export function stackExternalIdSource(
  x: ExternalId,
  integration: { name: string; consumer: string },
): ExternalIdSource {
  if (x.source === "generate")
    return { kind: "generate", prefix: x.prefix, length: x.length, alphanumeric: x.alphanumeric };
  if (x.source === "value") return { kind: "literal", value: x.value };
  return {
    kind: "variable",
    name: x.env,
    description: `External ID of integration "${integration.name}" (${integration.consumer}; orgtrust.yaml externalId source env): export TF_VAR_${x.env}="$${x.env}" before terraform plan/apply or cdktf deploy`,
  };
}

/** Names Terraform reserves for its own use, which an input variable may not take. */
export const RESERVED_VARIABLE_NAMES: readonly string[] = [
  "source",
  "version",
  "providers",
  "count",
  "for_each",
  "lifecycle",
  "depends_on",
  "locals",
];

/** The integration stack's own input variable for the management-account role (IntegrationStack). */
export const MANAGEMENT_ROLE_VARIABLE = "management_account_role_arn";

/** The other way, for the constructs' library users who give only the stack form (IntegrationStack props.externalId). */
export function externalIdOfStackSource(src: ExternalIdSource, secretName: string): ExternalId {
  if (src.kind === "generate")
    return {
      source: "generate",
      prefix: src.prefix,
      length: src.length,
      alphanumeric: src.alphanumeric,
      variable: "",
      secretName,
    };
  if (src.kind === "literal")
    return { source: "value", value: src.value, length: src.value.length, variable: "", secretName };
  return { source: "env", env: src.name, variable: src.name, secretName };
}
