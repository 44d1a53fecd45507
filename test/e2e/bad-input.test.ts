import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO, runCli } from "../support/cli";

/**
 * Bad input across every command: each case must exit 2 with a single-line error naming the field and the fix,
 * print no stack trace, and create or change no file (the case runs in a scratch folder whose every byte is
 * compared before and after).
 */
const EXAMPLE = path.join(REPO, "examples");
const GOOD_CONFIG = fs.readFileSync(path.join(EXAMPLE, "orgtrust.yaml"), "utf8");
const SNAPSHOT = fs.readFileSync(path.join(EXAMPLE, "org.json"), "utf8");

interface Case {
  name: string;
  args: string[];
  /** Files to put in the scratch folder first (name -> content). */
  files?: Record<string, string>;
  env?: Record<string, string | undefined>;
  /** What the one-line error must say (the field). */
  expect: RegExp;
}

const withConfig = (patch: (c: string) => string): Record<string, string> => ({
  "orgtrust.yaml": patch(GOOD_CONFIG),
  "org.json": SNAPSHOT,
});
const good = withConfig((c) => c);
/** The external IDs the AWS CLI, Steampipe and c7n-org files carry (their formats cannot reference a variable). */
const LITERAL_ENV = {
  ORGTRUST_AWSCLI_EXTERNAL_ID: "awscli-0123456789",
  ORGTRUST_CUSTODIAN_EXTERNAL_ID: "c7n-0123456789",
  ORGTRUST_STEAMPIPE_EXTERNAL_ID: "sp-0123456789",
};
const snap = (patch: (s: Record<string, unknown>) => unknown) => JSON.stringify(patch(JSON.parse(SNAPSHOT)));

export const CASES: Case[] = [
  // init
  {
    name: "init: unknown consumer",
    args: ["init", "--consumer", "datadog"],
    expect: /--consumer datadog: unknown consumer/,
  },
  { name: "init: missing --consumer", args: ["init"], expect: /--consumer/ },
  {
    name: "init: existing file without --force",
    args: ["init", "--consumer", "backstage"],
    files: { "orgtrust.yaml": "mine" },
    expect: /file exists \(fix: pass --force/,
  },
  // global usage
  { name: "unknown command", args: ["deploy"], expect: /unknown command 'deploy'/ },
  {
    name: "unknown option",
    args: ["discover", "--snapshot", "org.json", "--colour"],
    files: good,
    expect: /unknown option '--colour'/,
  },
  // discover flags
  {
    name: "discover: malformed --exclude-ou",
    args: ["discover", "--exclude-ou", "ou-123"],
    files: good,
    expect: /--exclude-ou ou-123: must be an OU ID/,
  },
  {
    name: "discover: --exclude-ou given a root id",
    args: ["discover", "--exclude-ou", "r-ab12"],
    files: good,
    expect: /--exclude-ou r-ab12: must be an OU ID/,
  },
  {
    name: "discover: 11-digit --exclude-account",
    args: ["discover", "--exclude-account", "12345678901"],
    files: good,
    expect: /--exclude-account 12345678901: must be a 12-digit/,
  },
  {
    name: "discover: account id with letters",
    args: ["discover", "--exclude-account", "12345678901a"],
    files: good,
    expect: /--exclude-account 12345678901a/,
  },
  {
    name: "discover: --role-arn of a user",
    args: ["discover", "--role-arn", "arn:aws:iam::123456789012:user/bob"],
    files: good,
    expect: /--role-arn .*must be an IAM role ARN/,
  },
  {
    name: "discover: --role-arn not an ARN",
    args: ["discover", "--role-arn", "discovery-role"],
    files: good,
    expect: /--role-arn discovery-role: must be an IAM role ARN/,
  },
  {
    name: "discover: --role-arn of the wrong partition",
    args: ["discover", "--role-arn", "arn:aws-cn:iam::111122223333:role/x"],
    files: good,
    expect: /--role-arn .*partition does not match the organization's "aws"/,
  },
  {
    name: "discover: external id with a space",
    args: ["discover", "--role-arn", "arn:aws:iam::111122223333:role/x", "--external-id", "has space"],
    files: good,
    expect: /--external-id: must be 2-1,224 characters/,
  },
  {
    name: "discover: external id too short",
    args: ["discover", "--role-arn", "arn:aws:iam::111122223333:role/x", "--external-id", "x"],
    files: good,
    expect: /--external-id: must be 2-1,224 characters/,
  },
  {
    name: "discover: external id too long",
    args: ["discover", "--role-arn", "arn:aws:iam::111122223333:role/x", "--external-id", "a".repeat(1225)],
    files: good,
    expect: /--external-id: must be 2-1,224 characters/,
  },
  {
    name: "discover: --external-id without --role-arn",
    args: ["discover", "--external-id", "abcdef"],
    files: good,
    expect: /--external-id: given without --role-arn/,
  },
  {
    name: "discover: --snapshot with --role-arn",
    args: ["discover", "--snapshot", "org.json", "--role-arn", "arn:aws:iam::111122223333:role/x"],
    files: good,
    expect: /--snapshot: cannot be combined with --profile or --role-arn/,
  },
  {
    name: "discover: bad --region",
    args: ["discover", "--region", "useast1"],
    files: good,
    expect: /--region useast1: must be an AWS region/,
  },
  {
    name: "discover: --concurrency 0",
    args: ["discover", "--concurrency", "0"],
    files: good,
    expect: /--concurrency 0: must be a whole number from 1 to 64/,
  },
  {
    name: "discover: --concurrency not a number",
    args: ["discover", "--concurrency", "many"],
    files: good,
    expect: /--concurrency many/,
  },
  {
    name: "discover: --out under a file",
    args: ["discover", "--snapshot", "org.json", "--out", "org.json/x.json"],
    files: good,
    expect: /output path org\.json\/x\.json: directory .* is not writable|not a directory/,
  },
  {
    name: "discover: --strict with an unmatched exclusion",
    args: ["discover", "--snapshot", "org.json", "--strict", "--exclude-ou", "ou-zzzz-zzzzzzzz"],
    files: good,
    expect: /OU ou-zzzz-zzzzzzzz matches nothing/,
  },
  // config files
  {
    name: "config: missing file",
    args: ["discover", "--config", "nope.yaml"],
    expect: /--config nope\.yaml: file not found \(fix: run `orgtrust init/,
  },
  {
    name: "config: YAML syntax error",
    args: ["discover", "--snapshot", "org.json"],
    files: withConfig((c) => c.replace("homeRegion: us-east-1", "homeRegion: [us-east-1")),
    expect: /orgtrust\.yaml:\d+:\d+: YAML syntax error/,
  },
  {
    name: "config: duplicate key",
    args: ["discover", "--snapshot", "org.json"],
    files: withConfig((c) => c.replace("homeRegion: us-east-1", "homeRegion: us-east-1\n  homeRegion: eu-west-1")),
    expect: /YAML syntax error/,
  },
  {
    name: "config: unknown key",
    args: ["discover", "--snapshot", "org.json"],
    files: withConfig((c) =>
      c.replace("skipInactiveAccounts: true", "skipInactiveAccounts: true\n  skipSuspended: true"),
    ),
    expect: /exclusions: unknown key "skipSuspended"/,
  },
  {
    name: "config: homeRegion of the right shape that AWS does not have",
    args: ["discover", "--snapshot", "org.json"],
    files: withConfig((c) => c.replace("homeRegion: us-east-1", "homeRegion: us-east-9")),
    expect: /orgtrust\.yaml: organization\.homeRegion: is not a region AWS has/,
  },
  {
    name: "discover: --region of the right shape that AWS does not have",
    args: ["discover", "--region", "us-east-9"],
    files: good,
    expect: /--region us-east-9: is not a region AWS has/,
  },
  {
    name: "config: integration region AWS does not have",
    args: ["generate", "--out", "out"],
    files: withConfig((c) => c.replace("regions: [us-east-1, eu-west-1]", "regions: [us-east-1, eu-west-9]")),
    expect: /integrations\.cloudquery\.regions\.1: is not a region AWS has/,
  },
  {
    name: "config: a key typed in the wrong case",
    args: ["discover", "--snapshot", "org.json"],
    files: withConfig((c) => c.replace("homeRegion: us-east-1", "homeregion: us-east-1")),
    expect: /orgtrust\.yaml: organization: unknown key "homeregion" \(fix: rename it to "homeRegion"/,
  },
  {
    name: "config: a misspelt consumer option",
    args: ["generate", "--out", "out"],
    files: withConfig((c) => c.replace("ownerTag: owner", "ownerTg: owner")),
    expect: /integrations\.backstage\.options: unknown key "ownerTg" \(fix: rename it to "ownerTag"/,
  },
  {
    name: "config: YAML alias bomb",
    args: ["discover", "--snapshot", "org.json"],
    files: {
      "org.json": SNAPSHOT,
      "orgtrust.yaml": `${GOOD_CONFIG}\nbomb:\n  a: &a ["x","x","x","x","x","x","x","x","x","x"]\n${Array.from({ length: 8 }, (_, i) => `  ${"bcdefghi"[i]}: &${"bcdefghi"[i]} [${Array(10).fill(`*${"abcdefgh"[i]}`).join(",")}]`).join("\n")}\n`,
    },
    expect: /orgtrust\.yaml: YAML anchors and aliases expand too far/,
  },
  {
    name: "config: empty file",
    args: ["discover", "--snapshot", "org.json"],
    files: { "orgtrust.yaml": "", "org.json": SNAPSHOT },
    expect: /orgtrust\.yaml: is empty or not a YAML mapping/,
  },
  {
    name: "config: version 2",
    args: ["discover", "--snapshot", "org.json"],
    files: withConfig((c) => c.replace("version: 1", "version: 2")),
    expect: /version: must be 1/,
  },
  {
    name: "config: management account id unquoted with leading zero",
    args: ["discover", "--snapshot", "org.json"],
    files: withConfig((c) => c.replace('"111122223333"', "011122223333")),
    expect: /organization\.managementAccountId/,
  },
  {
    name: "config: ARN of another partition",
    args: ["discover", "--snapshot", "org.json"],
    files: withConfig((c) =>
      c.replace("arn:aws:iam::444455556666:role/terraform-ci", "arn:aws-us-gov:iam::444455556666:role/terraform-ci"),
    ),
    expect: /integrations\.terraform\.trustedPrincipal: ARN partition "aws-us-gov" does not match/,
  },
  {
    name: "config: trusted principal not an IAM principal",
    args: ["discover", "--snapshot", "org.json"],
    files: withConfig((c) => c.replace("arn:aws:iam::444455556666:role/terraform-ci", "arn:aws:s3:::bucket")),
    expect: /integrations\.terraform\.trustedPrincipal: must be an IAM principal ARN/,
  },
  {
    name: "config: role name over 64 characters",
    args: ["discover", "--snapshot", "org.json"],
    files: withConfig((c) =>
      c.replace(
        "memberRole: { policy: SecurityAudit }",
        `memberRole: { policy: SecurityAudit, name: ${"x".repeat(65)} }`,
      ),
    ),
    expect: /integrations\.steampipe\.memberRole\.name: must be an IAM role name/,
  },
  {
    name: "config: unknown member policy",
    args: ["discover", "--snapshot", "org.json"],
    files: withConfig((c) => c.replace("policy: SecurityAudit", "policy: AdministratorAccess")),
    expect: /integrations\.steampipe\.memberRole\.policy: must be one of ReadOnlyAccess, SecurityAudit, ViewOnlyAccess/,
  },
  {
    name: "config: unknown consumer",
    args: ["discover", "--snapshot", "org.json"],
    files: withConfig((c) => c.replace("consumer: c7n-org", "consumer: custodian")),
    expect: /integrations\.custodian\.consumer: unknown consumer "custodian"/,
  },
  {
    name: "config: custom template missing",
    args: ["discover", "--snapshot", "org.json"],
    files: withConfig((c) => c.replace("consumer: c7n-org", "consumer: ./missing.hbs")),
    expect: /integrations\.custodian\.consumer: template \.\/missing\.hbs not found/,
  },
  {
    name: "config: external id value with a space",
    args: ["discover", "--snapshot", "org.json"],
    files: withConfig((c) =>
      c.replace("externalId: { source: env, env: PORT_EXTERNAL_ID }", "externalId: { source: value, value: 'a b' }"),
    ),
    expect: /integrations\.port\.externalId\.value: must be 2-1,224 characters/,
  },
  {
    name: "config: vendor-issued external id left to generate",
    args: ["discover", "--snapshot", "org.json"],
    files: withConfig((c) =>
      c.replace("externalId: { source: env, env: APONO_EXTERNAL_ID }", "externalId: { source: generate }"),
    ),
    expect: /integrations\.apono\.externalId: apono issues the external ID itself/,
  },
  {
    name: "config: turbot-pipes generate without prefix",
    args: ["discover", "--snapshot", "org.json"],
    files: withConfig((c) =>
      c.replace("externalId: { source: generate, prefix: o_acme4x7q2 }", "externalId: { source: generate }"),
    ),
    expect: /integrations\.pipes\.externalId\.prefix: turbot-pipes external IDs start with your Pipes organization/,
  },
  {
    name: "config: port-ocean roles with different names",
    args: ["discover", "--snapshot", "org.json"],
    files: withConfig((c) =>
      c.replace(
        "externalId: { source: env, env: PORT_EXTERNAL_ID }",
        "externalId: { source: env, env: PORT_EXTERNAL_ID }\n    discoveryRole: { name: a }\n    memberRole: { name: b }",
      ),
    ),
    expect: /integrations\.port\.memberRole\.name: port-ocean needs the member role to share/,
  },
  {
    name: "config: bad excluded OU id",
    args: ["discover", "--snapshot", "org.json"],
    files: withConfig((c) => c.replace("- ou-a1b2-sandb0x1", "- Sandbox")),
    expect: /exclusions\.organizationalUnits\.0: must be an OU ID/,
  },
  {
    name: "config: delegated admin role without the account",
    args: ["discover", "--snapshot", "org.json"],
    files: withConfig((c) =>
      c.replace(
        "trustedPrincipal: arn:aws:iam::444455556666:role/terraform-ci",
        "trustedPrincipal: arn:aws:iam::444455556666:role/terraform-ci\n    discoveryRole: { account: delegatedAdmin }",
      ),
    ),
    expect:
      /integrations\.terraform\.discoveryRole\.account: is delegatedAdmin but organization\.delegatedAdminAccountId is not set/,
  },
  {
    name: "config: member boundary of one account",
    args: ["synth", "--out", "out"],
    files: withConfig((c) =>
      c.replace(
        "memberRole: { denyDataReads: true }",
        'memberRole: { denyDataReads: true, permissionsBoundary: "arn:aws:iam::111122223333:policy/boundary" }',
      ),
    ),
    expect:
      /integrations\.apono\.memberRole\.permissionsBoundary: arn:aws:iam::111122223333:policy\/boundary exists only in account 111122223333.*\(fix: write arn:aws:iam::\$\{AWS::AccountId\}:policy\/boundary/,
  },
  {
    name: "config: member boundary not a policy ARN",
    args: ["synth", "--out", "out"],
    files: withConfig((c) =>
      c.replace(
        "memberRole: { denyDataReads: true }",
        'memberRole: { denyDataReads: true, permissionsBoundary: "arn:aws:s3:::bucket" }',
      ),
    ),
    expect: /integrations\.apono\.memberRole\.permissionsBoundary: must be an IAM policy ARN/,
  },
  {
    name: "config: customer managed member policy",
    args: ["generate", "--out", "out"],
    files: withConfig((c) =>
      c.replace(
        "memberRole: { denyDataReads: true }",
        'memberRole: { denyDataReads: true, policyArns: ["arn:aws:iam::aws:policy/SecurityAudit", "arn:aws:iam::111122223333:policy/extra"] }',
      ),
    ),
    expect:
      /integrations\.apono\.memberRole\.policyArns\.1: arn:aws:iam::111122223333:policy\/extra is a policy of account 111122223333 only.*only AWS managed policies work/,
  },
  {
    name: "config: discovery boundary of another account",
    args: ["drift", "--snapshot", "org.json"],
    files: withConfig((c) =>
      c.replace(
        "memberRole: { denyDataReads: true }",
        'memberRole: { denyDataReads: true }\n    discoveryRole: { permissionsBoundary: "arn:aws:iam::444455556666:policy/boundary" }',
      ),
    ),
    expect:
      /integrations\.apono\.discoveryRole\.permissionsBoundary: arn:aws:iam::444455556666:policy\/boundary is not a policy of account \d{12}, where the discovery role is/,
  },
  {
    name: "config: maxSessionDuration too long",
    args: ["discover", "--snapshot", "org.json"],
    files: withConfig((c) =>
      c.replace(
        "memberRole: { denyDataReads: true }",
        "memberRole: { denyDataReads: true, maxSessionDuration: 50000 }",
      ),
    ),
    expect: /integrations\.apono\.memberRole\.maxSessionDuration: must be at most 43200/,
  },
  // snapshots
  {
    name: "snapshot: missing",
    args: ["discover", "--snapshot", "gone.json"],
    files: good,
    expect: /--snapshot gone\.json: file not found/,
  },
  {
    name: "snapshot: truncated",
    args: ["discover", "--snapshot", "org.json"],
    files: { ...good, "org.json": SNAPSHOT.slice(0, 300) },
    expect: /org\.json: not valid JSON, the file may be truncated/,
  },
  {
    name: "snapshot: another schema version",
    args: ["discover", "--snapshot", "org.json"],
    files: { ...good, "org.json": snap((s) => ({ ...s, schemaVersion: 99 })) },
    expect: /schemaVersion 99 is not supported/,
  },
  {
    name: "snapshot: account id as a number",
    args: ["discover", "--snapshot", "org.json"],
    files: { ...good, "org.json": SNAPSHOT.replace('"id": "012345678901"', '"id": 12345678901') },
    expect: /org\.json: accounts\.\d+\.id/,
  },
  {
    name: "snapshot: not an object",
    args: ["discover", "--snapshot", "org.json"],
    files: { ...good, "org.json": "[]" },
    expect: /not an orgtrust snapshot/,
  },
  // snapshots that keep the schema but not the org's structure (issue 11 item 13): refused by every command
  {
    name: "snapshot: an account twice",
    args: ["generate", "--out", "out"],
    files: {
      ...good,
      "org.json": snap((s) => ({ ...s, accounts: [...(s.accounts as object[]), (s.accounts as object[])[3]] })),
    },
    expect: /org\.json: not a consistent organization: account \d{12} appears twice/,
  },
  {
    name: "snapshot: an OU twice",
    args: ["synth", "--out", "out"],
    files: {
      ...good,
      "org.json": snap((s) => ({
        ...s,
        organizationalUnits: [...(s.organizationalUnits as object[]), (s.organizationalUnits as object[])[0]],
      })),
    },
    expect: /not a consistent organization: OU ou-[a-z0-9-]+ appears twice/,
  },
  {
    name: "snapshot: an account whose parent does not exist",
    args: ["generate", "--out", "out"],
    files: {
      ...good,
      "org.json": snap((s) => ({
        ...s,
        accounts: (s.accounts as Array<Record<string, unknown>>).map((a, i) =>
          i === 2 ? { ...a, parentId: "ou-zzzz-zzzzzzzz" } : a,
        ),
      })),
    },
    expect: /account \d{12} has parent ou-zzzz-zzzzzzzz, which is neither the root nor an OU of the snapshot/,
  },
  {
    name: "snapshot: two management accounts",
    args: ["discover", "--snapshot", "org.json"],
    files: {
      ...good,
      "org.json": snap((s) => ({
        ...s,
        accounts: (s.accounts as Array<Record<string, unknown>>).map((a, i) =>
          i === 1 ? { ...a, isManagementAccount: true } : a,
        ),
      })),
    },
    expect: /2 accounts \(\d{12}, \d{12}\) are marked as the management account; an organization has exactly one/,
  },
  {
    name: "snapshot: no management account",
    args: ["drift"],
    files: {
      ...good,
      "org.json": snap((s) => ({
        ...s,
        accounts: (s.accounts as Array<Record<string, unknown>>).filter((a) => !a.isManagementAccount),
      })),
    },
    expect: /no account is marked as the management account/,
  },
  {
    name: "snapshot: a path that does not match the parents",
    args: ["generate", "--out", "out"],
    files: {
      ...good,
      "org.json": snap((s) => ({
        ...s,
        accounts: (s.accounts as Array<Record<string, unknown>>).map((a, i) =>
          i === 0 ? { ...a, path: [{ id: "r-a1b2", name: "Root" }] } : a,
        ),
      })),
    },
    expect: /account \d{12}: path does not match its chain of parents/,
  },
  // synth
  {
    name: "synth: unknown --integration",
    args: ["synth", "--integration", "nope"],
    files: good,
    expect: /--integration nope: no such integration in the config \(fix: use one of apono/,
  },
  {
    name: "synth: --out is a file",
    args: ["synth", "--out", "org.json"],
    files: good,
    expect: /--out org\.json: is a file \(fix: give a directory\)/,
  },
  {
    name: "synth: --hcl with --out pointing at a file",
    args: ["synth", "--hcl", "--out", "org.json"],
    files: good,
    expect: /--out org\.json: is a file \(fix: give a directory\)/,
  },
  {
    name: "synth: the same --integration twice",
    args: ["synth", "--integration", "port", "--integration", "port"],
    files: good,
    expect: /--integration: the same integration is given twice \(fix: list each once\)/,
  },
  {
    name: "synth: exclusions without a snapshot",
    args: ["synth", "--integration", "backstage"],
    files: { "orgtrust.yaml": GOOD_CONFIG.replace("snapshot: org.json\n", "") },
    expect: /orgtrust discover --out/,
  },
  {
    name: "synth: env external ID variable named like a Terraform keyword",
    args: ["synth"],
    files: withConfig((c) => c.replace("env: APONO_EXTERNAL_ID", "env: count")),
    expect:
      /integrations\.apono\.externalId\.env: count names the stack's Terraform input variable for the external ID, and "count" is reserved by Terraform \(fix: use another environment variable name, such as APONO_EXTERNAL_ID\)/,
  },
  {
    name: "synth: env external ID variable named like the stack's own variable",
    args: ["synth", "--integration", "port"],
    files: withConfig((c) => c.replace("env: PORT_EXTERNAL_ID", "env: management_account_role_arn")),
    expect:
      /integrations\.port\.externalId\.env: management_account_role_arn names .* is the stack's own variable for the management-account role \(fix: /,
  },
  // generate
  {
    name: "generate: unknown --integration",
    args: ["generate", "--integration", "nope"],
    files: good,
    expect: /--integration nope: no such integration/,
  },
  {
    name: "generate: --inline-secrets with a generated external ID",
    args: ["generate", "--inline-secrets", "--integration", "backstage"],
    files: good,
    expect: /--inline-secrets: integration backstage has a generated external ID/,
  },
  {
    name: "generate: --inline-secrets with the env variable unset",
    args: ["generate", "--inline-secrets", "--integration", "port"],
    files: good,
    expect:
      /--inline-secrets: integration port reads its external ID from the environment variable PORT_EXTERNAL_ID, which is not set/,
  },
  {
    name: "generate: --snapshot with --role-arn",
    args: ["generate", "--snapshot", "org.json", "--role-arn", "arn:aws:iam::111122223333:role/x"],
    files: good,
    expect: /--snapshot: cannot be combined with --profile or --role-arn/,
  },
  {
    name: "generate: --out under a file",
    args: ["generate", "--out", "org.json"],
    files: good,
    env: LITERAL_ENV,
    expect: /output path .*org\.json.*is not writable/,
  },
  {
    name: "generate: a file that must carry a generated external ID, with its variable unset",
    args: ["generate", "--integration", "steampipe"],
    files: good,
    expect:
      /integration steampipe \(steampipe\) writes the external ID into its files, whose format cannot reference a variable: .*\(fix: export ORGTRUST_STEAMPIPE_EXTERNAL_ID=/,
  },
  {
    name: "generate: a wrong organization.managementAccountId",
    args: ["generate"],
    files: withConfig((c) => c.replace('managementAccountId: "111122223333"', 'managementAccountId: "111122223334"')),
    env: LITERAL_ENV,
    expect:
      /organization\.managementAccountId is 111122223334, but the snapshot org\.json is organization o-\w+ with management account 111122223333 \(fix: set organization\.managementAccountId: "111122223333"/,
  },
  {
    name: "discover: a wrong organization.managementAccountId",
    args: ["discover", "--snapshot", "org.json"],
    files: withConfig((c) => c.replace('managementAccountId: "111122223333"', 'managementAccountId: "111122223334"')),
    expect: /organization\.managementAccountId is 111122223334, but the snapshot org\.json is organization/,
  },
  {
    name: "synth: a wrong organization.managementAccountId",
    args: ["synth"],
    files: withConfig((c) => c.replace('managementAccountId: "111122223333"', 'managementAccountId: "111122223334"')),
    expect: /organization\.managementAccountId is 111122223334/,
  },
  {
    name: "generate: a starter placeholder (Pipes organizationHandle)",
    args: ["generate", "--integration", "pipes"],
    files: withConfig((c) => c.replace("organizationHandle: acme", "organizationHandle: REPLACE_ME")),
    expect:
      /integrations\.pipes\.options\.organizationHandle: "REPLACE_ME" is a placeholder from the starter \(fix: replace it/,
  },
  {
    name: "synth: a starter placeholder (Pipes external ID prefix)",
    args: ["synth", "--integration", "pipes"],
    files: withConfig((c) => c.replace("prefix: o_acme4x7q2", "prefix: o_REPLACE_ME")),
    expect: /integrations\.pipes\.externalId\.prefix: "o_REPLACE_ME" is a placeholder from the starter/,
  },
  {
    name: "synth: a starter placeholder (Apono connector)",
    args: ["synth", "--integration", "apono"],
    files: withConfig((c) => c.replace("connectorId: acme-connector", "connectorId: REPLACE_WITH_APONO_CONNECTOR_ID")),
    expect: /integrations\.apono\.options\.connectorId: "REPLACE_WITH_APONO_CONNECTOR_ID" is a placeholder/,
  },
  {
    name: "synth: the documentation account as trusted principal",
    args: ["synth", "--integration", "terraform"],
    files: withConfig((c) =>
      c.replace("arn:aws:iam::444455556666:role/terraform-ci", "arn:aws:iam::123456789012:role/terraform-ci"),
    ),
    expect:
      /integrations\.terraform\.trustedPrincipal: arn:aws:iam::123456789012:role\/terraform-ci is in 123456789012, the AWS documentation's example account/,
  },
  {
    name: "generate: apono without a connector",
    args: ["generate", "--integration", "apono"],
    files: withConfig((c) => c.replace("connectorId: acme-connector", "integrationName: x")),
    expect: /integrations\.apono\.options\.connectorId: is required for apono/,
  },
  {
    name: "synth: turbot-pipes in aws-us-gov",
    args: ["synth", "--integration", "pipes"],
    files: withConfig((c) =>
      c
        .replace("partition: aws", "partition: aws-us-gov")
        .replace("homeRegion: us-east-1", "homeRegion: us-gov-west-1")
        .replace(/arn:aws:/g, "arn:aws-us-gov:"),
    ),
    expect:
      /integrations\.pipes\.consumer: Turbot Pipes assumes the roles from AWS account 316881668097 in the aws partition.*cannot reach an aws-us-gov organization/,
  },
  {
    name: "config: a Pipes external ID prefix that is no Pipes id",
    args: ["synth", "--integration", "pipes"],
    files: withConfig((c) => c.replace("prefix: o_acme4x7q2", "prefix: o-abc123")),
    expect: /integrations\.pipes\.externalId\.prefix: "o-abc123" is not a Pipes organization or tenant id/,
  },
  {
    name: "config: a Pipes integration handle over 39 characters",
    args: ["synth", "--integration", "pipes"],
    files: withConfig((c) =>
      c.replace("organizationHandle: acme", `organizationHandle: acme\n      integrationHandle: ${"a".repeat(40)}`),
    ),
    expect: /integrations\.pipes\.options\.integrationHandle: must be 1-39 characters/,
  },
  {
    name: "generate: template syntax error",
    args: ["generate", "--integration", "custodian"],
    files: {
      ...withConfig((c) => c.replace("consumer: c7n-org", "consumer: ./bad.hbs")),
      "bad.hbs": "{{#each accounts}}\n{{id}}\n",
    },
    expect: /bad\.hbs/,
  },
  {
    name: "generate: template with an unknown helper",
    args: ["generate", "--integration", "custodian"],
    files: {
      ...withConfig((c) => c.replace("consumer: c7n-org", "consumer: ./bad.hbs")),
      "bad.hbs": "{{#each accounts}}{{shout name}}{{/each}}\n",
    },
    expect: /bad\.hbs:1.*shout/,
  },
  // drift
  {
    name: "drift: unknown --format",
    args: ["drift", "--format", "yaml"],
    files: good,
    expect: /'yaml' is invalid\. Allowed choices are text, json, junit, markdown/,
  },
  {
    name: "drift: unknown --fail-on",
    args: ["drift", "--fail-on", "fatal"],
    files: good,
    expect: /'fatal' is invalid\. Allowed choices are error, warning/,
  },
  {
    name: "drift: bad --audit-role-name",
    args: ["drift", "--audit-role-name", "bad/name"],
    files: good,
    expect: /--audit-role-name bad\/name: must be an IAM role name/,
  },
  {
    name: "drift: --generated not a folder",
    args: ["drift", "--generated", "nowhere"],
    files: good,
    expect: /--generated nowhere: not a directory/,
  },
  {
    name: "drift: unknown --integration",
    args: ["drift", "--integration", "nope"],
    files: good,
    expect: /--integration nope: no such integration/,
  },
  {
    name: "drift: snapshot of another schema version",
    args: ["drift"],
    files: { ...good, "org.json": snap((s) => ({ ...s, schemaVersion: 0 })) },
    expect: /schemaVersion 0 is not supported/,
  },
];

describe("a config with several problems", () => {
  test("lists every problem, one line each, exit 2", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-bad-"));
    fs.writeFileSync(path.join(dir, "org.json"), SNAPSHOT);
    fs.writeFileSync(
      path.join(dir, "orgtrust.yaml"),
      GOOD_CONFIG.replace("version: 1", "version: 2")
        .replace("homeRegion: us-east-1", "homeregion: us-east-1")
        .replace("policy: SecurityAudit", "policy: Admin"),
    );
    const r = await runCli(["discover", "--snapshot", "org.json"], {
      cwd: dir,
      env: { AWS_ENDPOINT_URL: "http://127.0.0.1:9" },
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(
        /^orgtrust: error: orgtrust\.yaml: organization: unknown key "homeregion" \(fix: rename it to "homeRegion"/,
      ),
      expect.stringMatching(/^orgtrust: error: orgtrust\.yaml: version: must be 1 \(fix: /),
      expect.stringMatching(
        /^orgtrust: error: orgtrust\.yaml: integrations\.steampipe\.memberRole\.policy: must be one of .*\(fix: /,
      ),
    ]);
  });
});

function listTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, entry);
    out[entry] = fs.statSync(p).isDirectory() ? "<dir>" : fs.readFileSync(p, "utf8");
  }
  return out;
}

describe("bad input: exit 2, one line naming the field and the fix, nothing written", () => {
  test("the table covers at least 40 cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });
  test.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-bad-"));
    for (const [name, content] of Object.entries(c.files ?? {})) fs.writeFileSync(path.join(dir, name), content);
    const before = listTree(dir);
    const r = await runCli(c.args, { cwd: dir, env: { AWS_ENDPOINT_URL: "http://127.0.0.1:9", ...c.env } });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(c.expect) });
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^orgtrust: error: /);
    expect(lines[0]).toMatch(/\(fix: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe("");
    expect(listTree(dir)).toEqual(before);
  });
});
