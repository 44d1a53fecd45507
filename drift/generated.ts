import * as fs from "node:fs";
import * as path from "node:path";
import { type ScopeFlags } from "../org/scope-rules";
import type { Logger } from "../common/log";
import type { LoadedConfig } from "../config/load";
import type { ResolvedIntegration } from "../config/resolve";
import type { Snapshot } from "../org/snapshot";
import { runGenerate } from "../generate";
import { expectedExternalId } from "./external-id";
import { finding, type CheckResult, type CheckedUnit, type Finding, type Target } from "./finding";

/**
 * Check 6 (--generated DIR): the generator's check mode for every integration, against DIR/<integration>/.
 * Renders from the snapshot synthesis uses (the saved one, else the live org), compares in memory, writes
 * nothing. Each file that differs or is missing is a finding with remedy `orgtrust generate`; files in the folder
 * the generator no longer renders are warnings. Diffs are shown with every known external ID value redacted.
 * Render errors (a bad template or option) are bad input: exit 2, as with `orgtrust generate --check`.
 */
export const MAX_DIFF_LINES = 20;

export async function checkGenerated(p: {
  planned: Snapshot;
  integrations: ResolvedIntegration[];
  dir: string;
  loaded: LoadedConfig;
  /** The run's extra exclusions and --strict (default: none). */
  exclusions?: ScopeFlags;
  log: Logger;
}): Promise<CheckResult> {
  const units: CheckedUnit[] = [];
  const findings: Finding[] = [];
  const root = path.resolve(p.dir);
  const secrets = p.integrations.map((i) => expectedExternalId(i).value).filter((v): v is string => !!v);
  const redact = (s: string) => secrets.reduce((t, v) => t.split(v).join("<external-id redacted>"), s);
  for (const integration of p.integrations) {
    const result = await runGenerate({
      loaded: p.loaded,
      snapshot: p.planned,
      integrations: [integration],
      outDir: root,
      check: true,
      inlineSecrets: false,
      exclusions: p.exclusions,
      log: p.log,
    });
    const rendered = new Set<string>();
    for (const f of result.files) {
      if (f.status === "stale") continue; // no longer rendered: reported below with every other extra file
      rendered.add(path.resolve(f.path));
      const rel = path.relative(root, f.path) || f.path;
      const target: Target = { type: "file", id: rel, name: null };
      units.push({ check: "generated", integration: integration.name, target });
      const cmd = `orgtrust generate --integration ${integration.name}`;
      if (f.status === "missing") {
        findings.push(
          finding("generated-file-missing", {
            integration: integration.name,
            target,
            message: `${rel} is missing: \`${cmd}\` renders it`,
            expected: "the rendered file",
            found: null,
            fix: `Run \`${cmd}\` and commit the result.`,
          }),
        );
      } else if (f.status === "differs") {
        const diff = redact(f.diff ?? "").split("\n");
        const shown =
          diff.length > MAX_DIFF_LINES
            ? [...diff.slice(0, MAX_DIFF_LINES), `... ${diff.length - MAX_DIFF_LINES} more diff lines`]
            : diff;
        findings.push(
          finding("generated-file-differs", {
            integration: integration.name,
            target,
            message: `${rel} differs from what \`${cmd}\` renders now`,
            expected: "the rendered file (diff in found: - on disk, + rendered)",
            found: shown.join("\n"),
            fix: `Run \`${cmd}\` and commit the result.`,
          }),
        );
      }
    }
    const folder = path.join(root, integration.name);
    for (const file of listFiles(folder)) {
      if (rendered.has(file)) continue;
      const rel = path.relative(root, file);
      const target: Target = { type: "file", id: rel, name: null };
      units.push({ check: "generated", integration: integration.name, target });
      findings.push(
        finding("generated-file-extra", {
          integration: integration.name,
          target,
          message: `${rel} is not rendered by \`orgtrust generate\` any more`,
          expected: null,
          found: rel,
        }),
      );
    }
  }
  return { units, findings };
}

/** Files below a folder (recursively), skipping dot-files and orgtrust temp files. */
function listFiles(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => !e.name.startsWith("."))
    .flatMap((e) =>
      e.isDirectory() ? listFiles(path.join(dir, e.name)) : e.isFile() ? [path.resolve(dir, e.name)] : [],
    )
    .sort();
}
