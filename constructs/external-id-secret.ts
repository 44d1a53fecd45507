import * as crypto from "node:crypto";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { Password } from "@cdktf/provider-random/lib/password";
import { Fn, Op, TerraformVariable, Token, type TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { RESERVED_VARIABLE_NAMES, type ExternalIdSource } from "../common/external-id";
import { PropsChecker, snakeId } from "./validate";

/** Characters a generated external ID may use besides letters and digits: safe in YAML, INI, env files and URLs. */
export const EXTERNAL_ID_SPECIALS = "-_.";

/** Where the external ID comes from (the construct's props; defined beside orgtrust's resolved external ID). */
export type { ExternalIdSource } from "../common/external-id";

/** Names Terraform reserves for its own use, which an input variable may not take (checked at config load too). */
export { RESERVED_VARIABLE_NAMES } from "../common/external-id";

/** A Terraform identifier (what an input variable may be named). */
export const TERRAFORM_IDENTIFIER_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * The Terraform condition an external-ID variable must meet: 2-1,224 characters of letters, digits and
 * + = , . @ : / _ - (common/ids.ts EXTERNAL_ID_RE). The length is checked apart: RE2 (Terraform's regex engine)
 * refuses repeat counts above 1,000, so `{2,1224}` would never match.
 */
export function externalIdCondition(ref: string): string {
  return `length(${ref}) >= 2 && length(${ref}) <= 1224 && can(regex("^[\\\\w+=,.@:/-]+$", ${ref}))`;
}

export interface ExternalIdSecretProps {
  /** Secrets Manager secret name, e.g. "orgtrust/backstage/external-id". Required. */
  readonly secretName: string;
  /** Generated or supplied value. Required. */
  readonly source: ExternalIdSource;
  /**
   * Secret description.
   * @default "orgtrust: the external ID the integration passes to sts:AssumeRole"
   */
  readonly description?: string;
  /**
   * Tags on the secret (at most 50).
   * @default none
   */
  readonly tags?: Record<string, string>;
  /**
   * Provider for the account and home region that hold the secret.
   * @default the stack's default AWS provider
   */
  readonly provider?: TerraformProvider;
}

/** `secret_string_wo_version` derived from what defines the value: a new value gives a new version number. */
export function literalVersion(value: string): number {
  return (parseInt(crypto.createHash("sha256").update(value).digest("hex").slice(0, 7), 16) % 2_000_000_000) + 1;
}

/**
 * literalVersion() as a Terraform expression over a token (a variable's stringValue): the first 7 hex digits of the value's
 * SHA-256, plus one. Evaluated at plan time, so a new value in the variable gives a new version and Terraform
 * re-writes the write-only secret; the same value gives the number literalVersion() gives for it. Only the number
 * reaches state (28 bits of a hash; the value itself is in state anyway, in the trust policies).
 */
export function variableVersion(value: string): number {
  return Token.asNumber(Op.add(Fn.parseint(Fn.substr(Fn.sha256(value), 0, 7), 16), 1));
}

/**
 * The external ID and the Secrets Manager secret (home region) that keeps it for consumers and CI. The secret value
 * is written with the write-only argument `secret_string_wo` (Terraform 1.11+), so the secret version does not keep
 * it in state. A generated value still lives in state in random_password.result, and any value lives there inside the
 * role trust policies and the StackSet parameters: those attributes need it in clear (see docs/synth-and-deploy.md "The external ID in Terraform state").
 * A `variable` source declares a sensitive, validated input variable and passes only references to it on.
 * Terraform names: `<id>_random` (random_password, generated only), `<name>` (variable, variable source only),
 * `<id>` (secret), `<id>_version`.
 */
export class ExternalIdSecret extends Construct {
  /** The external ID as a Terraform expression (generated, variable) or the literal: pass it to trust policies. */
  readonly value: string;
  /** The input variable that supplies the value (variable source only). */
  readonly variable?: TerraformVariable;
  readonly secret: SecretsmanagerSecret;
  readonly secretVersion: SecretsmanagerSecretVersion;
  readonly password?: Password;
  /** The secret's ARN (a Terraform reference). */
  readonly secretArn: string;

  constructor(scope: Construct, id: string, props: ExternalIdSecretProps) {
    super(scope, id);
    const check = new PropsChecker("ExternalIdSecret");
    check.required("secretName", props.secretName);
    if (!/^[\w/+=.@-]{1,512}$/.test(props.secretName))
      check.fail("secretName", `"${props.secretName}" must be 1-512 of letters, digits and / _ + = . @ -`);
    const src = check.required("source", props.source);
    if (src.kind === "generate") {
      if (!Number.isInteger(src.length) || src.length < 8 || src.length > 1024)
        check.fail("source.length", `${src.length} must be a whole number from 8 to 1024`);
      if (src.prefix !== undefined && !/^[\w+=,.@:/-]*$/.test(src.prefix))
        check.fail("source.prefix", "may only hold letters, digits and + = , . @ : / _ -");
      if ((src.prefix ?? "").length + src.length > 1224)
        check.fail("source.length", "prefix plus random part exceed 1,224 characters");
    } else if (src.kind === "literal") {
      check.externalId("source.value", src.value);
    } else if (src.kind === "variable") {
      check.required("source.name", src.name);
      if (!TERRAFORM_IDENTIFIER_RE.test(src.name))
        check.fail(
          "source.name",
          `"${src.name}" must be a Terraform identifier: a letter or _, then letters, digits, _ and -`,
        );
      if (RESERVED_VARIABLE_NAMES.includes(src.name))
        check.fail("source.name", `"${src.name}" is reserved by Terraform and cannot name an input variable`);
    } else {
      check.fail("source.kind", 'must be "generate", "literal" or "variable"');
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
    } else if (src.kind === "variable") {
      const ref = `var.${src.name}`;
      this.variable = new TerraformVariable(this, "variable", {
        type: "string",
        sensitive: true,
        nullable: false,
        description: src.description ?? `The external ID (sensitive): set it with TF_VAR_${src.name}`,
        validation: [
          {
            condition: `\${${externalIdCondition(ref)}}`,
            errorMessage: `The external ID in ${src.name} must be 2-1,224 characters of letters, digits and + = , . @ : / _ - with no spaces.`,
          },
        ],
      });
      this.variable.overrideLogicalId(src.name);
      this.value = this.variable.stringValue;
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
      // Bumped whenever the value's definition changes (a new literal, another prefix, a new variable value), so
      // Terraform re-writes it. A variable's version is computed by Terraform: literalVersion() of its value.
      secretStringWoVersion:
        src.kind === "variable"
          ? variableVersion(this.value)
          : literalVersion(
              src.kind === "generate" ? `generate:${src.prefix ?? ""}:${src.length}:${src.alphanumeric}` : src.value,
            ),
      // A replaced random_password (terraform apply -replace=...) must reach the secret too.
      // A plain reference string ("random_password.x"): Terraform reads JSON replace_triggered_by entries as references.
      lifecycle: this.password
        ? { replaceTriggeredBy: [`${this.password.terraformResourceType}.${this.password.friendlyUniqueId}`] }
        : undefined,
    });
    this.secretVersion.overrideLogicalId(`${base}_version`);
    this.secretArn = this.secret.arn;
  }
}
