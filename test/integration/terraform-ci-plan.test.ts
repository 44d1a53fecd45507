import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { awsClients, TEST_CREDENTIALS } from "../support/aws-clients";
import { runCli, type CliResult } from "../support/cli";
import { buildOrg, type BuiltOrg } from "../support/org-fixture";
import { describeWithTerraform, planChanges, TerraformWorkspace } from "../support/terraform";

/**
 * The README's CI plan job (docs: "Drift in CI"), replayed: the state lives in an s3 backend (moto's S3), one
 * machine deploys (synth --hcl, terraform init + apply), and a fresh clone — the committed files only, no .terraform/
 * and no state — re-synthesizes (byte-identical to what is committed), runs terraform init against the backend and
 * plans: no changes. Without a remote backend that clone would plan "create everything" (test below). moto does not
 * store some StackSet fields (test/support/terraform.ts MOTO_UNSTORED_STACKSET_FIELDS), so the plan is read with
 * planChanges rather than `-detailed-exitcode`, which moto alone would turn into 2.
 */

const BUCKET = "acme-terraform-state";
const EXTERNAL_ID = "ext-tf-ci-plan-6Wn4Ys1Rc8";

function ok(r: CliResult, what: string): CliResult {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return r;
}

/** The files a commit would hold: everything but Terraform's own (.terraform/, state, lock files). */
function copyCommitted(from: string, to: string): void {
  fs.cpSync(from, to, {
    recursive: true,
    filter: (src) =>
      !/(^|\/)\.terraform(\/|$)|\.tfstate(\.backup)?$|\.terraform\.lock\.hcl$/.test(path.relative(from, src)),
  });
}

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return out;
}

describeWithTerraform("the CI plan job on an s3 backend: a fresh clone plans no change (moto)", (moto) => {
  let org: BuiltOrg;
  let deployer: string;
  const s3 = () =>
    new S3Client({
      region: "us-east-1",
      endpoint: moto().endpoint,
      credentials: TEST_CREDENTIALS,
      forcePathStyle: true,
    });

  const config = (backend: boolean) => `version: 1
organization:
  managementAccountId: "${org.managementAccountId}"
  homeRegion: us-east-1
snapshot: org.json
exclusions:
  organizationalUnits: ["${org.ou.Sandbox}"]
${
  backend
    ? `backend:
  type: s3
  bucket: ${BUCKET}
  key: orgtrust/{integration}.tfstate
  region: us-east-1
`
    : ""
}integrations:
  auditor:
    consumer: aws-cli
    trustedPrincipal: arn:aws:iam::444455556666:role/auditor
    externalId: { source: value, value: "${EXTERNAL_ID}" }
`;

  beforeAll(async () => {
    const c = awsClients(moto().endpoint);
    try {
      // Every account at most one OU below its target, and an excluded OU with an account (moto's StackSet depth and
      // root-target quirks do not matter then: test/support/terraform.ts).
      org = await buildOrg(c, {
        ous: [
          { name: "Sandbox", accounts: [{ name: "x1" }] },
          { name: "Workloads", accounts: [{ name: "w1" }] },
        ],
      });
    } finally {
      c.destroy();
    }
    const client = s3();
    try {
      await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    } finally {
      client.destroy();
    }
    deployer = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-ci-plan-deploy-"));
    fs.writeFileSync(path.join(deployer, "orgtrust.yaml"), config(true));
    ok(
      await runCli(["discover", "--out", "org.json"], { endpoint: moto().endpoint, cwd: deployer }),
      "orgtrust discover",
    );
    ok(await runCli(["synth", "--hcl"], { cwd: deployer }), "orgtrust synth --hcl");
    const ws = new TerraformWorkspace(path.join(deployer, "infra", "orgtrust", "stacks", "auditor"), {
      endpoint: moto().endpoint,
    });
    try {
      await ws.init();
      await ws.apply();
    } finally {
      ws.dispose();
    }
  });

  test("the state is in the bucket under the integration's key, not in the stack folder", async () => {
    const client = s3();
    try {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
      expect((listed.Contents ?? []).map((o) => o.Key)).toEqual(["orgtrust/auditor.tfstate"]);
    } finally {
      client.destroy();
    }
    const files = fs.readdirSync(path.join(deployer, "infra", "orgtrust", "stacks", "auditor"));
    expect(files.filter((f) => f.endsWith(".tfstate"))).toEqual([]);
    expect(fs.readFileSync(path.join(deployer, "infra", "orgtrust", "stacks", "auditor", "main.tf"), "utf8")).toMatch(
      /backend "s3" \{[^}]*key\s*=\s*"orgtrust\/auditor\.tfstate"/,
    );
  });

  test("a fresh clone: synth --hcl leaves the committed files byte-identical, init reads the deployed state, the plan changes nothing", async () => {
    const clone = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-ci-plan-clone-"));
    copyCommitted(deployer, clone);
    const committed = tree(path.join(clone, "infra"));
    ok(await runCli(["synth", "--hcl"], { cwd: clone }), "orgtrust synth --hcl (CI)");
    expect(tree(path.join(clone, "infra"))).toEqual(committed);
    const ws = new TerraformWorkspace(path.join(clone, "infra", "orgtrust", "stacks", "auditor"), {
      endpoint: moto().endpoint,
    });
    try {
      await ws.init();
      const state = await ws.state();
      expect(state.resources).toEqual(
        expect.arrayContaining(
          ["aws_cloudformation_stack_set.member_role", "aws_iam_role.discovery_role"].map((r) =>
            expect.stringContaining(r.split(".")[0]),
          ),
        ),
      );
      expect(planChanges(await ws.plan())).toEqual([]);
    } finally {
      ws.dispose();
    }
  });

  test("the same clone without a remote backend would plan creating everything (why the job needs one)", async () => {
    const clone = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-ci-plan-local-"));
    copyCommitted(deployer, clone);
    fs.writeFileSync(path.join(clone, "orgtrust.yaml"), config(false));
    ok(await runCli(["synth", "--hcl", "--force"], { cwd: clone }), "orgtrust synth --hcl (local backend)");
    const ws = new TerraformWorkspace(path.join(clone, "infra", "orgtrust", "stacks", "auditor"), {
      endpoint: moto().endpoint,
    });
    try {
      await ws.init();
      const changes = planChanges(await ws.plan());
      expect(changes.length).toBeGreaterThan(3);
      expect(changes.every((c) => c.actions.includes("create"))).toBe(true);
    } finally {
      ws.dispose();
    }
  });
});
