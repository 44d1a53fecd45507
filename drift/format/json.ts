import type { DriftReport } from "../report";

/**
 * The JSON report: the DriftReport as is (schema: drift/finding.schema.json, DRIFT_REPORT_SCHEMA_VERSION).
 * Findings and checked units are already sorted deterministically; keys come out in declaration order.
 */
export function formatJson(report: DriftReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
