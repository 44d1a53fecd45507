import { DescribeStackSetCommand } from "@aws-sdk/client-cloudformation";
import { GetRoleCommand, NoSuchEntityException } from "@aws-sdk/client-iam";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { memberRoleTemplateBody } from "../../constructs/member-role-policy";
import { awsClients, clientsFor } from "../support/aws-clients";
import { REPO, runCli, type CliResult } from "../support/cli";
import { buildOrg, type BuiltOrg, type OrgSpec } from "../support/org-fixture";
import {
  describeWithTerraform,
  killAllTerraform,
  MIRRORED_AWS_PROVIDER,
  PINNED_AWS_PROVIDER,
  planChanges,
  rewriteForMirroredProvider,
  TerraformWorkspace,
  type PlanJson,
  type TerraformState,
} from "../support/terraform";

/**
 * The real deploy path, end to end: an org in moto, `orgtrust discover`, `orgtrust synth` (cdk.tf.json) and
 * `orgtrust synth --hcl` (main.tf) through the CLI, then the real `terraform` (test/support/terraform.ts: provider
 * mirror, the one 5.100 rewrite, moto endpoint) run in the synthesized stack folder as a user runs it:
 * init, validate, apply; a plan right after apply changes nothing; `orgtrust drift` is clean; a re-synth keeps the
 * state and still plans nothing; excluding one more OU plans the removal of exactly that OU's stack instance.
 *
 * One org for both formats: each format has its own integration (own config file, roles, secret and StackSet), so
 * both deploy side by side and each format gets exactly one apply. Each format's steps run as one chain started before
 * the tests, so the two formats' Terraform runs overlap (most of an apply is the provider polling StackSet operations);
 * each test awaits its format's step and fails with that step's error. The random provider is not mirrored: the JSON
 * stack's external ID is a `value`, the HCL stack's comes from the environment (`env`, passed to Terraform as
 * TF_VAR_<name>).
 */

/**
 *  Root: management
 *    Sandbox (excluded OU): x1            keeps the root out of the OU cover (moto would also deploy a root
 *                                         target into the management account; AWS never does)
 *    Security: s1                         -> target (excluded later, per format)
 *    Workloads: w1                        -> target
 *      Prod: p1                           reached through Workloads: one level below its target, where moto and
 *                                         AWS agree (moto stops at direct child OUs, AWS covers the subtree)
 */
const SPEC: OrgSpec = {
  ous: [
    { name: "Sandbox", accounts: [{ name: "x1" }] },
    { name: "Security", accounts: [{ name: "s1" }] },
    { name: "Workloads", accounts: [{ name: "w1" }], ous: [{ name: "Prod", accounts: [{ name: "p1" }] }] },
  ],
};
const PRINCIPAL = "arn:aws:iam::444455556666:role/auditor";
const JSON_EXTERNAL_ID = "ext-tf-json-5Kq9wZ2mP7";
const HCL_EXTERNAL_ID = "ext-tf-hcl-8Rt3vB6nL1";
const HCL_EXTERNAL_ID_VAR = "TFHCL_EXTERNAL_ID";

interface Format {
  label: string;
  integration: string;
  externalIdYaml: string;
  /** synth flags and output folder (relative to the test folder). */
  synthArgs: string[];
  out: string;
  /** Environment for terraform (TF_VAR_*) and for drift (the env-sourced external ID). */
  tfEnv: Record<string, string>;
  driftEnv: Record<string, string>;
}

const FORMATS: Format[] = [
  {
    label: "cdktf JSON (orgtrust synth)",
    integration: "tfjson",
    externalIdYaml: `{ source: value, value: "${JSON_EXTERNAL_ID}" }`,
    synthArgs: [],
    out: "cdktf.out",
    tfEnv: {},
    driftEnv: {},
  },
  {
    label: "HCL export (orgtrust synth --hcl)",
    integration: "tfhcl",
    externalIdYaml: `{ source: env, env: ${HCL_EXTERNAL_ID_VAR} }`,
    synthArgs: ["--hcl"],
    out: "infra",
    tfEnv: { [`TF_VAR_${HCL_EXTERNAL_ID_VAR}`]: HCL_EXTERNAL_ID },
    driftEnv: { [HCL_EXTERNAL_ID_VAR]: HCL_EXTERNAL_ID },
  },
];

/** The StackSet targets synth's summary names, sorted. */
const targets = (stdout: string) => (stdout.match(/StackSet targets: (.*)/)?.[1] ?? "").split(", ").sort();

const STEPS = ["apply", "plan", "drift", "resynth", "exclude"] as const;
type Step = (typeof STEPS)[number];

function ok(r: CliResult, what: string): CliResult {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return r;
}

describeWithTerraform("terraform init/validate/apply/plan on the synthesized stacks, into moto", (moto) => {
  let dir: string;
  let org: BuiltOrg;
  const workspaces: TerraformWorkspace[] = [];
  const chains: Array<Promise<unknown>> = [];
  /** Each format's steps, in order; started by beforeAll. */
  const steps: Record<string, Record<Step, Promise<void>>> = {};

  const configFile = (f: Format) => path.join(dir, `orgtrust-${f.integration}.yaml`);
  const writeConfig = (f: Format, extraExcludedOus: string[] = []) =>
    fs.writeFileSync(
      configFile(f),
      `version: 1
organization:
  managementAccountId: "${org.managementAccountId}"
  homeRegion: us-east-1
snapshot: org.json
exclusions:
  organizationalUnits: ["${org.ou.Sandbox}"]
integrations:
  ${f.integration}:
    consumer: aws-cli
    trustedPrincipal: ${PRINCIPAL}
    externalId: ${f.externalIdYaml}
${extraExcludedOus.length ? `    exclusions: { organizationalUnits: [${extraExcludedOus.map((o) => `"${o}"`).join(", ")}] }\n` : ""}`,
    );
  const synth = (f: Format) =>
    runCli(["synth", "--config", configFile(f), "--out", path.join(dir, f.out), ...f.synthArgs], { cwd: dir });

  /** The steps of one format, as a user goes: each assertion-carrying body runs after the previous one settles. */
  function startSteps(f: Format): Record<Step, Promise<void>> {
    let ws: TerraformWorkspace | undefined;
    let applied: TerraformState | undefined;
    const workspace = () => {
      if (!ws || !applied) throw new Error("the apply step did not complete");
      return ws;
    };
    const bodies: Record<Step, () => Promise<void>> = {
      async apply() {
        const s = ok(await synth(f), "orgtrust synth");
        expect(targets(s.stdout)).toEqual([`Security (${org.ou.Security})`, `Workloads (${org.ou.Workloads})`]);
        ws = new TerraformWorkspace(path.join(dir, f.out, "stacks", f.integration), {
          endpoint: moto().endpoint,
          env: f.tfEnv,
        });
        workspaces.push(ws);
        await ws.init();
        await ws.validate();
        const applyRun = await ws.apply();
        expect(applyRun.stdout).toMatch(/Apply complete! Resources: \d+ added, 0 changed, 0 destroyed/);
        const state = await ws.state();
        // The state file is where the user's own init would have put it: the local backend's path in the stack folder.
        expect(fs.existsSync(ws.statePath())).toBe(true);
        expect(state.resources).toEqual(
          expect.arrayContaining([
            "aws_cloudformation_stack_set.member_role",
            "aws_iam_role.discovery_role",
            "aws_iam_role.management_role",
            "aws_secretsmanager_secret.external_id_secret",
            "aws_secretsmanager_secret_version.external_id_secret_version",
          ]),
        );
        expect(state.resources.filter((r) => r.startsWith("aws_cloudformation_stack_set_instance.")).length).toBe(2);

        // What Terraform deployed: the member role in s1, w1 and p1 (through the StackSet), none in the excluded x1.
        const role = `orgtrust-${f.integration}-readonly`;
        const present: Record<string, boolean> = {};
        for (const name of ["s1", "w1", "p1", "x1"]) {
          const m = await clientsFor(moto().endpoint, org.account[name]);
          try {
            await m.iam.send(new GetRoleCommand({ RoleName: role }));
            present[name] = true;
          } catch (e) {
            if (!(e instanceof NoSuchEntityException)) throw e;
            present[name] = false;
          } finally {
            m.destroy();
          }
        }
        expect(present).toEqual({ s1: true, w1: true, p1: true, x1: false });
        // The deployed template is byte for byte the file test/unit/member-role-template.test.ts runs cfn-lint on.
        const c = awsClients(moto().endpoint);
        try {
          const set = await c.cfn.send(
            new DescribeStackSetCommand({ StackSetName: `orgtrust-${f.integration}-member-role` }),
          );
          expect(set.StackSet!.TemplateBody).toBe(memberRoleTemplateBody());
        } finally {
          c.destroy();
        }
        applied = state;
      },

      async plan() {
        const plan = await workspace().plan();
        expect(planChanges(plan)).toEqual([]);
        // The check can fail: the moto allowance covers the StackSet's unstored fields, nothing else.
        const tampered = JSON.parse(JSON.stringify(plan)) as PlanJson;
        const role = tampered.resource_changes!.find((r) => r.address === "aws_iam_role.management_role")!;
        role.change.actions = ["update"];
        (role.change.after as Record<string, unknown>).max_session_duration = 7200;
        expect(planChanges(tampered)).toEqual([
          { address: "aws_iam_role.management_role", actions: ["update"], attributes: ["max_session_duration"] },
        ]);
      },

      async drift() {
        // Without --deep: moto ignores the template's ManagedPolicyArns, so the member roles in the member accounts
        // lack their policy there (test/integration/drift.test.ts attaches it by hand to cover --deep).
        workspace();
        const r = await runCli(["drift", "--config", configFile(f), "--fail-on", "warning"], {
          endpoint: moto().endpoint,
          cwd: dir,
          env: f.driftEnv,
        });
        expect({ code: r.code, stderr: r.stderr, stdout: r.code === 0 ? "" : r.stdout }).toEqual({
          code: 0,
          stderr: "",
          stdout: "",
        });
      },

      async resynth() {
        const w = workspace();
        ok(await synth(f), "orgtrust synth (again)");
        await w.init(); // what a user (or the CI plan job of docs/drift-and-ci.md) runs before a plan
        const state = await w.state();
        expect({ stateFile: fs.existsSync(w.statePath()), ...state }).toEqual({ stateFile: true, ...applied });
        expect(planChanges(await w.plan())).toEqual([]);
      },

      async exclude() {
        const w = workspace();
        writeConfig(f, [org.ou.Security]);
        const s = ok(await synth(f), "orgtrust synth (Security excluded)");
        expect(targets(s.stdout)).toEqual([`Workloads (${org.ou.Workloads})`]);
        await w.init();
        const plan = await w.plan();
        expect(planChanges(plan)).toEqual([
          {
            address: expect.stringMatching(/^aws_cloudformation_stack_set_instance\./),
            actions: ["delete"],
            attributes: [],
          },
        ]);
        const removed = plan.resource_changes!.find((r) => r.change.actions.join() === "delete")!;
        expect(
          (removed.change.before as { deployment_targets: Array<{ organizational_unit_ids: string[] }> })
            .deployment_targets[0].organizational_unit_ids,
        ).toEqual([org.ou.Security]);
      },
    };
    let prev: Promise<unknown> = Promise.resolve();
    const out = {} as Record<Step, Promise<void>>;
    for (const step of STEPS) {
      const p = prev.then(bodies[step]);
      p.catch(() => undefined); // reported by the step's test
      out[step] = p;
      prev = p.catch(() => undefined);
    }
    chains.push(prev);
    return out;
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-tfdeploy-"));
    const c = awsClients(moto().endpoint);
    try {
      org = await buildOrg(c, SPEC);
    } finally {
      c.destroy();
    }
    for (const f of FORMATS) writeConfig(f);
    ok(
      await runCli(["discover", "--config", configFile(FORMATS[0]), "--out", path.join(dir, "org.json")], {
        endpoint: moto().endpoint,
        cwd: dir,
      }),
      "orgtrust discover",
    );
    for (const f of FORMATS) steps[f.integration] = startSteps(f);
  }, 120_000);

  afterAll(async () => {
    for (const w of workspaces) w.dispose(); // no further terraform run starts
    await killAllTerraform();
    await Promise.allSettled(chains);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  for (const f of FORMATS) {
    describe(f.label, () => {
      test(
        "orgtrust synth, then terraform init + validate + apply in the stack folder: the StackSet reaches exactly the in-scope member accounts",
        () => steps[f.integration].apply,
        420_000,
      );
      test(
        "terraform plan right after apply: no change to any attribute of any resource (apart from the StackSet fields moto does not store)",
        () => steps[f.integration].plan,
        240_000,
      );
      test(
        "orgtrust drift on the deployment: clean (exit 0, not even a warning)",
        () => steps[f.integration].drift,
        120_000,
      );
      test(
        "re-synth, then terraform init + plan: the state is intact and the plan changes nothing",
        () => steps[f.integration].resynth,
        240_000,
      );
      test(
        "exclude one more OU in the config, re-synth: the plan removes exactly that OU's stack instance, nothing else",
        () => steps[f.integration].exclude,
        240_000,
      );
    });
  }
});

describe("the harness's one rewrite for the mirrored provider (runs without terraform)", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-tfrewrite-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("changes exactly the version pin and stack_set_instance_region, nothing else, in cdk.tf.json and main.tf; refuses another pin", async () => {
    const example = path.join(REPO, "examples", "orgtrust.yaml");
    for (const hcl of [false, true]) {
      const out = path.join(dir, hcl ? "hcl" : "json");
      ok(
        await runCli([
          "synth",
          "--config",
          example,
          "--out",
          out,
          "--integration",
          "cloudquery",
          ...(hcl ? ["--hcl"] : []),
        ]),
        "orgtrust synth",
      );
      const file = path.join(out, "stacks", "cloudquery", hcl ? "main.tf" : "cdk.tf.json");
      const before = fs.readFileSync(file, "utf8");
      const after = rewriteForMirroredProvider(path.basename(file), before);
      const instances = (before.match(/aws_cloudformation_stack_set_instance/g) ?? []).length;
      expect(instances).toBeGreaterThan(0);
      if (hcl) {
        const a = before.split("\n");
        const b = after.split("\n");
        expect(b.length).toBe(a.length);
        const changed = a.map((line, i) => [line, b[i]]).filter(([x, y]) => x !== y);
        for (const [x, y] of changed) {
          const pin = x.replace(`"${PINNED_AWS_PROVIDER}"`, `"${MIRRORED_AWS_PROVIDER}"`) === y;
          const region = x.replace("stack_set_instance_region", "region") === y;
          expect({ x, y, ok: pin || region }).toEqual({ x, y, ok: true });
        }
        expect(changed.filter(([x]) => x.includes("stack_set_instance_region")).length).toBe(changed.length - 1);
      } else {
        const doc = JSON.parse(after);
        expect(doc.terraform.required_providers.aws.version).toBe(MIRRORED_AWS_PROVIDER);
        // Undo the two changes: what is left is the synthesized document, key order included.
        doc.terraform.required_providers.aws.version = PINNED_AWS_PROVIDER;
        for (const inst of Object.values<Record<string, unknown>>(doc.resource.aws_cloudformation_stack_set_instance)) {
          expect(inst).not.toHaveProperty("stack_set_instance_region");
          const undone = Object.fromEntries(
            Object.entries(inst).map(([k, v]) => [k === "region" ? "stack_set_instance_region" : k, v]),
          );
          for (const k of Object.keys(inst)) delete inst[k];
          Object.assign(inst, undone);
        }
        expect(JSON.stringify(doc, null, 2)).toBe(JSON.stringify(JSON.parse(before), null, 2));
      }
      expect(after).not.toContain("stack_set_instance_region");
      // A pin the harness does not know is a loud failure, not a silently different test.
      expect(() =>
        rewriteForMirroredProvider(path.basename(file), before.replace(PINNED_AWS_PROVIDER, "6.26.0")),
      ).toThrow(/revisit rewriteForMirroredProvider/);
    }
  });
});
