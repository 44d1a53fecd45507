import {
  DescribeStackSetCommand,
  paginateListStackInstances,
  type StackInstanceSummary,
  type StackSet,
} from "@aws-sdk/client-cloudformation";
import type { ResolvedIntegration } from "../config/resolve";
import type { DriftAws } from "./aws";
import { finding, type CheckResult, type Finding, type Target } from "./finding";
import { parseTemplate, shortJson, templateDifferences } from "./template";

/**
 * Check 2: the member-role StackSet in the home region (CallAs DELEGATED_ADMIN when the integration's discovery
 * role lives in the delegated administrator): it exists, is SERVICE_MANAGED with auto-deployment on, its
 * template and parameters equal what synthesis produces now (semantically; secret parameters only for
 * presence), and the OUs its instances were deployed through equal the computed OU cover where AWS reports them.
 */
export interface ExpectedStackSet {
  templateBody: string;
  /** Parameter values synthesis sets (with the external ID when known, else a placeholder). */
  parameters: Record<string, string>;
  /** Parameter keys holding the external ID or marked NoEcho: never printed. */
  secretParameters: Set<string>;
  /** Keys compared for presence only: NoEcho (AWS masks them) and the external ID when its value is unknown. */
  presenceOnly: Set<string>;
  /** computeOuCover targets of the scope synthesis uses. */
  targets: string[];
  /** Targets with at least one member account below them (AWS reports an OU only through its instances). */
  populatedTargets: Set<string>;
}

export interface LiveStackSet {
  stackSet?: StackSet;
  instances: StackInstanceSummary[];
}

/** Reads the StackSet and every stack instance (paginated). A missing StackSet is not an error here. */
export async function readStackSet(aws: DriftAws, integration: ResolvedIntegration): Promise<LiveStackSet> {
  const cfn = aws.cloudFormation(integration.homeRegion);
  const name = integration.stackSet.name;
  const CallAs = integration.stackSet.callAs;
  const stackSet = await aws.call("DescribeStackSet", "cloudformation", async () => {
    try {
      return (await cfn.send(new DescribeStackSetCommand({ StackSetName: name, CallAs }))).StackSet;
    } catch (e) {
      if ((e as { name?: string }).name === "StackSetNotFoundException") return undefined;
      throw e;
    }
  });
  if (!stackSet || stackSet.Status === "DELETED") return { instances: [] };
  const pages = paginateListStackInstances({ client: cfn, pageSize: 100 }, { StackSetName: name, CallAs });
  const instances = await aws.collect(
    "ListStackInstances",
    "cloudformation",
    `StackSet ${name}`,
    pages,
    (p) => p.NextToken,
    (p) => p.Summaries,
  );
  return { stackSet, instances };
}

export function checkStackSet(
  integration: ResolvedIntegration,
  live: LiveStackSet,
  expected: ExpectedStackSet,
): CheckResult {
  const name = integration.stackSet.name;
  const target: Target = {
    type: "stackset",
    id: name,
    name: `${integration.homeRegion}${integration.stackSet.callAs === "DELEGATED_ADMIN" ? ", DELEGATED_ADMIN" : ""}`,
  };
  const units = [{ check: "stackset" as const, integration: integration.name, target }];
  const findings: Finding[] = [];
  const base = { integration: integration.name, target };
  const s = live.stackSet;
  if (!s) {
    findings.push(
      finding("stackset-missing", {
        ...base,
        message: `StackSet ${name} does not exist in ${integration.homeRegion}`,
        expected: "a SERVICE_MANAGED StackSet",
        found: null,
      }),
    );
    return { units, findings };
  }
  if (s.PermissionModel !== "SERVICE_MANAGED") {
    findings.push(
      finding("stackset-permission-model", {
        ...base,
        message: `StackSet ${name} uses permission model ${s.PermissionModel ?? "SELF_MANAGED"}`,
        expected: "SERVICE_MANAGED",
        found: s.PermissionModel ?? "SELF_MANAGED",
      }),
    );
  }
  const ad = s.AutoDeployment;
  if (!ad || ad.Enabled === undefined) {
    findings.push(
      finding("stackset-auto-deployment-unknown", {
        ...base,
        message: `DescribeStackSet reported no AutoDeployment for ${name}; auto-deployment not checked`,
        expected: "Enabled=true",
        found: null,
      }),
    );
  } else if (!ad.Enabled) {
    findings.push(
      finding("stackset-auto-deployment-disabled", {
        ...base,
        message: `auto-deployment is off for ${name}: accounts that join a targeted OU get no role`,
        expected: "Enabled=true",
        found: "Enabled=false",
      }),
    );
  } else if (
    ad.RetainStacksOnAccountRemoval !== undefined &&
    ad.RetainStacksOnAccountRemoval !== integration.stackSet.retainStacksOnAccountRemoval
  ) {
    findings.push(
      finding("stackset-retain-stacks-differs", {
        ...base,
        message: `RetainStacksOnAccountRemoval is ${ad.RetainStacksOnAccountRemoval} on ${name}`,
        expected: String(integration.stackSet.retainStacksOnAccountRemoval),
        found: String(ad.RetainStacksOnAccountRemoval),
      }),
    );
  }
  findings.push(...compareTemplate(integration, s, expected, base));
  findings.push(...compareParameters(s, expected, base));
  findings.push(...compareTargets(live.instances, expected, base, name));
  return { units, findings };
}

function compareTemplate(
  integration: ResolvedIntegration,
  s: StackSet,
  expected: ExpectedStackSet,
  base: { integration: string; target: Target },
): Finding[] {
  const want = parseTemplate(expected.templateBody);
  let got: unknown;
  try {
    got = parseTemplate(s.TemplateBody ?? "");
  } catch (e) {
    return [
      finding("stackset-template-differs", {
        ...base,
        message: `the template of ${integration.stackSet.name} cannot be parsed: ${(e as Error).message}`,
        expected: "the synthesized member-role template",
        found: "unparseable template",
      }),
    ];
  }
  const diffs = templateDifferences(want, got);
  if (!diffs.length) return [];
  // A literal where the template references the ExternalId parameter would be the secret itself: never show it.
  const show = (path: string, v: unknown) => (/externalid/i.test(path) ? "<redacted: external ID>" : shortJson(v));
  return [
    finding("stackset-template-differs", {
      ...base,
      message: `the template of ${integration.stackSet.name} differs from the synthesized one at ${diffs.map((d) => d.path).join(", ")}`,
      expected: `${diffs[0].path}: ${show(diffs[0].path, diffs[0].expected)}`,
      found: `${diffs[0].path}: ${show(diffs[0].path, diffs[0].found)}`,
    }),
  ];
}

function compareParameters(
  s: StackSet,
  expected: ExpectedStackSet,
  base: { integration: string; target: Target },
): Finding[] {
  const got = new Map(
    (s.Parameters ?? []).map((p) => [p.ParameterKey ?? "", p.ParameterValue ?? p.ResolvedValue ?? ""]),
  );
  const show = (k: string, v: string | undefined) =>
    v === undefined ? `${k} (absent)` : expected.secretParameters.has(k) ? `${k}=<secret>` : `${k}=${v}`;
  const differing: string[] = [];
  for (const [k, v] of Object.entries(expected.parameters)) {
    if (!got.has(k)) differing.push(k);
    else if (!expected.presenceOnly.has(k) && got.get(k) !== v) differing.push(k);
  }
  for (const k of got.keys()) if (!(k in expected.parameters)) differing.push(k);
  if (!differing.length) return [];
  differing.sort();
  return [
    finding("stackset-parameters-differ", {
      ...base,
      message: `StackSet parameter(s) ${differing.join(", ")} differ from the synthesized values`,
      expected: differing.map((k) => show(k, expected.parameters[k])).join(", "),
      found: differing.map((k) => show(k, got.get(k))).join(", "),
    }),
  ];
}

function compareTargets(
  instances: StackInstanceSummary[],
  expected: ExpectedStackSet,
  base: { integration: string; target: Target },
  name: string,
): Finding[] {
  const reported = new Set(instances.map((i) => i.OrganizationalUnitId).filter((x): x is string => !!x));
  if (!reported.size) return []; // AWS (or the emulator) does not report targets: nothing to compare
  const want = new Set(expected.targets);
  const unexpected = [...reported].filter((t) => !want.has(t)).sort();
  const missing = [...expected.populatedTargets].filter((t) => !reported.has(t)).sort();
  if (!unexpected.length && !missing.length) return [];
  const parts = [
    unexpected.length ? `deployed through ${unexpected.join(", ")} which the computed cover does not target` : "",
    missing.length ? `no instance deployed through ${missing.join(", ")}` : "",
  ].filter(Boolean);
  return [
    finding("stackset-targets-differ", {
      ...base,
      message: `deployment targets of ${name}: ${parts.join("; ")}`,
      expected: [...want].sort().join(", ") || "(none)",
      found: [...reported].sort().join(", "),
    }),
  ];
}
