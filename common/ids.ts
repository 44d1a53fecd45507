import { z } from "zod";
import { KNOWN_REGIONS } from "./regions";

/** AWS partitions orgtrust supports. */
export const PARTITIONS = ["aws", "aws-us-gov", "aws-cn"] as const;
export type Partition = (typeof PARTITIONS)[number];

export const ACCOUNT_ID_RE = /^\d{12}$/;
export const OU_ID_RE = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
export const ROOT_ID_RE = /^r-[0-9a-z]{4,32}$/;
/** IAM role names: 1-64 of alphanumerics and + = , . @ _ - */
export const ROLE_NAME_RE = /^[\w+=,.@-]{1,64}$/;
/** IAM paths: begin and end with "/", at most 512 characters. */
export const IAM_PATH_RE = /^\/([\x21-\x7e]{0,510}\/)?$/;
/** External IDs: 2-1,224 characters from [A-Za-z0-9+=,.@:/_-], no whitespace. */
export const EXTERNAL_ID_RE = /^[\w+=,.@:/-]{2,1224}$/;
export const REGION_RE = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
export const ARN_RE = /^arn:(aws|aws-us-gov|aws-cn):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|aws)?:(.+)$/;

export const accountId = z
  .string()
  .regex(ACCOUNT_ID_RE, 'must be a 12-digit AWS account ID in quotes, such as "012345678901"');
export const ouId = z.string().regex(OU_ID_RE, 'must be an OU ID such as "ou-ab12-cdef3456"');
export const rootId = z.string().regex(ROOT_ID_RE, 'must be a root ID such as "r-ab12"');
export const roleName = z
  .string()
  .regex(ROLE_NAME_RE, "must be an IAM role name: 1-64 characters of letters, digits and + = , . @ _ -");
export const iamPath = z.string().regex(IAM_PATH_RE, 'must be an IAM path that begins and ends with "/"');
export const externalIdValue = z
  .string()
  .regex(EXTERNAL_ID_RE, "must be 2-1,224 characters of letters, digits and + = , . @ : / _ - with no spaces");
/**
 * True for a region AWS has: one the AWS SDK's partition data lists (aws, aws-cn, aws-us-gov, the ISO partitions),
 * copied in common/regions.ts. A name of the right shape that no partition lists (us-east-9) is refused.
 */
function knownRegion(value: string): boolean {
  return REGION_RE.test(value) && KNOWN_REGIONS.has(value);
}
export const region = z.string().regex(REGION_RE, 'must be an AWS region such as "us-east-1"').refine(knownRegion, {
  message: 'is not a region AWS has (per the AWS SDK\'s region list); use one such as "us-east-1" or "eu-west-1"',
  abort: true,
});
export const partition = z.enum(PARTITIONS, { message: `must be one of ${PARTITIONS.join(", ")}` });
export const arn = z.string().regex(ARN_RE, 'must be an ARN such as "arn:aws:iam::123456789012:role/Name"');
/**
 * The account part of a member-role policy ARN that means "the account the role is in": a customer managed policy of
 * that path and name that exists in every member account (CloudFormation's own pseudo parameter, resolved per account).
 */
export const EACH_ACCOUNT = "${AWS::AccountId}";
/** An IAM managed policy ARN: AWS managed (account part `aws`), one account's, or every account's (EACH_ACCOUNT). */
const POLICY_ARN_RE =
  /^arn:(aws|aws-us-gov|aws-cn):iam::(aws|\d{12}|\$\{AWS::AccountId\}):policy\/[\x21-\x7e]{1,1024}$/;
export const policyArn = z
  .string()
  .regex(
    POLICY_ARN_RE,
    'must be an IAM policy ARN such as "arn:aws:iam::aws:policy/ReadOnlyAccess" or "arn:aws:iam::${AWS::AccountId}:policy/Name"',
  );

/** The account part of a policy ARN: "aws", 12 digits, or EACH_ACCOUNT. */
export function policyArnAccount(value: string): string | undefined {
  return POLICY_ARN_RE.exec(value)?.[2];
}
/** An IAM principal ARN (role, user or account root). */
export const principalArn = z
  .string()
  .regex(
    /^arn:(aws|aws-us-gov|aws-cn):(iam|sts)::\d{12}:(root|role\/.+|user\/.+|assumed-role\/.+)$/,
    'must be an IAM principal ARN such as "arn:aws:iam::123456789012:role/Name" or "arn:aws:iam::123456789012:root"',
  );

export function partitionOfArn(value: string): Partition | undefined {
  const m = /^arn:([^:]+):/.exec(value);
  return m && (PARTITIONS as readonly string[]).includes(m[1]) ? (m[1] as Partition) : undefined;
}

/** The region of a partition's Organizations endpoint. */
export function organizationsRegion(p: Partition): string {
  return { aws: "us-east-1", "aws-us-gov": "us-gov-west-1", "aws-cn": "cn-northwest-1" }[p];
}

/** The region STS and IAM default to in a partition when nothing else is said. */
export function defaultRegion(p: Partition): string {
  return organizationsRegion(p);
}

export function iamRoleArn(p: Partition, account: string, name: string, path = "/"): string {
  return `arn:${p}:iam::${account}:role${path}${name}`;
}

export function accountRootArn(p: Partition, account: string): string {
  return `arn:${p}:iam::${account}:root`;
}

export function managedPolicyArn(p: Partition, name: string): string {
  return `arn:${p}:iam::aws:policy/${name}`;
}
