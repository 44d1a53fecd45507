import {
  compareFindings,
  compareUnits,
  severityAtLeast,
  unitKey,
  type CheckedUnit,
  type Finding,
  type Severity,
} from "./finding";

/** Bump on any incompatible change to the JSON report; drift/finding.schema.json documents this version. */
export const DRIFT_REPORT_SCHEMA_VERSION = 1;

export interface DriftSummary {
  errors: number;
  warnings: number;
  infos: number;
  total: number;
  /** Units examined (JUnit test cases). */
  checked: number;
  /** Findings at or above failOn. */
  failing: number;
  /** The exit code: 1 when failing > 0, else 0. */
  exitCode: 0 | 1;
}

export interface DriftReport {
  schemaVersion: typeof DRIFT_REPORT_SCHEMA_VERSION;
  organizationId: string;
  managementAccountId: string;
  /** Snapshot file compared with the live organization; null when none was given. */
  snapshot: string | null;
  integrations: string[];
  deep: boolean;
  failOn: Severity;
  summary: DriftSummary;
  /** Sorted: severity, check, integration, target, kind. */
  findings: Finding[];
  /** Every unit examined, sorted: check, integration, target. */
  checked: CheckedUnit[];
}

/** The report's own fields, plus the findings and the units the checks examined (both sorted here). */
export type ReportInput = Omit<DriftReport, "schemaVersion" | "summary" | "checked"> & { units: CheckedUnit[] };

export function buildReport(p: ReportInput): DriftReport {
  const findings = [...p.findings].sort(compareFindings);
  // Every finding's target is a checked unit, even when the check did not list it.
  const seen = new Map<string, CheckedUnit>();
  for (const u of p.units) seen.set(unitKey(u), { check: u.check, integration: u.integration, target: u.target });
  for (const f of findings)
    if (!seen.has(unitKey(f))) seen.set(unitKey(f), { check: f.check, integration: f.integration, target: f.target });
  const checked = [...seen.values()].sort(compareUnits);
  const count = (s: Severity) => findings.filter((f) => f.severity === s).length;
  const failing = findings.filter((f) => severityAtLeast(f.severity, p.failOn)).length;
  return {
    schemaVersion: DRIFT_REPORT_SCHEMA_VERSION,
    organizationId: p.organizationId,
    managementAccountId: p.managementAccountId,
    snapshot: p.snapshot,
    integrations: [...p.integrations].sort(),
    deep: p.deep,
    failOn: p.failOn,
    summary: {
      errors: count("error"),
      warnings: count("warning"),
      infos: count("info"),
      total: findings.length,
      checked: checked.length,
      failing,
      exitCode: failing > 0 ? 1 : 0,
    },
    findings,
    checked,
  };
}
