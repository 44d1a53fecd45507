/**
 * `orgtrust drift --deep` benchmark (prints figures, asserts nothing): an org of N member accounts in moto (default
 * 200, in 10 OUs), the member-role StackSet deployed from the synthesized template and targets, the management
 * account's role and the discovery role; then `orgtrust drift --deep` through a counting proxy: calls per operation, wall time,
 * orgtrust's CPU time and peak memory.
 * moto ignores ManagedPolicyArns and attaching AWS managed policies needs a slow moto mode, so the member roles have
 * no managed policy here: every account reports role-policy-missing, which costs the same calls as a clean run.
 *
 * Run:  npm run build && node dist/bench/drift-deep.js [--accounts 200]
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CreateRoleCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { loadConfig } from "../config/load";
import {
  DISCOVERY_POLICY_NAME,
  discoveryRolePolicy,
  discoveryTrustPolicy,
  memberRoleParameters,
  memberRoleTemplateBody,
  memberTrustPolicy,
} from "../constructs/member-role-policy";
import { computeScope } from "../org/scope";
import { loadSnapshot } from "../org/snapshot";
import { computeOuCover } from "../org/targets";
import { awsClients } from "../test/support/aws-clients";
import { runMeasured as run } from "./measured-run";
import { startFaultProxy } from "../test/support/fault-proxy";
import { motoAvailable, startMoto } from "../test/support/moto";
import { buildOrg, type OrgSpec } from "../test/support/org-fixture";
import { createMemberRoleStackSet } from "../test/support/stackset";

const EXT = "bench-external-id-0123456789";

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

async function main(): Promise<void> {
  if (!motoAvailable()) {
    console.error("moto_server is not on PATH: install it with pip install 'moto[server]'");
    process.exit(2);
  }
  const n = Number(arg("accounts", "200"));
  const ous = 10;
  const spec: OrgSpec = {
    ous: [
      ...Array.from({ length: ous }, (_, o) => ({
        name: `Team${o}`,
        accounts: Array.from({ length: Math.ceil(n / ous) }, (_, i) => ({ name: `t${o}-a${i}` })),
      })),
      { name: "Sandbox" },
    ],
  };
  const moto = await startMoto();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-bench-drift-"));
  try {
    const c = awsClients(moto.endpoint);
    const started = Date.now();
    const built = await buildOrg(c, spec);
    fs.writeFileSync(
      path.join(dir, "orgtrust.yaml"),
      `version: 1
organization: { managementAccountId: "${built.managementAccountId}", homeRegion: us-east-1 }
snapshot: org.json
exclusions: { organizationalUnits: ["${built.ou.Sandbox}"] }
integrations:
  audit:
    consumer: aws-cli
    trustedPrincipal: arn:aws:iam::444455556666:role/auditor
    externalId: { source: value, value: "${EXT}" }
`,
    );
    const d = await run(
      ["discover", "--config", path.join(dir, "orgtrust.yaml"), "--out", path.join(dir, "org.json")],
      moto.endpoint,
    );
    if (d.code !== 0) throw new Error(d.stderr);
    const loaded = loadConfig(path.join(dir, "orgtrust.yaml"));
    const integration = loaded.integrations.find((i) => i.name === "audit")!;
    const cover = computeOuCover(
      computeScope(loadSnapshot(path.join(dir, "org.json")), {
        organizationalUnits: [built.ou.Sandbox],
        accounts: [],
        skipInactiveAccounts: true,
        managementAccount: false,
      }),
    );
    await createMemberRoleStackSet(c.cfn, {
      name: integration.stackSet.name,
      templateBody: memberRoleTemplateBody(),
      parameters: memberRoleParameters(integration, EXT),
      targets: [cover.targets],
    });
    await c.iam.send(
      new CreateRoleCommand({
        RoleName: integration.memberRole.name,
        AssumeRolePolicyDocument: JSON.stringify(memberTrustPolicy(integration, EXT)),
      }),
    );
    const discovery = integration.discoveryRole.name;
    await c.iam.send(
      new CreateRoleCommand({
        RoleName: discovery,
        AssumeRolePolicyDocument: JSON.stringify(discoveryTrustPolicy(integration, EXT)),
      }),
    );
    await c.iam.send(
      new PutRolePolicyCommand({
        RoleName: discovery,
        PolicyName: DISCOVERY_POLICY_NAME,
        PolicyDocument: JSON.stringify(discoveryRolePolicy(integration)),
      }),
    );
    c.destroy();
    console.log(`# orgtrust drift --deep benchmark (${os.cpus().length} vCPU, Node ${process.version}, moto server)`);
    console.log(
      `${cover.viaStackSet.length} member accounts in ${ous} OUs, StackSet deployed (set-up ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );

    for (const concurrency of ["4", "8"]) {
      const proxy = await startFaultProxy(moto.endpoint, 3);
      const r = await run(
        [
          "drift",
          "--config",
          path.join(dir, "orgtrust.yaml"),
          "--deep",
          "--format",
          "json",
          "--concurrency",
          concurrency,
        ],
        proxy.endpoint,
      );
      const report = JSON.parse(r.stdout) as { findings: unknown[] };
      const calls = [...proxy.forwarded.values()].reduce((a, b) => a + b, 0);
      console.log(
        `\norgtrust drift --deep --concurrency ${concurrency}: exit ${r.code}, ${report.findings.length} findings`,
      );
      for (const [op, count] of [...proxy.forwarded].sort()) console.log(`  ${op.padEnd(28)} ${count}`);
      console.log(`  calls ${calls} (${(calls / cover.viaStackSet.length).toFixed(2)} per member account)`);
      console.log(
        `  wall ${(r.wallMs / 1000).toFixed(2)} s, orgtrust CPU ${(r.cpuMs / 1000).toFixed(2)} s, peak RSS ${r.maxRssMb.toFixed(0)} MB`,
      );
      await proxy.stop();
    }
  } finally {
    await moto.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
