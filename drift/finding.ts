import { compareStrings } from "../common/compare";

/**
 * The drift finding model: what every check produces and every formatter reads.
 *
 * A finding names one difference between what orgtrust expects (config + snapshot + synthesis) and what is
 * (the live organization, the StackSet, the roles, the generated files), with the remedy. A check also records
 * every unit it examined (an account, an OU, the StackSet, a file) so that reports can show what passed
 * (JUnit has a test case per check and unit). The JSON form is documented by drift/finding.schema.json.
 */

export const SEVERITIES = ["error", "warning", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The checks, in report order. */
export const CHECKS = [
  "org",
  "stackset",
  "coverage",
  "management-role",
  "discovery-role",
  "member-role",
  "generated",
] as const;
export type CheckName = (typeof CHECKS)[number];

export const CHECK_TITLES: Record<CheckName, string> = {
  org: "Organization vs snapshot",
  stackset: "Member-role StackSet",
  coverage: "StackSet coverage",
  "management-role": "Management account role",
  "discovery-role": "Discovery role",
  "member-role": "Member roles (--deep)",
  generated: "Generated configs (--generated)",
};

/** What fixes a finding. */
export const REMEDIES = ["rediscover", "resynth-deploy", "regenerate", "fix-by-hand", "none"] as const;
export type Remedy = (typeof REMEDIES)[number];

export const TARGET_TYPES = ["organization", "account", "ou", "stackset", "role", "file", "integration"] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

/** What a finding (or a checked unit) is about. */
export interface Target {
  type: TargetType;
  /** Account id, OU or root id, StackSet name, role ARN, file path (relative to --generated) or integration name. */
  id: string;
  /** Account or OU name when known. */
  name: string | null;
}

export interface Finding {
  check: CheckName;
  kind: FindingKind;
  severity: Severity;
  /** The integration it belongs to; null for organization-wide findings. */
  integration: string | null;
  target: Target;
  /** One line: what is wrong. */
  message: string;
  /** What orgtrust expected (redacted: never an external ID value); null when not applicable. */
  expected: string | null;
  /** What it found (redacted likewise); null when nothing was found. */
  found: string | null;
  remedy: Remedy;
  /** One line: how to fix it, with the command to run. */
  fix: string;
}

/** One unit a check examined: a JUnit test case. */
export interface CheckedUnit {
  check: CheckName;
  integration: string | null;
  target: Target;
}

export interface CheckResult {
  units: CheckedUnit[];
  findings: Finding[];
}

/**
 * Every finding kind: its check, its usual severity, what it means and how to fix it. docs/drift-and-ci.md's finding-kind table is
 * written from this list (test/unit/drift-unit.test.ts keeps the two in step).
 */
export const FINDING_KINDS = {
  // --- org vs snapshot
  "snapshot-not-given": {
    check: "org",
    severity: "info",
    remedy: "rediscover",
    meaning:
      "No snapshot was given (--snapshot or the config's snapshot field), so the live organization was not compared with one; the live org is used for every other check.",
    fix: "Run `orgtrust discover --out org.json`, commit it and set `snapshot: org.json` in the config.",
  },
  "snapshot-other-organization": {
    check: "org",
    severity: "error",
    remedy: "rediscover",
    meaning: "The snapshot describes another organization than the credentials reach.",
    fix: "Check the credentials (--profile/--role-arn), or re-run `orgtrust discover --out <snapshot>`.",
  },
  "account-added": {
    check: "org",
    severity: "error",
    remedy: "regenerate",
    meaning:
      "An account exists in the organization that the snapshot does not know. Error when it changes the integration's scope (generated configs miss it) or the StackSet targets; info otherwise.",
    fix: "Re-run `orgtrust discover --out <snapshot>`, then `orgtrust generate` (and synth + deploy when targets change).",
  },
  "account-removed": {
    check: "org",
    severity: "error",
    remedy: "regenerate",
    meaning:
      "An account in the snapshot has left the organization. Error when it was in scope (generated configs still list it) or changes the targets; info otherwise.",
    fix: "Re-run `orgtrust discover --out <snapshot>`, then `orgtrust generate`.",
  },
  "account-moved": {
    check: "org",
    severity: "error",
    remedy: "regenerate",
    meaning:
      "An account now sits under another OU than in the snapshot. Error when that moves it in or out of scope or changes the StackSet targets, warning when it stays in scope (OU paths in generated configs may change), info when it stays out.",
    fix: "Re-run `orgtrust discover --out <snapshot>`, then `orgtrust generate`; synth + deploy when the targets change. If the move was a mistake, move it back.",
  },
  "account-state-changed": {
    check: "org",
    severity: "error",
    remedy: "regenerate",
    meaning:
      "An account's state changed (e.g. ACTIVE to SUSPENDED). Error when that changes the scope (skipInactiveAccounts), info otherwise.",
    fix: "Re-run `orgtrust discover --out <snapshot>`, then `orgtrust generate`.",
  },
  "account-renamed": {
    check: "org",
    severity: "warning",
    remedy: "regenerate",
    meaning:
      "An account's name changed; generated configs that carry names are stale. Warning when in scope, info otherwise.",
    fix: "Re-run `orgtrust discover --out <snapshot>`, then `orgtrust generate`.",
  },
  "ou-added": {
    check: "org",
    severity: "error",
    remedy: "resynth-deploy",
    meaning:
      "An OU exists that the snapshot does not know. Error when it changes the StackSet targets or the scope, info otherwise.",
    fix: "Re-run `orgtrust discover --out <snapshot>`, then synth and apply (`orgtrust synth --hcl`, then `terraform apply` in its stacks/<integration> folder, or `cdktf deploy` of your own cdktf app) and `orgtrust generate`.",
  },
  "ou-removed": {
    check: "org",
    severity: "error",
    remedy: "resynth-deploy",
    meaning:
      "An OU in the snapshot no longer exists. Error when it changes the StackSet targets or the scope, info otherwise. An excluded OU that no longer exists also leaves an exclusion that matches nothing.",
    fix: "Re-run `orgtrust discover --out <snapshot>`, then synth + deploy and `orgtrust generate`; drop stale exclusions from the config.",
  },
  "ou-moved": {
    check: "org",
    severity: "error",
    remedy: "resynth-deploy",
    meaning:
      "An OU now sits under another parent (e.g. moved into an excluded OU). Error when it changes the StackSet targets or the scope, info otherwise.",
    fix: "Re-run `orgtrust discover --out <snapshot>`, then synth + deploy and `orgtrust generate`.",
  },
  "ou-renamed": {
    check: "org",
    severity: "info",
    remedy: "rediscover",
    meaning: "An OU's name changed.",
    fix: "Re-run `orgtrust discover --out <snapshot>` (and `orgtrust generate` if a config carries OU names).",
  },
  // --- stackset
  "stackset-missing": {
    check: "stackset",
    severity: "error",
    remedy: "resynth-deploy",
    meaning:
      "The member-role StackSet does not exist in the home region (or was deleted). No member account gets the role; the coverage check is skipped.",
    fix: "Synth and apply the integration's stack (`orgtrust synth --hcl`, then `terraform apply` in its stacks/<integration> folder, or `cdktf deploy` of your own cdktf app).",
  },
  "stackset-permission-model": {
    check: "stackset",
    severity: "error",
    remedy: "resynth-deploy",
    meaning:
      "The StackSet is not SERVICE_MANAGED, so it neither follows the OU targets nor auto-deploys to new accounts.",
    fix: "Delete the StackSet and deploy the one orgtrust synthesizes (SERVICE_MANAGED).",
  },
  "stackset-auto-deployment-disabled": {
    check: "stackset",
    severity: "error",
    remedy: "resynth-deploy",
    meaning: "Auto-deployment is off: accounts that join or move into a targeted OU get no member role.",
    fix: "Apply the synthesized stack again (`orgtrust synth --hcl`, then `terraform apply` in its stacks/<integration> folder, or `cdktf deploy` of your own cdktf app), which turns auto-deployment on.",
  },
  "stackset-auto-deployment-unknown": {
    check: "stackset",
    severity: "info",
    remedy: "none",
    meaning: "DescribeStackSet did not report AutoDeployment (some emulators omit it), so it could not be checked.",
    fix: "Nothing to do on AWS; check the StackSet in the console if in doubt.",
  },
  "stackset-retain-stacks-differs": {
    check: "stackset",
    severity: "warning",
    remedy: "resynth-deploy",
    meaning:
      "AutoDeployment.RetainStacksOnAccountRemoval differs from stackSet.retainStacksOnAccountRemoval in the config.",
    fix: "Deploy the synthesized StackSet again, or change the config to match.",
  },
  "stackset-template-differs": {
    check: "stackset",
    severity: "error",
    remedy: "resynth-deploy",
    meaning:
      "The StackSet's template differs (semantically) from the one synthesis produces now: a hand edit, or a config or orgtrust change not yet deployed.",
    fix: "Synth and apply (`orgtrust synth --hcl`, then `terraform apply` in its stacks/<integration> folder, or `cdktf deploy` of your own cdktf app).",
  },
  "stackset-parameters-differ": {
    check: "stackset",
    severity: "error",
    remedy: "resynth-deploy",
    meaning:
      "A StackSet parameter differs from what synthesis produces (NoEcho/secret parameters are only checked for presence).",
    fix: "Synth and apply (`orgtrust synth --hcl`, then `terraform apply` in its stacks/<integration> folder, or `cdktf deploy` of your own cdktf app).",
  },
  "stackset-targets-differ": {
    check: "stackset",
    severity: "error",
    remedy: "resynth-deploy",
    meaning:
      "The OUs the stack instances were deployed through (as AWS reports them) differ from the computed OU cover.",
    fix: "Synth and deploy; if the snapshot is stale, re-run discover first.",
  },
  // --- coverage
  "instance-missing": {
    check: "coverage",
    severity: "error",
    remedy: "resynth-deploy",
    meaning:
      "An in-scope member account has no stack instance, so it has no member role (e.g. it joined after deployment and auto-deployment did not run).",
    fix: "Re-run discover, synth and deploy; check auto-deployment and the StackSet operations in the console.",
  },
  "instance-in-excluded-account": {
    check: "coverage",
    severity: "error",
    remedy: "resynth-deploy",
    meaning:
      "An account excluded from the integration (excluded OU or account) holds a stack instance: the consumer's role reaches an account it must not.",
    fix: "Re-run discover, synth and deploy (the targets exclude it); or delete the instance by hand.",
  },
  "instance-in-inactive-account": {
    check: "coverage",
    severity: "info",
    remedy: "none",
    meaning:
      "A stack instance sits in an account that is out of scope only because it is not ACTIVE. StackSets keep it; it is harmless (such accounts cannot be assumed) and leaves with the account.",
    fix: "Nothing to do.",
  },
  "instance-outside-organization": {
    check: "coverage",
    severity: "warning",
    remedy: "fix-by-hand",
    meaning: "A stack instance belongs to an account that is not in the organization (any more).",
    fix: "Delete the stack instance (DeleteStackInstances with the account's former OU) or leave it if the stacks were retained on purpose.",
  },
  "instance-status": {
    check: "coverage",
    severity: "error",
    remedy: "fix-by-hand",
    meaning:
      "A stack instance is not CURRENT/SUCCEEDED (e.g. OUTDATED after a failed operation, FAILED, INOPERABLE). Info for inactive accounts.",
    fix: "Look at the StackSet operation's status reason in the console, fix the cause (often a role that already exists), then re-run the operation (`terraform apply` in the stack folder, or `cdktf deploy` of your own cdktf app).",
  },
  "instance-drifted": {
    check: "coverage",
    severity: "error",
    remedy: "fix-by-hand",
    meaning:
      "CloudFormation drift detection reports the member stack as DRIFTED: its role was changed outside CloudFormation.",
    fix: "Inspect with `--deep` or ListStackInstanceResourceDrifts; revert the manual change or redeploy the StackSet.",
  },
  "instance-extra-region": {
    check: "coverage",
    severity: "warning",
    remedy: "resynth-deploy",
    meaning: "An account has stack instances in more than one region; the named IAM role collides across regions.",
    fix: "Keep the instance in the home region only (synth + deploy).",
  },
  "account-not-coverable": {
    check: "coverage",
    severity: "warning",
    remedy: "fix-by-hand",
    meaning:
      "An in-scope account sits directly in an OU that cannot be targeted (an excluded OU or account lies beside or below it), so the StackSet cannot give it the role. With stackSet.uncoveredAccounts: direct (the default) only for accounts the snapshot synth used does not place there (they joined or moved later): those it does place there get the role directly and are expected to have no stack instance.",
    fix: "Move the account into an OU whose whole subtree is in scope, or exclude it; with uncoveredAccounts: direct, re-running discover, synth and deploy also gives it the role.",
  },
  // --- roles (management-role and member-role checks)
  "role-missing": {
    check: "member-role",
    severity: "error",
    remedy: "resynth-deploy",
    meaning:
      "The integration's role does not exist in the account (member role, the management account's direct role, or a member role created directly because no StackSet target reaches the account).",
    fix: "Apply the stack again (`terraform apply` in its stacks/<integration> folder, or `cdktf deploy` of your own cdktf app); for a member account check its stack instance.",
  },
  "role-trust-differs": {
    check: "member-role",
    severity: "error",
    remedy: "fix-by-hand",
    meaning:
      "The role's trust policy differs semantically from the expected one (trusted principal, or the sts:ExternalId condition missing or different).",
    fix: "Revert the manual change, or apply the stack again (`terraform apply` in its stacks/<integration> folder, or `cdktf deploy` of your own cdktf app, restores it).",
  },
  "role-policy-missing": {
    check: "member-role",
    severity: "error",
    remedy: "fix-by-hand",
    meaning: "An expected managed policy is not attached to the role.",
    fix: "Attach it again (or redeploy).",
  },
  "role-policy-extra": {
    check: "member-role",
    severity: "error",
    remedy: "fix-by-hand",
    meaning:
      "A managed policy that orgtrust does not attach is attached to the role: the consumer can do more than configured.",
    fix: "Detach it; for a member role that should have it, add it to memberRole.policyArns and redeploy.",
  },
  "role-inline-policy-differs": {
    check: "member-role",
    severity: "error",
    remedy: "fix-by-hand",
    meaning:
      "The role's inline policies differ from the expected ones (DescribeOrganization addition, data-read deny).",
    fix: "Revert the manual change or redeploy.",
  },
  "role-path-differs": {
    check: "member-role",
    severity: "error",
    remedy: "fix-by-hand",
    meaning:
      "The role's IAM path differs from the configured one (memberRole.path, discoveryRole.path), so its ARN is not the one the consumer's config names.",
    fix: "Recreate the role with the configured path (delete it and redeploy), or set the path in the config to match and regenerate.",
  },
  "role-boundary-differs": {
    check: "member-role",
    severity: "error",
    remedy: "fix-by-hand",
    meaning: "The role's permissions boundary differs from the configured one (added, removed or another policy).",
    fix: "Restore the boundary (iam put-role-permissions-boundary / delete-role-permissions-boundary) or redeploy.",
  },
  "role-session-duration-differs": {
    check: "member-role",
    severity: "error",
    remedy: "fix-by-hand",
    meaning: "The role's maximum session duration differs from the configured maxSessionDuration.",
    fix: "Revert it (iam update-role --max-session-duration) or redeploy.",
  },
  "role-unreadable": {
    check: "member-role",
    severity: "error",
    remedy: "fix-by-hand",
    meaning: "The role could not be read (e.g. access denied on iam:GetRole).",
    fix: "Grant the audit role IAM read access (iam:GetRole, iam:ListAttachedRolePolicies, iam:ListRolePolicies, iam:GetRolePolicy).",
  },
  "account-not-assumable": {
    check: "member-role",
    severity: "error",
    remedy: "fix-by-hand",
    meaning: "The audit role could not be assumed in the account, so its member role was not checked.",
    fix: "Check the audit role exists there and trusts the caller (--audit-role-name), or exclude the account.",
  },
  "external-id-unverified": {
    check: "member-role",
    severity: "info",
    remedy: "none",
    meaning:
      "The external ID value is not known to this run, so only the presence of the StackSet's ExternalId parameter and of a StringEquals sts:ExternalId condition in trust policies was checked.",
    fix: "Export the variable named in the finding to compare the value too.",
  },
  "discovery-role-skipped": {
    check: "discovery-role",
    severity: "info",
    remedy: "none",
    meaning:
      "The discovery role could not be read: the credentials are for another account than the one it is in (and --deep was not given, or the audit role there could not be assumed), or may not read it (iam:GetRole denied).",
    fix: "Run drift with credentials in the discovery role's account that may read it (the discovery role itself may, once deployed by this orgtrust version), or with --deep for a delegated administrator.",
  },
  "management-role-skipped": {
    check: "management-role",
    severity: "info",
    remedy: "none",
    meaning: "The credentials are not for the management account, so its role could not be read.",
    fix: "Run drift with management-account credentials (or a role there) to check it.",
  },
  // --- generated
  "generated-file-differs": {
    check: "generated",
    severity: "error",
    remedy: "regenerate",
    meaning:
      "A generated file differs from what `orgtrust generate` renders now (a hand edit, or config/snapshot changes not regenerated).",
    fix: "Run `orgtrust generate` and commit the result.",
  },
  "generated-file-missing": {
    check: "generated",
    severity: "error",
    remedy: "regenerate",
    meaning: "A file `orgtrust generate` renders is missing from the output folder.",
    fix: "Run `orgtrust generate` and commit the result.",
  },
  "generated-file-extra": {
    check: "generated",
    severity: "warning",
    remedy: "regenerate",
    meaning: "The output folder holds a file `orgtrust generate` no longer renders.",
    fix: "Run `orgtrust generate` (or delete the file) and commit.",
  },
} as const satisfies Record<
  string,
  { check: CheckName; severity: Severity; remedy: Remedy; meaning: string; fix: string }
>;

export type FindingKind = keyof typeof FINDING_KINDS;
export const FINDING_KIND_NAMES = Object.keys(FINDING_KINDS) as FindingKind[];

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function severityAtLeast(s: Severity, threshold: Severity): boolean {
  return SEVERITY_RANK[s] <= SEVERITY_RANK[threshold];
}

const cmp = compareStrings;

/** Deterministic order: severity, check, integration, target, kind, message. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    CHECKS.indexOf(a.check) - CHECKS.indexOf(b.check) ||
    cmp(a.integration ?? "", b.integration ?? "") ||
    cmp(a.target.type, b.target.type) ||
    cmp(a.target.id, b.target.id) ||
    cmp(a.kind, b.kind) ||
    cmp(a.message, b.message)
  );
}

export function compareUnits(a: CheckedUnit, b: CheckedUnit): number {
  return (
    CHECKS.indexOf(a.check) - CHECKS.indexOf(b.check) ||
    cmp(a.integration ?? "", b.integration ?? "") ||
    cmp(a.target.type, b.target.type) ||
    cmp(a.target.id, b.target.id)
  );
}

export const unitKey = (u: { check: CheckName; integration: string | null; target: Target }) =>
  `${u.check}\u0000${u.integration ?? ""}\u0000${u.target.type}\u0000${u.target.id}`;

/** Builds a finding with the kind's default severity, remedy and fix; any of them can be overridden. */
export function finding(
  kind: FindingKind,
  f: {
    integration: string | null;
    target: Target;
    message: string;
    expected?: string | null;
    found?: string | null;
    severity?: Severity;
    remedy?: Remedy;
    fix?: string;
    check?: CheckName;
  },
): Finding {
  const k = FINDING_KINDS[kind];
  return {
    check: f.check ?? k.check,
    kind,
    severity: f.severity ?? k.severity,
    integration: f.integration,
    target: f.target,
    message: f.message,
    expected: f.expected ?? null,
    found: f.found ?? null,
    remedy: f.remedy ?? k.remedy,
    fix: f.fix ?? k.fix,
  };
}

export const accountTarget = (a: { id: string; name?: string | null }): Target => ({
  type: "account",
  id: a.id,
  name: a.name ?? null,
});
export const ouTarget = (o: { id: string; name?: string | null }): Target => ({
  type: "ou",
  id: o.id,
  name: o.name ?? null,
});
