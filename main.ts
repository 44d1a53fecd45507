/**
 * The cdktf app: `cdktf synth | diff | deploy` run `node dist/main.js` (cdktf.json). A thin adapter: it reads
 * orgtrust.yaml and the org snapshot with synth's input loader (plan/inputs.ts), plans with the same planner and adds
 * one stack per integration, exactly as `orgtrust synth` does.
 *
 * Environment:
 *   ORGTRUST_CONFIG        config file (default ./orgtrust.yaml)
 *   ORGTRUST_SNAPSHOT      snapshot file (default: the config's snapshot field)
 *   ORGTRUST_INTEGRATIONS  comma-separated integration names (default: all)
 *   ORGTRUST_STRICT=true   exclusions that match nothing are errors
 * External IDs with `source: env` are not read here: each becomes a sensitive Terraform input variable of the same name,
 * as in `orgtrust synth`; `cdktf deploy` passes TF_VAR_<NAME> from the environment on to Terraform.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { App } from "cdktf";
import { OrgtrustError } from "./common/errors";
import { createLogger } from "./common/log";
import { stackBackend } from "./config/backend";
import { memberRoleTemplateBody } from "./constructs/member-role-policy";
import { NO_EXTRA_EXCLUSIONS } from "./org/scope-rules";
import { loadInputs } from "./plan/inputs";
import { planIntegrations } from "./plan/integration";
import { applyBackend } from "./synth/backend";
import { toHcl } from "./synth/hcl";
import { MEMBER_ROLE_TEMPLATE_FILE, buildStacks } from "./synth/synthesize";

function run(): void {
  const names = (process.env.ORGTRUST_INTEGRATIONS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const { loaded, snapshot, integrations } = loadInputs({
    config: process.env.ORGTRUST_CONFIG,
    snapshot: process.env.ORGTRUST_SNAPSHOT,
    integrations: names,
  });
  const log = createLogger({});
  const plans = planIntegrations(integrations, snapshot, {
    exclusions: { ...NO_EXTRA_EXCLUSIONS, strict: process.env.ORGTRUST_STRICT === "true" },
    onWarning: (m) => log.warn(m),
  });
  const app = new App();
  const stacks = buildStacks(app, plans);
  stacks.forEach((s) => applyBackend(s, stackBackend(loaded.config.backend, s.node.id)));
  app.synth();
  if (app.hclOutput) {
    // `cdktf synth --hcl`: cdktf 0.21 renders JSON policy strings without escaping their quotes (invalid HCL), so
    // replace each stack's cdk.tf with orgtrust's own rendering (the same as `orgtrust synth --hcl`).
    const template = memberRoleTemplateBody();
    for (const stack of stacks) {
      const dir = path.join(app.outdir, "stacks", stack.node.id);
      fs.writeFileSync(
        path.join(dir, "cdk.tf"),
        toHcl(stack.toTerraform() as never, { files: new Map([[template, MEMBER_ROLE_TEMPLATE_FILE]]) }),
      );
      fs.writeFileSync(path.join(dir, MEMBER_ROLE_TEMPLATE_FILE), template);
    }
  }
}

try {
  run();
} catch (e) {
  if (e instanceof OrgtrustError) {
    process.stderr.write(`orgtrust: error: ${e.message}\n`);
    process.exit(e.exitCode);
  }
  throw e;
}
