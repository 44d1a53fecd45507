import { iamRoleArn, organizationsRegion, type Partition } from "../common/ids";
import type { SyncConfig } from "../config/schema";
import { DISPATCH_EVENT_TYPE } from "../constructs/sync-trigger";

/**
 * The GitHub Actions workflows `orgtrust init --ci github` writes (docs/sync.md):
 *  - .github/workflows/orgtrust-sync.yml: on repository_dispatch (orgtrust-org-changed, sent by the trigger stack),
 *    on a schedule and by hand; one run at a time (concurrency group orgtrust-sync); AWS credentials through OIDC;
 *    `npx orgtrust sync`, then one pull request on a fixed branch with the change summary as its body;
 *  - .github/workflows/orgtrust-drift.yml: `orgtrust drift` on pull requests and on a schedule, the Markdown report in
 *    the job summary.
 * Every action is pinned to a release (test/e2e/sync-workflows.test.ts checks each `uses:` and validates the files
 * against the workflow schema).
 */

/** The actions used, each pinned to a release tag. */
export const ACTIONS = {
  checkout: "actions/checkout@v4.2.2",
  setupNode: "actions/setup-node@v4.4.0",
  awsCredentials: "aws-actions/configure-aws-credentials@v4.2.1",
  createPullRequest: "peter-evans/create-pull-request@v7.0.8",
  appToken: "actions/create-github-app-token@v2.0.6",
} as const;

export const SYNC_WORKFLOW_FILE = ".github/workflows/orgtrust-sync.yml";
export const DRIFT_WORKFLOW_FILE = ".github/workflows/orgtrust-drift.yml";
/** The branch of the one sync pull request. */
export const SYNC_BRANCH = "orgtrust/sync";
export { DISPATCH_EVENT_TYPE };

export interface WorkflowOptions {
  partition: Partition;
  managementAccountId?: string;
  sync?: SyncConfig;
  /** The config file, relative to the repository root (default orgtrust.yaml). */
  configFile: string;
  /** The committed snapshot, relative to the repository root. */
  snapshotFile: string;
  /** Open the pull request with a GitHub App token (it triggers other workflows) instead of GITHUB_TOKEN. */
  githubApp: boolean;
  /**
   * Environment variables the sync step needs: the external IDs of the integrations whose files carry the value (AWS
   * CLI, Steampipe, c7n-org) and are not written in the config. Each comes from the repository secret of that name.
   */
  externalIdVariables?: readonly string[];
}

function externalIdEnvLines(o: WorkflowOptions): string[] {
  const vars = o.externalIdVariables ?? [];
  if (!vars.length) return [];
  return [
    "        # The AWS CLI, Steampipe and c7n-org files carry the external ID itself: add each as a repository secret.",
    "        env:",
    ...vars.map((v) => `          ${v}: \${{ secrets.${v} }}`),
  ];
}

/** Paths go into shell lines: only plain relative paths are accepted (init checks this before calling). */
export const SAFE_PATH = /^[A-Za-z0-9._][A-Za-z0-9._/-]*$/;

function roleLine(o: WorkflowOptions): string {
  if (o.sync && o.managementAccountId)
    return iamRoleArn(o.partition, o.managementAccountId, o.sync.ciRole.name, o.sync.ciRole.path);
  return "${{ vars.ORGTRUST_ROLE_ARN }}";
}

function environmentLines(o: WorkflowOptions): string[] {
  const env = o.sync ? o.sync.github.environment : "orgtrust";
  return env
    ? [
        `    # The CI role trusts this environment (sync.github.environment); restrict it to the branches you trust.`,
        `    environment: ${env}`,
      ]
    : [];
}

function setupSteps(o: WorkflowOptions, session: string): string[] {
  return [
    `      - uses: ${ACTIONS.checkout}`,
    `      - uses: ${ACTIONS.setupNode}`,
    "        with:",
    "          node-version: 22",
    "          cache: npm",
    "      # orgtrust is a devDependency of this repository (npm install --save-dev orgtrust), pinned in package-lock.json.",
    "      - run: npm ci",
    "      # No long-lived keys: the job's OIDC token is exchanged for the CI role (the trigger stack creates it).",
    `      - uses: ${ACTIONS.awsCredentials}`,
    "        with:",
    `          role-to-assume: ${roleLine(o)}`,
    `          aws-region: ${organizationsRegion(o.partition)}`,
    `          role-session-name: ${session}`,
  ];
}

export function syncWorkflow(o: WorkflowOptions): string {
  const schedule = o.sync?.schedule ?? "17 5 * * *";
  const cfg = o.configFile === "orgtrust.yaml" ? "" : ` --config ${o.configFile}`;
  const tokenSteps = o.githubApp
    ? [
        "      # A GitHub App's token: a pull request it opens triggers the repository's other workflows (drift, tests).",
        `      - uses: ${ACTIONS.appToken}`,
        "        id: app-token",
        "        if: steps.sync.outputs.changed == 'true'",
        "        with:",
        "          app-id: ${{ vars.ORGTRUST_APP_ID }}",
        "          private-key: ${{ secrets.ORGTRUST_APP_PRIVATE_KEY }}",
      ]
    : [
        "      # The pull request below is opened with the default GITHUB_TOKEN: GitHub does not start other workflows",
        "      # (drift, tests) for events it causes. To have them run, open it with a GitHub App's token instead:",
        "      # re-run `orgtrust init --ci github --github-app`, or add",
        `      #   - uses: ${ACTIONS.appToken}`,
        "      #     id: app-token",
        "      #     with: { app-id: ${{ vars.ORGTRUST_APP_ID }}, private-key: ${{ secrets.ORGTRUST_APP_PRIVATE_KEY }} }",
        "      # and pass `token: ${{ steps.app-token.outputs.token }}` to create-pull-request.",
      ];
  return [
    "# Generated by `orgtrust init --ci github` (docs/sync.md). Keeps this repository in step with the AWS Organization:",
    "# an org change (repository_dispatch from the trigger stack), the daily schedule (events are best-effort) or a run",
    "# by hand (gh workflow run orgtrust-sync.yml -f changed=<account-or-ou-id>) refreshes the snapshot, regenerates",
    "# the consumers' files and the stacks, and opens or updates one pull request with the change summary.",
    "name: orgtrust sync",
    "",
    "on:",
    "  repository_dispatch:",
    `    types: [${DISPATCH_EVENT_TYPE}]`,
    "  schedule:",
    `    - cron: "${schedule}"`,
    "  workflow_dispatch:",
    "    inputs:",
    "      changed:",
    "        description: Account or OU ids to refresh (space separated); empty for a full crawl",
    "        required: false",
    '        default: ""',
    "",
    "# One run at a time: a burst of events collapses into one waiting run (GitHub keeps only the newest pending run).",
    "concurrency:",
    "  group: orgtrust-sync",
    "  cancel-in-progress: false",
    "",
    "permissions:",
    "  id-token: write",
    "  contents: write",
    "  pull-requests: write",
    "",
    "jobs:",
    "  sync:",
    "    runs-on: ubuntu-latest",
    "    timeout-minutes: 30",
    ...environmentLines(o),
    "    steps:",
    ...setupSteps(o, "orgtrust-sync"),
    "      # Refresh from the open sync pull request's snapshot (events accumulate there); describe the change since the",
    "      # default branch's snapshot.",
    "      - name: Start from the open sync pull request",
    "        run: |",
    `          cp ${o.snapshotFile} "$RUNNER_TEMP/orgtrust-base.json" 2>/dev/null || true`,
    `          if git fetch --depth 1 origin ${SYNC_BRANCH} 2>/dev/null; then git checkout FETCH_HEAD -- ${o.snapshotFile} || true; fi`,
    "      - name: orgtrust sync",
    "        id: sync",
    ...externalIdEnvLines(o),
    "        run: |",
    "          set +e",
    `          npx orgtrust sync${cfg} --event "$GITHUB_EVENT_PATH" --since "$RUNNER_TEMP/orgtrust-base.json" --summary "$RUNNER_TEMP/orgtrust-sync.md"`,
    "          code=$?",
    "          set -e",
    '          cat "$RUNNER_TEMP/orgtrust-sync.md" >> "$GITHUB_STEP_SUMMARY" || true',
    '          if [ "$code" -gt 1 ]; then exit "$code"; fi',
    '          if [ "$code" -eq 1 ]; then echo "changed=true" >> "$GITHUB_OUTPUT"; else echo "changed=false" >> "$GITHUB_OUTPUT"; fi',
    ...tokenSteps,
    "      - name: Open or update the sync pull request",
    "        if: steps.sync.outputs.changed == 'true'",
    `        uses: ${ACTIONS.createPullRequest}`,
    "        with:",
    ...(o.githubApp ? ["          token: ${{ steps.app-token.outputs.token }}"] : []),
    `          branch: ${SYNC_BRANCH}`,
    "          delete-branch: true",
    '          title: "orgtrust sync: the organization changed"',
    '          commit-message: "orgtrust sync: refresh the org snapshot, generated files and stacks"',
    "          body-path: ${{ runner.temp }}/orgtrust-sync.md",
    "          labels: orgtrust",
    "",
  ].join("\n");
}

export function driftWorkflow(o: WorkflowOptions): string {
  const cfg = o.configFile === "orgtrust.yaml" ? "" : ` --config ${o.configFile}`;
  return [
    "# Generated by `orgtrust init --ci github` (docs/sync.md). Checks for drift between the config, the committed",
    "# snapshot and AWS on every pull request (the sync pull request included) and daily; the Markdown report is the",
    "# job summary. Exit 1 (a failed check) on an error finding.",
    "name: orgtrust drift",
    "",
    "on:",
    "  pull_request:",
    "  schedule:",
    '    - cron: "41 6 * * *"',
    "  workflow_dispatch:",
    "",
    "permissions:",
    "  id-token: write",
    "  contents: read",
    "",
    "jobs:",
    "  drift:",
    "    # Pull requests from forks get no AWS credentials (and GitHub gives them no OIDC token anyway).",
    "    if: github.event_name != 'pull_request' || github.event.pull_request.head.repo.full_name == github.repository",
    "    runs-on: ubuntu-latest",
    "    timeout-minutes: 30",
    ...environmentLines(o),
    "    steps:",
    ...setupSteps(o, "orgtrust-drift"),
    "      - name: orgtrust drift",
    "        run: |",
    "          set +e",
    `          npx orgtrust drift${cfg} --format markdown > "$RUNNER_TEMP/orgtrust-drift.md"`,
    "          code=$?",
    "          set -e",
    '          cat "$RUNNER_TEMP/orgtrust-drift.md" >> "$GITHUB_STEP_SUMMARY"',
    '          exit "$code"',
    "",
  ].join("\n");
}
