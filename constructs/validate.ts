import { Token } from "cdktf";
import { InputError } from "../common/errors";
import {
  ARN_RE,
  EXTERNAL_ID_RE,
  IAM_PATH_RE,
  OU_ID_RE,
  REGION_RE,
  ROLE_NAME_RE,
  ROOT_ID_RE,
  principalArn,
} from "../common/ids";
import type { PolicyDocument } from "./member-role-policy";

/**
 * Constructor checks shared by the constructs. Each throws an InputError (exit 2 from the CLI) that names the
 * construct and the prop: "DiscoveryRole props.roleName: ...". Values that are unresolved cdktf tokens (a
 * Terraform expression such as a generated external ID) are accepted where a token is legitimate.
 */
export class PropsChecker {
  constructor(private readonly construct: string) {}

  fail(prop: string, problem: string): never {
    throw new InputError(`${this.construct} props.${prop}: ${problem}`);
  }

  required<T>(prop: string, value: T | undefined | null): T {
    if (value === undefined || value === null || (typeof value === "string" && value === ""))
      this.fail(prop, "is required");
    return value;
  }

  roleName(prop: string, value: string): void {
    this.required(prop, value);
    if (!ROLE_NAME_RE.test(value))
      this.fail(prop, `"${value}" must be an IAM role name: 1-64 characters of letters, digits and + = , . @ _ -`);
  }

  iamPath(prop: string, value: string | undefined): void {
    if (value !== undefined && !IAM_PATH_RE.test(value))
      this.fail(prop, `"${value}" must be an IAM path that begins and ends with "/"`);
  }

  principal(prop: string, value: string): void {
    this.required(prop, value);
    if (!principalArn.safeParse(value).success)
      this.fail(
        prop,
        `"${value}" must be an IAM principal ARN such as arn:<partition>:iam::123456789012:role/Name or :root`,
      );
  }

  /** An external ID: a literal in the allowed alphabet, or a string holding a Terraform expression (never echoed). */
  externalId(prop: string, value: string): void {
    this.required(prop, value);
    if (Token.isUnresolved(value) || /\$\{/.test(value)) return;
    if (!EXTERNAL_ID_RE.test(value))
      this.fail(prop, "must be 2-1,224 characters of letters, digits and + = , . @ : / _ - (value not shown)");
  }

  sessionDuration(prop: string, value: number | undefined): void {
    if (value === undefined) return;
    if (!Number.isInteger(value) || value < 3600 || value > 43200)
      this.fail(prop, `${value} must be a whole number of seconds from 3600 to 43200`);
  }

  arn(prop: string, value: string | undefined): void {
    if (value === undefined) return;
    if (!ARN_RE.test(value)) this.fail(prop, `"${value}" must be an ARN`);
  }

  region(prop: string, value: string): void {
    this.required(prop, value);
    if (!REGION_RE.test(value)) this.fail(prop, `"${value}" must be an AWS region such as us-east-1`);
  }

  percentage(prop: string, value: number, min: number): void {
    if (!Number.isInteger(value) || value < min || value > 100)
      this.fail(prop, `${value} must be a whole number from ${min} to 100`);
  }

  tags(prop: string, value: Record<string, string> | undefined): void {
    if (!value) return;
    const keys = Object.keys(value);
    if (keys.length > 50) this.fail(prop, `has ${keys.length} tags, at most 50 are allowed`);
    for (const k of keys) {
      if (k.length < 1 || k.length > 128) this.fail(prop, `tag key "${k}" must be 1-128 characters`);
      if (k.toLowerCase().startsWith("aws:")) this.fail(prop, `tag key "${k}" uses the reserved aws: prefix`);
      if (String(value[k]).length > 256) this.fail(prop, `tag "${k}" has a value longer than 256 characters`);
    }
  }

  /** An OU or root id, or a token (the root looked up at apply time). */
  target(prop: string, value: string): void {
    if (Token.isUnresolved(value)) return;
    if (!OU_ID_RE.test(value) && !ROOT_ID_RE.test(value))
      this.fail(prop, `"${value}" must be an OU id (ou-xxxx-xxxxxxxx) or a root id (r-xxxx)`);
  }

  policy(prop: string, doc: PolicyDocument | undefined): void {
    if (!doc) return;
    if (doc.Version !== "2012-10-17") this.fail(prop, 'Version must be "2012-10-17"');
    if (!Array.isArray(doc.Statement) || doc.Statement.length === 0)
      this.fail(prop, "must have at least one statement");
  }
}

/** Action verbs a read-only role must never be granted. */
export const WRITE_VERBS = [
  "Create",
  "Update",
  "Delete",
  "Put",
  "Attach",
  "Detach",
  "Invite",
  "Move",
  "Close",
  "Remove",
  "Tag",
  "Untag",
  "Enable",
  "Disable",
  "Register",
  "Deregister",
  "Accept",
  "Decline",
  "Leave",
  "Cancel",
  "Set",
  "Start",
  "Stop",
  "Import",
];

/** The allowed actions of a policy that write (or wildcards), for refusing them on read-only roles. */
export function writeActions(doc: PolicyDocument): string[] {
  const bad: string[] = [];
  for (const s of doc.Statement) {
    if (s.Effect !== "Allow") continue;
    for (const action of Array.isArray(s.Action) ? s.Action : [s.Action]) {
      const verb = action.split(":")[1] ?? "";
      if (action.includes("*") || WRITE_VERBS.some((v) => verb.startsWith(v))) bad.push(action);
    }
  }
  return bad;
}

/** snake_case form of a construct id, for readable Terraform resource names. */
export function snakeId(id: string): string {
  return id
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9_]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toLowerCase();
}
