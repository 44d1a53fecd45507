import * as path from "node:path";
import { MANAGEMENT_ROLE_VARIABLE, RESERVED_VARIABLE_NAMES } from "../common/external-id";
import type { ResolvedIntegration } from "./resolve";

/**
 * The rules across fields of one resolved integration, checked at load so that every command (synth, generate,
 * drift, sync, the cdktf app) refuses the same config the same way, before it reads the org or writes anything.
 * Each issue is one line "<at>.<field>: problem (fix: ...)", `at` being "<file>: integrations.<name>".
 * Rules that need the org (exclusions without a snapshot, a snapshot of another org) stay with the commands.
 */
export function integrationRuleIssues(i: ResolvedIntegration, at: string): string[] {
  const issues: string[] = [];
  const x = i.externalId;
  if (x.source === "env" && x.env && (RESERVED_VARIABLE_NAMES.includes(x.env) || x.env === MANAGEMENT_ROLE_VARIABLE)) {
    // Synth turns an env external ID into a sensitive Terraform input variable named like the environment variable.
    const why =
      x.env === MANAGEMENT_ROLE_VARIABLE
        ? "is the stack's own variable for the management-account role"
        : "is reserved by Terraform";
    issues.push(
      `${at}.externalId.env: ${x.env} names the stack's Terraform input variable for the external ID, and "${x.env}" ${why} (fix: use another environment variable name, such as ${i.name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_EXTERNAL_ID)`,
    );
  }
  // One role name for both roles (Port Ocean, or names set equal): in the management account they are one role.
  const sameName = i.discoveryRole.name.toLowerCase() === i.memberRole.name.toLowerCase();
  if (sameName && i.discoveryRole.callAsDelegatedAdmin) {
    issues.push(
      `${at}.discoveryRole.account: the member role and the discovery role share the name "${i.memberRole.name}", and the discovery role sits in the delegated administrator ${i.discoveryRole.accountId}, a member account the StackSet would also create "${i.memberRole.name}" in (fix: keep the discovery role in the management account, or give the roles different names)`,
    );
  }
  if (sameName && i.discoveryRole.path !== i.memberRole.path) {
    issues.push(
      `${at}.memberRole.path: the member role and the discovery role share the name "${i.memberRole.name}" but not the path; IAM role names are unique per account (fix: give both the same path)`,
    );
  }
  issues.push(...consumerRuleIssues(i, at));
  return issues;
}

/** A Backstage config key part (@backstage/config@1.3.9 dist/reader.cjs.js CONFIG_KEY_PART_PATTERN). */
const BACKSTAGE_CONFIG_KEY = /^[a-z][a-z0-9]*(?:[-_:][a-z0-9]+)*$/i;

function consumerRuleIssues(i: ResolvedIntegration, at: string): string[] {
  const issues: string[] = [];
  switch (i.consumer) {
    case "backstage":
      // The generated app-config holds the processor's credentials under orgtrust.<integration name>.
      if (!BACKSTAGE_CONFIG_KEY.test(i.name))
        issues.push(
          `${at}: "${i.name}" is not a valid Backstage config key (fix: use letters and digits, with single "-" between them)`,
        );
      break;
    case "steampipe":
    case "aws-cli":
      if (i.options.sourceProfile && i.options.credentialSource) {
        issues.push(
          `${at}.options: sourceProfile and credentialSource are both set (fix: keep one; the AWS config file allows only one per profile)`,
        );
      }
      break;
    case "turbot-pipes":
      if (!i.options.organizationHandle && !i.options.tenantHandle)
        issues.push(
          `${at}.options: set organizationHandle (a Pipes organization) or tenantHandle (a Pipes tenant) (fix: add one of them)`,
        );
      if (i.options.organizationHandle && i.options.tenantHandle)
        issues.push(`${at}.options: organizationHandle and tenantHandle are both set (fix: keep one)`);
      break;
    case "apono":
      if (!i.options.connectorId)
        issues.push(`${at}.options.connectorId: is required for apono (fix: set it to the id of your Apono connector)`);
      break;
    case "custom": {
      const output = i.outputFile ?? `${i.name}.txt`;
      if (path.isAbsolute(output) || path.normalize(output).split(path.sep).includes("..")) {
        issues.push(
          `${at}.output.file: ${output} must be a file name inside the output folder (fix: use output.dir to choose the folder)`,
        );
      }
      break;
    }
  }
  return issues;
}
