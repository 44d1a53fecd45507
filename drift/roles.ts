import {
  GetRoleCommand,
  GetRolePolicyCommand,
  paginateListAttachedRolePolicies,
  paginateListRolePolicies,
  type IAMClient,
  type Role,
} from "@aws-sdk/client-iam";
import { EACH_ACCOUNT, type Partition } from "../common/ids";
import { explainAwsError } from "../aws/errors";
import type { DriftAws } from "./aws";
import { finding, type CheckName, type Finding, type Target } from "./finding";
import {
  canonicalJson,
  describeTrustDifference,
  maskExternalIds,
  normalizePolicy,
  parsePolicyDocument,
} from "./policy";
import { shortJson } from "./template";

/**
 * The role checks shared by the management account (check 4) and --deep (check 5): the integration's role is
 * present with the expected path, permissions boundary and session length, its trust policy equals the expected one
 * semantically (principal and sts:ExternalId condition), the expected managed policies are attached and nothing
 * else, and its inline policies equal the expected ones.
 * External ID values are compared but never printed (drift/policy.ts masks them).
 */
export interface ExpectedRole {
  integration: string;
  roleName: string;
  partition: Partition;
  /** The expected trust policy document. */
  trust: unknown;
  /** IAM path (the consumers build the role's ARN with it). */
  path: string;
  policyArns: string[];
  /** Expected inline policy (all inline policies merged); undefined: none. */
  inline?: unknown;
  /** Permissions boundary ARN; ${AWS::AccountId} stands for the account the role is in. Undefined: none. */
  permissionsBoundary?: string;
  maxSessionDuration: number;
  /** The expected external ID when known; undefined: only the presence of the condition is compared. */
  externalId?: string;
}

/**
 * Reads and checks one role. With `hard`, AWS errors other than a missing role abort the run (exit 3: the
 * caller's own permissions are wrong); otherwise they become role-unreadable findings.
 */
export async function checkRole(
  aws: DriftAws,
  iam: IAMClient,
  check: CheckName,
  target: Target,
  exp: ExpectedRole,
  hard: boolean,
  /** Turns an access-denied failure into findings of the caller's choosing (instead of exit 3 or role-unreadable). */
  onAccessDenied?: (e: unknown) => Finding[],
): Promise<Finding[]> {
  const base = { integration: exp.integration, target, check };
  const call = <T>(op: string, send: () => Promise<T>) => (hard ? aws.call(op, "iam", send) : aws.raw(op, send));
  const roleRef = `role ${exp.roleName} in ${target.id}`;
  try {
    const role: Role | undefined = await call("GetRole", async () => {
      try {
        return (await iam.send(new GetRoleCommand({ RoleName: exp.roleName }))).Role;
      } catch (e) {
        if ((e as { name?: string }).name === "NoSuchEntityException") return undefined;
        throw e;
      }
    });
    if (!role) {
      return [
        finding("role-missing", {
          ...base,
          message: `${roleRef} does not exist`,
          expected: `role ${exp.roleName}`,
          found: null,
        }),
      ];
    }
    const findings: Finding[] = [];
    // Path, permissions boundary, session length
    if ((role.Path ?? "/") !== exp.path) {
      findings.push(
        finding("role-path-differs", {
          ...base,
          message: `${roleRef} has path ${role.Path ?? "/"}, not ${exp.path}: its ARN is not the one the consumer was given`,
          expected: exp.path,
          found: role.Path ?? "/",
        }),
      );
    }
    const wantBoundary = exp.permissionsBoundary?.replace(EACH_ACCOUNT, target.id) ?? null;
    const gotBoundary = role.PermissionsBoundary?.PermissionsBoundaryArn ?? null;
    if (wantBoundary !== gotBoundary) {
      findings.push(
        finding("role-boundary-differs", {
          ...base,
          message: `${roleRef} ${gotBoundary ? `has permissions boundary ${gotBoundary}` : "has no permissions boundary"}, ${wantBoundary ? `expected ${wantBoundary}` : "expected none"}`,
          expected: wantBoundary ?? "(none)",
          found: gotBoundary ?? "(none)",
        }),
      );
    }
    const gotSession = role.MaxSessionDuration ?? 3600;
    if (gotSession !== exp.maxSessionDuration) {
      findings.push(
        finding("role-session-duration-differs", {
          ...base,
          message: `${roleRef} allows sessions of ${gotSession} s, expected ${exp.maxSessionDuration} s`,
          expected: String(exp.maxSessionDuration),
          found: String(gotSession),
        }),
      );
    }
    // Trust policy
    const want = maskExternalIds(normalizePolicy(exp.trust, exp.partition), exp.externalId);
    const got = maskExternalIds(normalizePolicy(role.AssumeRolePolicyDocument ?? "{}", exp.partition), exp.externalId);
    if (canonicalJson(want) !== canonicalJson(got)) {
      findings.push(
        finding("role-trust-differs", {
          ...base,
          message: `trust policy of ${roleRef} differs: ${describeTrustDifference(want, got)}`,
          expected: canonicalJson(want),
          found: canonicalJson(got),
        }),
      );
    }
    // Managed policies
    const marker = (p: { IsTruncated?: boolean; Marker?: string }) => (p.IsTruncated ? p.Marker : undefined);
    const attachedPages = paginateListAttachedRolePolicies({ client: iam, pageSize: 100 }, { RoleName: exp.roleName });
    const attached = (
      await aws.collect(
        "ListAttachedRolePolicies",
        "iam",
        roleRef,
        attachedPages,
        marker,
        (p) => p.AttachedPolicies,
        hard,
      )
    ).map((p) => p.PolicyArn ?? "");
    const have = new Set(attached);
    const wantArns = new Set(exp.policyArns);
    for (const arn of [...wantArns].filter((a) => !have.has(a)).sort()) {
      findings.push(
        finding("role-policy-missing", {
          ...base,
          message: `${roleRef} lacks managed policy ${arn}`,
          expected: arn,
          found: attached.length ? [...have].sort().join(", ") : "(none attached)",
        }),
      );
    }
    for (const arn of [...have].filter((a) => !wantArns.has(a)).sort()) {
      findings.push(
        finding("role-policy-extra", {
          ...base,
          message: `${roleRef} has an extra managed policy ${arn}`,
          expected: exp.policyArns.join(", ") || "(none)",
          found: arn,
        }),
      );
    }
    // Inline policies
    const namePages = paginateListRolePolicies({ client: iam, pageSize: 100 }, { RoleName: exp.roleName });
    const names = await aws.collect("ListRolePolicies", "iam", roleRef, namePages, marker, (p) => p.PolicyNames, hard);
    const statements: unknown[] = [];
    for (const n of names.sort()) {
      const out = await call("GetRolePolicy", () =>
        iam.send(new GetRolePolicyCommand({ RoleName: exp.roleName, PolicyName: n })),
      );
      const doc = parsePolicyDocument(out.PolicyDocument ?? "{}");
      statements.push(
        ...(Array.isArray(doc.Statement) ? (doc.Statement as unknown[]) : doc.Statement ? [doc.Statement] : []),
      );
    }
    const wantInline = exp.inline ? parsePolicyDocument(exp.inline) : { Statement: [] };
    const wantStatements = Array.isArray(wantInline.Statement)
      ? wantInline.Statement
      : wantInline.Statement
        ? [wantInline.Statement]
        : [];
    const a = maskExternalIds(
      normalizePolicy({ Version: "2012-10-17", Statement: wantStatements }, exp.partition),
      exp.externalId,
    );
    const b = maskExternalIds(
      normalizePolicy({ Version: "2012-10-17", Statement: statements }, exp.partition),
      exp.externalId,
    );
    if (canonicalJson(a) !== canonicalJson(b)) {
      findings.push(
        finding("role-inline-policy-differs", {
          ...base,
          message: `inline policies of ${roleRef} differ from the expected ones (${names.length} inline polic${names.length === 1 ? "y" : "ies"}: ${names.join(", ") || "none"})`,
          expected: a.Statement.length ? shortJson(a.Statement, 400) : "(none)",
          found: b.Statement.length ? shortJson(b.Statement, 400) : "(none)",
        }),
      );
    }
    return findings;
  } catch (e) {
    if (onAccessDenied && isAccessDenied(e)) return onAccessDenied(e);
    if (hard) throw e;
    return [
      finding("role-unreadable", {
        ...base,
        message: `${roleRef} could not be read: ${explainAwsError(e, opName(e), "iam", target.id).message}`,
        expected: `role ${exp.roleName}`,
        found: null,
      }),
    ];
  }
}

const isAccessDenied = (e: unknown) =>
  ["AccessDenied", "AccessDeniedException"].includes(String((e as { name?: string })?.name));

const opName = (e: unknown) => /perform: iam:(\w+)/.exec(String((e as Error)?.message))?.[1] ?? "GetRole";
