import type { DriftReport } from "../report";
import { formatJson } from "./json";
import { formatJunit } from "./junit";
import { formatMarkdown } from "./markdown";
import { formatText } from "./text";

export const FORMATS = ["text", "json", "junit", "markdown"] as const;
export type Format = (typeof FORMATS)[number];

export const FORMATTERS: Record<Format, (r: DriftReport) => string> = {
  text: formatText,
  json: formatJson,
  junit: formatJunit,
  markdown: formatMarkdown,
};

export function formatReport(report: DriftReport, format: Format): string {
  return FORMATTERS[format](report);
}
