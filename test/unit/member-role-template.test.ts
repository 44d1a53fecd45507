import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import YAML from "yaml";
import type { ResolvedIntegration } from "../../config/resolve";
import {
  DATA_READ_ACTIONS,
  MEMBER_INLINE_POLICY_NAME,
  memberBoundaryIn,
  memberInlinePolicy,
  memberRoleParameters,
  memberRoleTemplateBody,
  memberRoleTemplatePath,
  memberTrustPolicy,
} from "../../constructs/member-role-policy";
import { integrationFrom } from "../fixtures/constructs";

/**
 * The member-role CloudFormation template is static; parameters carry every difference between integrations.
 * Checked here: (1) cfn-lint passes (error bit) on the template and on the template with each policy variant's
 * parameter values (cfn-lint resolves conditions and Refs with them); (2) evaluating the template with
 * memberRoleParameters() yields exactly memberTrustPolicy() / memberInlinePolicy(): the TypeScript module the
 * drift check uses and the template can never disagree.
 */

const TRUSTED = "arn:aws:iam::444455556666:role/backstage-backend";
const EXT = "Zx9-Qp4_Lm2.Rt7-Vb1_Nc8.Hy3-Kd6_Wf0";

/** The policy variants the config can ask for. */
const VARIANTS: Array<[string, string]> = [
  ["ReadOnlyAccess (default)", ""],
  ["SecurityAudit", "memberRole: { policy: SecurityAudit }"],
  ["ViewOnlyAccess + DescribeOrganization", "memberRole: { policy: ViewOnlyAccess }"],
  [
    "explicit policy list",
    `memberRole: { policyArns: ["arn:aws:iam::aws:policy/SecurityAudit", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"] }`,
  ],
  ["deny data reads", "memberRole: { denyDataReads: true }"],
  [
    "ViewOnly + deny + boundary in each account + path + 12h",
    `memberRole: { policy: ViewOnlyAccess, denyDataReads: true, permissionsBoundary: "arn:aws:iam::\${AWS::AccountId}:policy/org/boundary", path: /orgtrust/readers/, maxSessionDuration: 43200 }`,
  ],
  ["AWS managed boundary", `memberRole: { permissionsBoundary: "arn:aws:iam::aws:policy/ReadOnlyAccess" }`],
];
/** The member account the template is evaluated in (its AWS::AccountId). */
const MEMBER = "210987654321";
const variantIntegration = (extra: string) =>
  integrationFrom("backstage", `consumer: backstage\ntrustedPrincipal: ${TRUSTED}${extra ? `\n${extra}` : ""}`);

// ---------------------------------------------------------------------------------------------------------------
// A small evaluator for the intrinsic functions the template uses.

type Node = unknown;
const scalarTag = (tag: string, fn: (s: string) => Node) => ({ tag, resolve: (s: string) => fn(s) });
const seqTag = (tag: string, fn: (v: Node[]) => Node) => ({
  tag,
  collection: "seq" as const,
  resolve: (s: { toJSON(): Node[] }) => fn(s.toJSON()),
});
const CFN_TAGS = [
  scalarTag("!Ref", (s) => ({ Ref: s })),
  scalarTag("!Condition", (s) => ({ Condition: s })),
  scalarTag("!GetAtt", (s) => ({ "Fn::GetAtt": s.split(".") })),
  scalarTag("!Sub", (s) => ({ "Fn::Sub": s })),
  seqTag("!If", (v) => ({ "Fn::If": v })),
  seqTag("!Equals", (v) => ({ "Fn::Equals": v })),
  seqTag("!Not", (v) => ({ "Fn::Not": v })),
  seqTag("!Or", (v) => ({ "Fn::Or": v })),
  seqTag("!And", (v) => ({ "Fn::And": v })),
  seqTag("!Join", (v) => ({ "Fn::Join": v })),
];

interface Template {
  Parameters: Record<
    string,
    {
      Type: string;
      Default?: string | number;
      AllowedPattern?: string;
      AllowedValues?: string[];
      MinValue?: number;
      MaxValue?: number;
    }
  >;
  Conditions: Record<string, Node>;
  Resources: Record<string, { Type: string; Properties: Record<string, Node> }>;
}

function parseTemplate(): Template {
  return YAML.parse(memberRoleTemplateBody(), { customTags: CFN_TAGS as never }) as Template;
}

const NO_VALUE = Symbol("AWS::NoValue");

/** Evaluates a template fragment with parameter values, as CloudFormation would. */
function evaluate(t: Template, params: Record<string, string>, node: Node): Node {
  const condition = (name: string): boolean => {
    const c = t.Conditions[name];
    if (c === undefined) throw new Error(`unknown condition ${name}`);
    return Boolean(evaluate(t, params, c));
  };
  const ev = (n: Node): Node => evaluate(t, params, n);
  if (Array.isArray(node)) return node.map(ev).filter((x) => x !== NO_VALUE);
  if (node && typeof node === "object") {
    const o = node as Record<string, Node>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      const [k] = keys;
      const v = o[k];
      if (k === "Ref") {
        const name = v as string;
        if (name === "AWS::NoValue") return NO_VALUE;
        if (name === "AWS::AccountId") return MEMBER;
        if (name === "AWS::Partition") return "aws";
        const p = t.Parameters[name];
        if (!p) throw new Error(`Ref to unknown parameter ${name}`);
        const value = params[name] ?? (p.Default === undefined ? undefined : String(p.Default));
        if (value === undefined) throw new Error(`parameter ${name} has no value`);
        if (p.Type === "CommaDelimitedList") return value.split(",");
        if (p.Type === "Number") return Number(value);
        return value;
      }
      if (k === "Condition") return condition(v as string);
      if (k === "Fn::If") {
        const [c, a, b] = v as Node[];
        return condition(c as string) ? ev(a) : ev(b);
      }
      if (k === "Fn::Equals") {
        const [a, b] = (v as Node[]).map(ev);
        return a === b;
      }
      if (k === "Fn::Join") {
        const [sep, parts] = v as [string, Node[]];
        return (ev(parts) as Node[]).join(sep);
      }
      if (k === "Fn::Not") return !(ev((v as Node[])[0]) as boolean);
      if (k === "Fn::Or") return (v as Node[]).some((x) => ev(x));
      if (k === "Fn::And") return (v as Node[]).every((x) => ev(x) as boolean);
    }
    const out: Record<string, Node> = {};
    for (const [k, v] of Object.entries(o)) {
      const r = ev(v);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  }
  return node;
}

/** Checks a parameter value against the template's constraints (what CloudFormation validates on CreateStackSet). */
function checkParameter(t: Template, name: string, value: string): string | undefined {
  const p = t.Parameters[name];
  if (p.AllowedPattern && !new RegExp(p.AllowedPattern).test(value))
    return `${name} does not match ${p.AllowedPattern}`;
  if (p.AllowedValues && !p.AllowedValues.includes(value)) return `${name} not in ${p.AllowedValues.join(",")}`;
  if (p.MinValue !== undefined && Number(value) < p.MinValue) return `${name} below ${p.MinValue}`;
  if (p.MaxValue !== undefined && Number(value) > p.MaxValue) return `${name} above ${p.MaxValue}`;
  return undefined;
}

function roleFor(integ: ResolvedIntegration): Record<string, Node> {
  const t = parseTemplate();
  return evaluate(t, memberRoleParameters(integ, EXT), t.Resources.MemberRole.Properties) as Record<string, Node>;
}

describe("member-role template agrees with constructs/member-role-policy.ts", () => {
  test("the template path points at the file in templates/member-role", () => {
    expect(memberRoleTemplatePath().endsWith(path.join("templates", "member-role", "member-role.yaml"))).toBe(true);
    expect(fs.readFileSync(memberRoleTemplatePath(), "utf8")).toBe(memberRoleTemplateBody());
  });

  test("parameters: exactly the template's, and each value meets the template's constraints", () => {
    const t = parseTemplate();
    for (const [, extra] of VARIANTS) {
      const params = memberRoleParameters(variantIntegration(extra), EXT);
      expect(Object.keys(params).sort()).toEqual(Object.keys(t.Parameters).sort());
      for (const [k, v] of Object.entries(params)) expect(checkParameter(t, k, v)).toBeUndefined();
    }
    // The constraints bite: a bad value is refused.
    expect(checkParameter(t, "ExternalId", "has space")).toBeDefined();
    expect(checkParameter(t, "TrustedPrincipal", "arn:aws:s3:::bucket")).toBeDefined();
    expect(checkParameter(t, "MaxSessionDuration", "100")).toBeDefined();
  });

  test.each(VARIANTS)(
    "%s: trust, inline policy, managed policies, boundary, path and session match",
    (_label, extra) => {
      const integ = variantIntegration(extra);
      const role = roleFor(integ);
      expect(role.AssumeRolePolicyDocument).toEqual(memberTrustPolicy(integ, EXT));
      const inline = memberInlinePolicy(integ);
      if (inline) {
        expect(role.Policies).toEqual([{ PolicyName: MEMBER_INLINE_POLICY_NAME, PolicyDocument: inline }]);
      } else {
        expect(role.Policies).toBeUndefined();
      }
      expect(role.ManagedPolicyArns).toEqual(integ.memberRole.policyArns);
      expect(role.PermissionsBoundary).toBe(memberBoundaryIn(integ, MEMBER));
      expect(role.Path).toBe(integ.memberRole.path);
      expect(role.RoleName).toBe(integ.memberRole.name);
      expect(role.MaxSessionDuration).toBe(integ.memberRole.maxSessionDuration);
    },
  );

  test("a boundary in each account resolves to the account's own policy; an AWS managed one stays as given", () => {
    const each = roleFor(variantIntegration(VARIANTS.find(([l]) => l.includes("boundary in each account"))![1]));
    expect(each.PermissionsBoundary).toBe(`arn:aws:iam::${MEMBER}:policy/org/boundary`);
    const managed = roleFor(variantIntegration(VARIANTS.find(([l]) => l === "AWS managed boundary")![1]));
    expect(managed.PermissionsBoundary).toBe("arn:aws:iam::aws:policy/ReadOnlyAccess");
    expect(roleFor(variantIntegration("")).PermissionsBoundary).toBeUndefined();
  });

  test("the template's deny list is DATA_READ_ACTIONS", () => {
    const role = roleFor(variantIntegration("memberRole: { denyDataReads: true }"));
    const doc = (
      role.Policies as Array<{ PolicyDocument: { Statement: Array<{ Effect: string; Action: string[] }> } }>
    )[0].PolicyDocument;
    expect(doc.Statement.find((s) => s.Effect === "Deny")!.Action).toEqual([...DATA_READ_ACTIONS]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// cfn-lint (exit code is a bit mask: 2 error, 4 warning, 8 informational; gate on the error bit).

const cfnLintAvailable = spawnSync("cfn-lint", ["--version"], { encoding: "utf8" }).status === 0;
if (!cfnLintAvailable) {
  console.warn(
    "\n*** cfn-lint is not on PATH: the member-role template lint tests are SKIPPED (install: pip install cfn-lint). ***\n",
  );
}
const lintTest = cfnLintAvailable ? test : test.skip;

interface LintFinding {
  Level: "Error" | "Warning" | "Informational";
  Message: string;
  Rule: { Id: string };
}

function cfnLint(args: string[]): { rc: number; findings: LintFinding[] } {
  const r = spawnSync("cfn-lint", ["--format", "json", ...args, "--", memberRoleTemplatePath()], {
    encoding: "utf8",
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  return { rc: r.status ?? -1, findings: r.stdout.trim() ? (JSON.parse(r.stdout) as LintFinding[]) : [] };
}

describe("cfn-lint on the member-role template", () => {
  test("cfn-lint is installed (required under CI=true)", () => {
    if (process.env.CI === "true") expect(cfnLintAvailable).toBe(true);
  });

  lintTest("the template: no error", () => {
    const { rc, findings } = cfnLint([]);
    expect(findings.filter((f) => f.Level === "Error")).toEqual([]);
    expect(rc & 2).toBe(0);
  });

  lintTest(
    "the template with every variant's parameter values: no error, and no value the resource schema rejects",
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-cfnlint-"));
      try {
        const files = VARIANTS.map(([label, extra], i) => {
          const params = memberRoleParameters(variantIntegration(extra), EXT);
          const file = path.join(dir, `variant-${i}.json`);
          const body = Object.entries(params).map(([k, v]) => ({
            ParameterKey: k,
            ParameterValue: k === "ManagedPolicyArns" ? v.split(",") : v,
          }));
          fs.writeFileSync(file, JSON.stringify(body));
          return { label, file };
        });
        const { rc, findings } = cfnLint(["--parameter-files", ...files.map((f) => f.file)]);
        expect(findings.filter((f) => f.Level === "Error")).toEqual([]);
        // W1030: a parameter value resolved into a property fails that property's schema (e.g. a bad ARN).
        expect(findings.filter((f) => f.Rule.Id === "W1030")).toEqual([]);
        expect(rc & 2).toBe(0);

        // The variant check can fail: a bad value is reported against its file.
        const bad = path.join(dir, "bad.json");
        const params = memberRoleParameters(variantIntegration(""), EXT);
        fs.writeFileSync(
          bad,
          JSON.stringify(
            Object.entries({ ...params, MaxSessionDuration: "60" }).map(([k, v]) => ({
              ParameterKey: k,
              ParameterValue: k === "ManagedPolicyArns" ? v.split(",") : v,
            })),
          ),
        );
        const badRun = cfnLint(["--parameter-files", bad]);
        expect(badRun.findings.some((f) => f.Rule.Id === "W1030" && f.Message.includes("MaxSessionDuration"))).toBe(
          true,
        );
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
