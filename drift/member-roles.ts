import type { IAMClient } from "@aws-sdk/client-iam";
import type { Partition } from "../common/ids";
import { mapLimit } from "../common/limit";
import type { Logger } from "../common/log";
import { explainAwsError } from "../aws/errors";
import type { Scope } from "../org/scope";
import type { OuCover } from "../org/targets";
import type { SnapshotAccount } from "../org/snapshot";
import { auditRoleArn } from "./audit-role";
import type { DriftAws } from "./aws";
import { accountTarget, finding, type CheckResult, type CheckedUnit, type Finding } from "./finding";
import { checkRole, type ExpectedRole } from "./roles";
import { compareStrings } from "../common/compare";

/**
 * Check 5 (--deep): for every in-scope member account, assume the audit role there
 * (arn:<partition>:iam::<account>:role/<audit role>) once and read each integration's member role with IAM.
 * Bounded concurrency (mapLimit), retries by the clients' middleware (aws/client.ts instrument), progress on a TTY. An account that cannot be
 * assumed is a finding for every integration that covers it, never dropped. Accounts computeOuCover cannot
 * cover have no role by design: a missing role there is a warning (check 3 already says why), unless synth gave
 * them the role directly (MemberRoleExpectation.direct, stackSet.uncoveredAccounts "direct"): then they are checked like
 * every other member account.
 */
/** One integration's member role as check 5 expects it: the role, and the live plan's scope, cover and direct accounts. */
export interface MemberRoleExpectation {
  expected: ExpectedRole;
  scope: Scope;
  cover: OuCover;
  /** Accounts that get the member role directly (not through the StackSet): a missing role there is an error. */
  direct?: ReadonlySet<string>;
}

export async function checkMemberRoles(
  aws: DriftAws,
  expectations: MemberRoleExpectation[],
  opts: { auditRoleName: string; partition: Partition; concurrency: number; log: Logger },
): Promise<CheckResult> {
  const accounts = new Map<string, { account: SnapshotAccount; expected: MemberRoleExpectation[] }>();
  for (const p of expectations) {
    for (const a of p.scope.inScope) {
      if (a.isManagementAccount) continue;
      const entry = accounts.get(a.id) ?? { account: a, expected: [] };
      entry.expected.push(p);
      accounts.set(a.id, entry);
    }
  }
  const list = [...accounts.values()].sort((x, y) => compareStrings(x.account.id, y.account.id));
  const units: CheckedUnit[] = [];
  for (const { account, expected: ps } of list)
    for (const p of ps)
      units.push({ check: "member-role", integration: p.expected.integration, target: accountTarget(account) });
  let done = 0;
  const per = await mapLimit(list, opts.concurrency, async ({ account, expected: ps }): Promise<Finding[]> => {
    const target = accountTarget(account);
    const roleArn = auditRoleArn(opts.partition, account.id, opts.auditRoleName);
    let iam: IAMClient;
    try {
      iam = await aws.iamIn(roleArn);
    } catch (e) {
      const why = explainAwsError(e, "AssumeRole", "sts", aws.who).message;
      done++;
      return ps.map((p) =>
        finding("account-not-assumable", {
          integration: p.expected.integration,
          target,
          message: `cannot assume ${roleArn}: ${why}`,
          expected: `AssumeRole ${roleArn}`,
          found: (e as { name?: string }).name ?? "error",
        }),
      );
    }
    try {
      const out: Finding[] = [];
      for (const p of ps) {
        const fs = await checkRole(aws, iam, "member-role", target, p.expected, false);
        const uncovered = !p.direct?.has(account.id) && p.cover.uncovered.some((u) => u.account.id === account.id);
        out.push(
          ...fs.map((f) =>
            uncovered && f.kind === "role-missing"
              ? {
                  ...f,
                  severity: "warning" as const,
                  message: `${f.message} (the StackSet cannot cover this account, see account-not-coverable)`,
                }
              : f,
          ),
        );
      }
      return out;
    } finally {
      iam.destroy();
      done++;
      opts.log.progress(`drift --deep: ${done}/${list.length} accounts`);
    }
  });
  opts.log.done();
  return { units, findings: per.flat() };
}
