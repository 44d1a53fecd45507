import * as path from "node:path";
import { InputError } from "../common/errors";
import type { LoadedConfig } from "../config/load";
import { consumerDefinition } from "../generate/consumers";
import { driftWorkflow, DRIFT_WORKFLOW_FILE, SAFE_PATH, syncWorkflow, SYNC_WORKFLOW_FILE } from "./workflows";

/** The workflow files for `orgtrust init --ci github`, relative to the working directory (the repository root). */
export function ciWorkflowFiles(
  loaded: LoadedConfig | undefined,
  githubApp: boolean,
): Array<{ path: string; content: string }> {
  const configFile = loaded ? path.relative(process.cwd(), loaded.file) || loaded.file : "orgtrust.yaml";
  const snapshot = loaded?.config.snapshot
    ? path.relative(process.cwd(), path.resolve(loaded.baseDir, loaded.config.snapshot))
    : "org.json";
  for (const [what, p] of [
    ["--config", configFile],
    ["snapshot", snapshot],
  ] as const) {
    if (!SAFE_PATH.test(p) || p.split("/").includes("..")) {
      throw new InputError(
        `${what} ${p}: the workflows run it in a shell, so it must be a plain path inside the repository of letters, digits and . _ - / (fix: rename or move it)`,
      );
    }
  }
  // The AWS CLI, Steampipe and c7n-org files carry the external ID itself: sync regenerates them, so its job needs the
  // value of every such ID that is not written in the config (an env variable, or a generated ID's variable).
  const externalIdVariables = loaded
    ? [
        ...new Set(
          loaded.integrations
            .filter((i) => consumerDefinition(i).writesExternalId && i.externalId.source !== "value")
            .map((i) => (i.externalId.source === "env" ? i.externalId.env : i.externalId.variable)),
        ),
      ].sort()
    : [];
  const o = {
    externalIdVariables,
    partition: loaded?.config.organization.partition ?? "aws",
    managementAccountId: loaded?.config.organization.managementAccountId,
    sync: loaded?.config.sync,
    configFile,
    snapshotFile: snapshot,
    githubApp,
  } as const;
  return [
    { path: SYNC_WORKFLOW_FILE, content: syncWorkflow(o) },
    { path: DRIFT_WORKFLOW_FILE, content: driftWorkflow(o) },
  ];
}
