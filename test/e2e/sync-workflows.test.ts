import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { runCli } from "../support/cli";

/**
 * `orgtrust init --ci github` writes the sync and drift workflows. Each file is validated with action-validator
 * (@action-validator/core 0.6.0, github.com/mpalmer/action-validator: the SchemaStore GitHub workflow JSON schema,
 * compiled to WebAssembly), parsed, and checked for what docs/sync.md promises. Every `uses:`, in steps and in the
 * comments that show alternatives, is pinned to a release tag; the `with:` inputs exist in each action's action.yml
 * at that tag:
 *   peter-evans/create-pull-request v7.0.8 (commit 271a8d0340265f705b14b6d32b9829c1cb33d45e): token, branch,
 *     delete-branch, title, commit-message, body-path, labels;
 *   aws-actions/configure-aws-credentials v4.2.1 (b47578312673ae6fa5b5096b330d9fbac3d116df): role-to-assume,
 *     aws-region, role-session-name;
 *   actions/create-github-app-token v2.0.6 (df432ceedc7162793a195dd1713ff69aefc7379e): app-id, private-key;
 *   actions/setup-node v4.4.0 (49933ea5288caeca8642d1e84afbd3f7d6820020): node-version, cache;
 *   actions/checkout v4.2.2 (11bd71901bbe5b1630ceea73d27597364c9af683).
 */

const INPUTS: Record<string, string[]> = {
  "peter-evans/create-pull-request": [
    "token",
    "branch",
    "delete-branch",
    "title",
    "commit-message",
    "body-path",
    "labels",
  ],
  "aws-actions/configure-aws-credentials": ["role-to-assume", "aws-region", "role-session-name"],
  "actions/create-github-app-token": ["app-id", "private-key"],
  "actions/setup-node": ["node-version", "cache"],
  "actions/checkout": [],
};

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  id?: string;
  if?: string;
  env?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  concurrency?: { group: string };
  permissions: Record<string, string>;
  jobs: Record<string, { steps: Step[]; environment?: string; if?: string }>;
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-ci-"));

function config(extra: string, partition = "aws"): string {
  return [
    "version: 1",
    "organization:",
    '  managementAccountId: "111122223333"',
    `  partition: ${partition}`,
    `  homeRegion: ${partition === "aws-us-gov" ? "us-gov-west-1" : "eu-west-1"}`,
    "snapshot: org/snapshot.json",
    extra,
    "integrations:",
    "  custodian:",
    "    consumer: c7n-org",
    `    trustedPrincipal: arn:${partition}:iam::444455556666:role/custodian-runner`,
    "",
  ].join("\n");
}

function expectValid(file: string): Workflow {
  const text = fs.readFileSync(file, "utf8");
  const state = validateWorkflow(text);
  expect({ file, errors: state.errors }).toEqual({ file, errors: [] });
  // Every uses:, also in comments: a release tag (vMAJOR.MINOR.PATCH), never a branch or a bare major.
  const uses = [...text.matchAll(/uses: ([^\s]+)/g)].map((m) => m[1]);
  expect(uses.length).toBeGreaterThan(0);
  for (const u of uses) expect(u).toMatch(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+@v\d+\.\d+\.\d+$/);
  const wf = parse(text) as Workflow;
  for (const job of Object.values(wf.jobs)) {
    for (const step of job.steps) {
      if (!step.uses) continue;
      const name = step.uses.split("@")[0];
      expect(INPUTS[name]).toBeDefined();
      for (const k of Object.keys(step.with ?? {}))
        expect({ action: name, input: k, known: INPUTS[name].includes(k) }).toEqual({
          action: name,
          input: k,
          known: true,
        });
    }
  }
  return wf;
}

describe("orgtrust init --ci github", () => {
  test("with a sync section: both workflows valid, pinned, with the triggers, concurrency, permissions, OIDC role and PR step the guide describes", async () => {
    const dir = tmp();
    fs.writeFileSync(
      path.join(dir, "orgtrust.yaml"),
      config('sync:\n  github: { repository: acme/org-config, environment: org-sync }\n  schedule: "5 4 * * *"'),
    );
    const r = await runCli(["init", "--ci", "github"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const sync = expectValid(path.join(dir, ".github/workflows/orgtrust-sync.yml"));
    expect(sync.on.repository_dispatch).toEqual({ types: ["orgtrust-org-changed"] });
    expect(sync.on.schedule).toEqual([{ cron: "5 4 * * *" }]);
    expect(sync.on).toHaveProperty("workflow_dispatch");
    expect(sync.concurrency).toEqual({ group: "orgtrust-sync", "cancel-in-progress": false });
    expect(sync.permissions).toEqual({ "id-token": "write", contents: "write", "pull-requests": "write" });
    const job = sync.jobs.sync;
    expect(job.environment).toBe("org-sync");
    const creds = job.steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))!;
    expect(creds.with).toEqual({
      "role-to-assume": "arn:aws:iam::111122223333:role/orgtrust-sync-ci",
      "aws-region": "us-east-1",
      "role-session-name": "orgtrust-sync",
    });
    const run = job.steps.find((s) => s.id === "sync")!.run!;
    // The c7n-org file carries the (generated) external ID itself: the sync step gets it from a repository secret.
    expect(job.steps.find((s) => s.id === "sync")!.env).toEqual({
      ORGTRUST_CUSTODIAN_EXTERNAL_ID: "${{ secrets.ORGTRUST_CUSTODIAN_EXTERNAL_ID }}",
    });
    expect(run).toContain(
      'npx orgtrust sync --event "$GITHUB_EVENT_PATH" --since "$RUNNER_TEMP/orgtrust-base.json" --summary "$RUNNER_TEMP/orgtrust-sync.md"',
    );
    expect(job.steps.map((s) => s.run ?? "").join("\n")).toContain("git checkout FETCH_HEAD -- org/snapshot.json");
    const pr = job.steps.find((s) => s.uses?.startsWith("peter-evans/create-pull-request@"))!;
    expect(pr.if).toBe("steps.sync.outputs.changed == 'true'");
    expect(pr.with).toMatchObject({ branch: "orgtrust/sync", "body-path": "${{ runner.temp }}/orgtrust-sync.md" });
    expect(pr.with).not.toHaveProperty("token");
    expect(fs.readFileSync(path.join(dir, ".github/workflows/orgtrust-sync.yml"), "utf8")).toMatch(
      /GITHUB_TOKEN: GitHub does not start other workflows/,
    );

    const drift = expectValid(path.join(dir, ".github/workflows/orgtrust-drift.yml"));
    expect(Object.keys(drift.on).sort()).toEqual(["pull_request", "schedule", "workflow_dispatch"]);
    expect(drift.permissions).toEqual({ "id-token": "write", contents: "read" });
    expect(drift.jobs.drift.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
    const driftRun = drift.jobs.drift.steps.map((s) => s.run ?? "").join("\n");
    expect(driftRun).toContain('npx orgtrust drift --format markdown > "$RUNNER_TEMP/orgtrust-drift.md"');
    expect(driftRun).toContain('>> "$GITHUB_STEP_SUMMARY"');

    // Existing files are kept unless --force.
    const again = await runCli(["init", "--ci", "github"], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/orgtrust-sync.yml exists \(fix: pass --force/);
  });

  test("--github-app: the pull request is opened with the App's token; GovCloud: the partition's Organizations region; no config: the role from a repository variable", async () => {
    const dir = tmp();
    fs.writeFileSync(
      path.join(dir, "orgtrust.yaml"),
      config("sync:\n  github: { repository: acme/org-config, environment: null }", "aws-us-gov"),
    );
    expect((await runCli(["init", "--ci", "github", "--github-app"], { cwd: dir })).code).toBe(0);
    const sync = expectValid(path.join(dir, ".github/workflows/orgtrust-sync.yml"));
    const steps = sync.jobs.sync.steps;
    const app = steps.find((s) => s.uses?.startsWith("actions/create-github-app-token@"))!;
    expect(app.with).toEqual({
      "app-id": "${{ vars.ORGTRUST_APP_ID }}",
      "private-key": "${{ secrets.ORGTRUST_APP_PRIVATE_KEY }}",
    });
    expect(steps.find((s) => s.uses?.startsWith("peter-evans/"))!.with!.token).toBe(
      "${{ steps.app-token.outputs.token }}",
    );
    expect(steps.find((s) => s.uses?.startsWith("aws-actions/"))!.with).toMatchObject({
      "role-to-assume": "arn:aws-us-gov:iam::111122223333:role/orgtrust-sync-ci",
      "aws-region": "us-gov-west-1",
    });
    expect(sync.jobs.sync.environment).toBeUndefined();

    const bare = tmp();
    expect((await runCli(["init", "--ci", "github"], { cwd: bare })).code).toBe(0);
    const wf = expectValid(path.join(bare, ".github/workflows/orgtrust-sync.yml"));
    expect(wf.jobs.sync.steps.find((s) => s.uses?.startsWith("aws-actions/"))!.with!["role-to-assume"]).toBe(
      "${{ vars.ORGTRUST_ROLE_ARN }}",
    );
    expectValid(path.join(bare, ".github/workflows/orgtrust-drift.yml"));
  });

  test("the validator is not vacuous: a job without runs-on or a misspelt trigger key is rejected", () => {
    const ok = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n";
    expect(validateWorkflow(ok).errors).toEqual([]);
    expect(validateWorkflow(ok.replace("    runs-on: ubuntu-latest\n", "")).errors.length).toBeGreaterThan(0);
    expect(
      validateWorkflow("on: push\nconcurrensy: x\n" + ok.slice("on: push\n".length)).errors.length,
    ).toBeGreaterThan(0);
  });

  test("a snapshot path that is not safe in a shell line is refused (exit 2), nothing written", async () => {
    const dir = tmp();
    fs.writeFileSync(
      path.join(dir, "orgtrust.yaml"),
      config("").replace("snapshot: org/snapshot.json", 'snapshot: "org $(id).json"'),
    );
    const r = await runCli(["init", "--ci", "github"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/snapshot org \$\(id\)\.json: the workflows run it in a shell/);
    expect(fs.existsSync(path.join(dir, ".github"))).toBe(false);
  });
});
