import * as crypto from "node:crypto";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { Password } from "@cdktf/provider-random/lib/password";
import type { TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { PropsChecker, snakeId } from "./validate";

/** Characters a generated external ID may use besides letters and digits: safe in YAML, INI, env files and URLs. */
export const EXTERNAL_ID_SPECIALS = "-_.";

/** Where the external ID comes from. */
export type ExternalIdSource =
  | {
      /** orgtrust generates it with random_password at apply time. */
      kind: "generate";
      /** Fixed text before the random part (Turbot Pipes: the Pipes organization or tenant id, e.g. "o_abc123"). */
      prefix?: string;
      /** Number of random characters (at least 8; 32 or more unless a vendor prescribes the form). */
      length: number;
      /** Letters and digits only (Turbot Pipes: "8-character alphanumeric"); otherwise also EXTERNAL_ID_SPECIALS. */
      alphanumeric: boolean;
    }
  | {
      /** A value given in the config or read from an environment variable at synth time (vendor-issued). */
      kind: "literal";
      /** The external ID. Never logged. */
      value: string;
    };

export interface ExternalIdSecretProps {
  /** Secrets Manager secret name, e.g. "orgtrust/backstage/external-id". */
  readonly secretName: string;
  /** Generated or supplied value. */
  readonly source: ExternalIdSource;
  /** Secret description. */
  readonly description?: string;
  /** Tags on the secret (at most 50). */
  readonly tags?: Record<string, string>;
  /** Provider for the account and home region that hold the secret. Default the stack's. */
  readonly provider?: TerraformProvider;
}

/** `secret_string_wo_version` derived from what defines the value: a new value gives a new version number. */
export function literalVersion(value: string): number {
  return (parseInt(crypto.createHash("sha256").update(value).digest("hex").slice(0, 7), 16) % 2_000_000_000) + 1;
}

/**
 * The external ID and the Secrets Manager secret (home region) that keeps it for consumers and CI. The secret value
 * is written with the write-only argument `secret_string_wo` (Terraform 1.11+), so the secret version does not keep
 * it in state. A generated value still lives in state in random_password.result, and any value lives there inside the
 * role trust policies and the StackSet parameters: those attributes need it in clear (see README "The external ID in Terraform state").
 * Terraform names: `<id>_random` (random_password, generated only), `<id>` (secret), `<id>_version`.
 */
export class ExternalIdSecret extends Construct {
  /** The external ID as a Terraform expression (generated) or the literal: pass it to trust policies. */
  readonly value: string;
  readonly secret: SecretsmanagerSecret;
  readonly secretVersion: SecretsmanagerSecretVersion;
  readonly password?: Password;
  /** The secret's ARN (a Terraform reference). */
  readonly secretArn: string;

  constructor(scope: Construct, id: string, props: ExternalIdSecretProps) {
    super(scope, id);
    const check = new PropsChecker("ExternalIdSecret");
    check.required("secretName", props.secretName);
    if (!/^[\w/+=.@-]{1,512}$/.test(props.secretName)) check.fail("secretName", `"${props.secretName}" must be 1-512 of letters, digits and / _ + = . @ -`);
    const src = check.required("source", props.source);
    if (src.kind === "generate") {
      if (!Number.isInteger(src.length) || src.length < 8 || src.length > 1024) check.fail("source.length", `${src.length} must be a whole number from 8 to 1024`);
      if (src.prefix !== undefined && !/^[\w+=,.@:/-]*$/.test(src.prefix)) check.fail("source.prefix", "may only hold letters, digits and + = , . @ : / _ -");
      if ((src.prefix ?? "").length + src.length > 1224) check.fail("source.length", "prefix plus random part exceed 1,224 characters");
    } else if (src.kind === "literal") {
      check.externalId("source.value", src.value);
    } else {
      check.fail("source.kind", 'must be "generate" or "literal"');
    }
    check.tags("tags", props.tags);

    const base = snakeId(id);
    if (src.kind === "generate") {
      this.password = new Password(this, "random", {
        length: src.length,
        special: !src.alphanumeric,
        overrideSpecial: src.alphanumeric ? undefined : EXTERNAL_ID_SPECIALS,
      });
      this.password.overrideLogicalId(`${base}_random`);
      this.value = `${src.prefix ?? ""}${this.password.result}`;
    } else {
      this.value = src.value;
    }
    this.secret = new SecretsmanagerSecret(this, "secret", {
      provider: props.provider,
      name: props.secretName,
      description: props.description ?? "orgtrust: the external ID the integration passes to sts:AssumeRole",
      tags: props.tags && Object.keys(props.tags).length ? props.tags : undefined,
    });
    this.secret.overrideLogicalId(base);
    this.secretVersion = new SecretsmanagerSecretVersion(this, "version", {
      provider: props.provider,
      secretId: this.secret.id,
      secretStringWo: this.value,
      // Bumped whenever the value's definition changes (a new literal, another prefix), so Terraform re-writes it.
      secretStringWoVersion: literalVersion(src.kind === "generate" ? `generate:${src.prefix ?? ""}:${src.length}:${src.alphanumeric}` : src.value),
      // A replaced random_password (terraform apply -replace=...) must reach the secret too.
      // A plain reference string ("random_password.x"): Terraform reads JSON replace_triggered_by entries as references.
      lifecycle: this.password ? { replaceTriggeredBy: [`${this.password.terraformResourceType}.${this.password.friendlyUniqueId}`] } : undefined,
    });
    this.secretVersion.overrideLogicalId(`${base}_version`);
    this.secretArn = this.secret.arn;
  }
}
