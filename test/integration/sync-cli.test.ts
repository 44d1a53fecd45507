import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CloseAccountCommand, CreateAccountCommand, MoveAccountCommand } from "@aws-sdk/client-organizations";
import { awsClients, type AwsClients } from "../support/aws-clients";
import { runCli } from "../support/cli";
import { describeWithMoto } from "../support/moto";
import { buildOrg, type BuiltOrg } from "../support/org-fixture";
import type { Snapshot } from "../../org/snapshot";

/**
 * `orgtrust sync` end to end: ./bin/orgtrust against a moto org, in a scratch repository holding orgtrust.yaml,
 * the committed snapshot, the generated files and the stacks. Checks the exit codes (0 nothing changed, 1 files
 * changed, --check writes nothing), that an unchanged org leaves every file byte-identical, that a move / create /
 * close changes exactly the files whose content changes, and what the Markdown summary says.
 */

/** Every file under dir (relative path -> sha256), the whole scratch repository. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

const changedBetween = (a: Record<string, string>, b: Record<string, string>) =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort();

const EVIL = "evil | **bold** @admin <img src=x> `tick` #1";

describeWithMoto("orgtrust sync against moto", (moto) => {
  let c: AwsClients;
  let org: BuiltOrg;
  let repo: string;
  let summaryDir: string;

  // The c7n-org and AWS CLI files carry the external ID itself: CI exports the generated IDs (docs/generate.md, External IDs).
  const EXTERNAL_IDS = {
    ORGTRUST_CUSTODIAN_EXTERNAL_ID: "ext-sync-custodian-7Gh2",
    ORGTRUST_AWSCLI_EXTERNAL_ID: "ext-sync-awscli-4Kp9",
  };
  const sync = (args: string[]) =>
    runCli(["sync", "--summary", path.join(summaryDir, "summary.md"), ...args], {
      endpoint: moto().endpoint,
      cwd: repo,
      env: EXTERNAL_IDS,
    });
  const summary = () => fs.readFileSync(path.join(summaryDir, "summary.md"), "utf8");

  beforeEach(async () => {
    c = awsClients(moto().endpoint);
    org = await buildOrg(c, {
      ous: [
        {
          name: "Workloads",
          ous: [
            { name: "Prod", accounts: [{ name: "prod-a", tags: { owner: "team-a" } }, { name: "prod-b" }] },
            { name: "Dev", accounts: [{ name: "dev-a" }] },
          ],
        },
        { name: "Sandbox", accounts: [{ name: "sandbox-1" }] },
      ],
    });
    repo = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-sync-repo-"));
    summaryDir = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-sync-summary-"));
    fs.writeFileSync(
      path.join(repo, "orgtrust.yaml"),
      [
        "version: 1",
        "organization:",
        `  managementAccountId: "${org.managementAccountId}"`,
        "  homeRegion: us-east-1",
        "snapshot: org.json",
        "exclusions:",
        "  organizationalUnits:",
        `    - ${org.ou.Sandbox}`,
        "integrations:",
        "  custodian:",
        "    consumer: c7n-org",
        "    trustedPrincipal: arn:aws:iam::444455556666:role/custodian-runner",
        "    output: { dir: generated/custodian }",
        "  awscli:",
        "    consumer: aws-cli",
        "    trustedPrincipal: arn:aws:iam::444455556666:role/platform-engineer",
        "    exclusions:",
        `      organizationalUnits: [${org.ou["Workloads/Dev"]}]`,
        "    output: { dir: generated/awscli }",
        "",
      ].join("\n"),
    );
  });
  afterEach(() => {
    c.destroy();
    fs.rmSync(repo, { recursive: true, force: true });
    fs.rmSync(summaryDir, { recursive: true, force: true });
  });

  test("first run writes everything (exit 1); a re-run on an unchanged org changes nothing, byte for byte (exit 0)", async () => {
    const first = await sync(["--json"]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(1);
    const written = JSON.parse(first.stdout) as {
      files: Array<{ path: string; status: string }>;
      refresh: { mode: string };
    };
    expect(written.refresh.mode).toBe("full");
    expect(written.files.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        "org.json",
        "cdktf.out/stacks/custodian/cdk.tf.json",
        "generated/custodian/accounts.yml",
      ]),
    );
    expect(written.files.every((f) => f.status === "created")).toBe(true);
    expect(written.files.map((f) => f.path).sort()).toEqual(
      Object.keys(tree(repo))
        .filter((f) => f !== "orgtrust.yaml")
        .sort(),
    );

    const before = tree(repo);
    const again = await sync([]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/0 organization change\(s\), 0 file\(s\) changed/);
    expect(tree(repo)).toEqual(before);
    expect(summary()).toMatch(/^## orgtrust sync: 0 organization changes, 0 files changed/);
    const check = await sync(["--check"]);
    expect(check.code).toBe(0);
  });

  test("a move, a new account and a closed account: --check writes nothing (exit 1); sync changes exactly the files whose content changes; the summary says who gains and loses the member role", async () => {
    expect((await sync([])).code).toBe(1);
    const base = tree(repo);
    // Changes in the org: prod-b moves to Dev (out of awscli's scope), a new account in Prod, dev-a closes.
    await c.org.send(
      new MoveAccountCommand({
        AccountId: org.account["prod-b"],
        SourceParentId: org.ou["Workloads/Prod"],
        DestinationParentId: org.ou["Workloads/Dev"],
      }),
    );
    const created = await c.org.send(new CreateAccountCommand({ AccountName: EVIL, Email: "evil@example.com" }));
    const newId = created.CreateAccountStatus!.AccountId!;
    await c.org.send(
      new MoveAccountCommand({
        AccountId: newId,
        SourceParentId: org.rootId,
        DestinationParentId: org.ou["Workloads/Prod"],
      }),
    );
    await c.org.send(new CloseAccountCommand({ AccountId: org.account["dev-a"] }));

    const check = await sync(["--check", "--json"]);
    expect(check.code).toBe(1);
    expect(tree(repo)).toEqual(base);
    const would = (JSON.parse(check.stdout) as { files: Array<{ path: string }> }).files.map((f) => f.path);

    const run = await sync(["--json"]);
    expect(run.code).toBe(1);
    const after = tree(repo);
    const reported = (JSON.parse(run.stdout) as { files: Array<{ path: string }> }).files.map((f) => f.path);
    expect(reported).toEqual(changedBetween(base, after));
    expect(would).toEqual(reported);
    expect(reported).toEqual(
      expect.arrayContaining([
        "org.json",
        "generated/custodian/accounts.yml",
        "cdktf.out/stacks/awscli/orgtrust-coverage.json",
      ]),
    );

    const snap = JSON.parse(fs.readFileSync(path.join(repo, "org.json"), "utf8")) as Snapshot;
    expect(snap.accounts.find((a) => a.id === org.account["prod-b"])!.parentId).toBe(org.ou["Workloads/Dev"]);
    expect(snap.accounts.find((a) => a.id === org.account["dev-a"])!.state).toBe("SUSPENDED");

    const md = summary();
    expect(md).toMatch(/^## orgtrust sync: 3 organization changes, \d+ files changed/);
    // Org data is inside code spans, pipes escaped for the table: no bold, no mention, no HTML, no issue link.
    expect(md).toContain(`| added | \`\`evil \\| **bold** @admin <img src=x> \`tick\` #1\`\` (\`${newId}\`) |`);
    const lines = md.split("\n");
    const section = (name: string) =>
      lines
        .slice(lines.indexOf(lines.find((l) => l.startsWith(`### \`${name}\``))!), undefined)
        .join("\n")
        .split("\n### ")[0];
    const custodian = section("custodian");
    expect(custodian).toContain(
      `| moved | \`prod-b\` (\`${org.account["prod-b"]}\`) | \`Root / Workloads / Prod\` → \`Root / Workloads / Dev\` |`,
    );
    expect(custodian).toContain(`| state | \`dev-a\` (\`${org.account["dev-a"]}\`) | \`ACTIVE\` → \`SUSPENDED\` |`);
    expect(custodian).toMatch(
      new RegExp(
        `\\| \`dev-a\` \\(\`${org.account["dev-a"]}\`\\) \\| loses \\| through the StackSet \\| not at all: inactive \\(SUSPENDED\\) \\|`,
      ),
    );
    expect(custodian).toMatch(
      new RegExp(`\\(\`${newId}\`\\) \\| gets \\| not in the organization \\| through the StackSet \\|`),
    );
    const awscli = section("awscli");
    expect(awscli).toMatch(
      new RegExp(
        `\\| \`prod-b\` \\(\`${org.account["prod-b"]}\`\\) \\| loses \\| through the StackSet \\| not at all: in excluded OU Dev`,
      ),
    );
    // dev-a was never in awscli's scope (Dev is excluded there): its closing is no concern of awscli.
    expect(awscli).not.toContain(`\`dev-a\``);

    const rerun = await sync([]);
    expect(rerun.code).toBe(0);
    expect(tree(repo)).toEqual(after);
  });

  test("an event payload refreshes only what it names (3 calls for a moved account); a stale snapshot falls back to a full crawl; --drift lists findings", async () => {
    expect((await sync([])).code).toBe(1);
    const id = org.account["prod-a"];
    await c.org.send(
      new MoveAccountCommand({
        AccountId: id,
        SourceParentId: org.ou["Workloads/Prod"],
        DestinationParentId: org.ou["Workloads/Dev"],
      }),
    );
    // What the trigger stack sends: the EventBridge event as client_payload.event (GITHUB_EVENT_PATH holds the dispatch).
    const eventFile = path.join(summaryDir, "event.json");
    const dispatch = (detail: Record<string, unknown>) =>
      fs.writeFileSync(
        eventFile,
        JSON.stringify({
          action: "orgtrust-org-changed",
          client_payload: {
            event: { source: "aws.organizations", "detail-type": "AWS API Call via CloudTrail", detail },
          },
        }),
      );
    dispatch({
      eventName: "MoveAccount",
      requestParameters: {
        accountId: id,
        sourceParentId: org.ou["Workloads/Prod"],
        destinationParentId: org.ou["Workloads/Dev"],
      },
    });
    const inc = await sync(["--event", eventFile, "--json"]);
    expect(inc.code).toBe(1);
    const r = JSON.parse(inc.stdout) as {
      refresh: { mode: string; calls: number; ids: string[] };
      changes: { accountsMoved: unknown[] };
    };
    expect(r.refresh).toEqual({ mode: "incremental", calls: 3, ids: [id] });
    expect(r.changes.accountsMoved).toHaveLength(1);
    expect(summary()).toContain(`refreshed by an incremental refresh of \`${id}\` (3 Organizations calls).`);
    const snap = JSON.parse(fs.readFileSync(path.join(repo, "org.json"), "utf8")) as Snapshot;
    expect(snap.accounts.find((a) => a.id === id)!.parentId).toBe(org.ou["Workloads/Dev"]);

    await c.org.send(
      new MoveAccountCommand({
        AccountId: id,
        SourceParentId: org.ou["Workloads/Dev"],
        DestinationParentId: org.ou["Workloads/Prod"],
      }),
    );
    const stale = await sync(["--event", eventFile, "--max-age", "0", "--json"]);
    expect(stale.code).toBe(1);
    expect(JSON.parse(stale.stdout).refresh).toMatchObject({
      mode: "full",
      reason: expect.stringMatching(/^the committed snapshot is 0 h old \(more than 0 h\)$/),
    });

    // An event that names no account (a handshake): a full crawl, nothing changed.
    dispatch({ eventName: "AcceptHandshake", responseElements: { handshake: { id: "h-1" } } });
    const none = await sync(["--event", eventFile, "--json"]);
    expect(none.code).toBe(0);
    expect(JSON.parse(none.stdout).refresh).toMatchObject({
      mode: "full",
      reason: "event AcceptHandshake names no account or OU",
    });

    // --drift: nothing is deployed in moto, so each integration's StackSet is missing.
    const drift = await sync(["--drift", "--check"]);
    expect(drift.code).toBe(0);
    expect(summary()).toMatch(
      /\*\*Drift findings\*\*\n\n\| Severity \| Kind \| Finding \|\n\|---\|---\|---\|\n\| error \| `stackset-missing`/,
    );
  });

  test("bad input is exit 2 and writes nothing", async () => {
    const r = await sync(["--changed", "12345"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^orgtrust: error: --changed 12345: not an account id/);
    expect(fs.readdirSync(repo)).toEqual(["orgtrust.yaml"]);
  });
});
