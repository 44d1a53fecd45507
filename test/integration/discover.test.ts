import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { awsClients } from "../support/aws-clients";
import { runCli } from "../support/cli";
import { startFaultProxy, type FaultProxy } from "../support/fault-proxy";
import { describeWithMoto, httpStatus } from "../support/moto";
import { buildOrg, syntheticSpec, type BuiltOrg, type OrgSpec } from "../support/org-fixture";
import type { Snapshot } from "../../org/snapshot";

/** A moto RNG seed under which the SMALL fixture gets account ids with a leading zero (ids are strings everywhere). */
const LEADING_ZERO_SEED = 1;

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-discover-"));

/** Depth 5, 23 accounts in one OU (pagination), 21 child OUs under one parent, tags, a suspended account. */
const SMALL: OrgSpec = {
  rootTags: { "managed-by": "platform" },
  rootAccounts: [{ name: "billing", tags: { owner: "finance" } }],
  ous: [
    {
      name: "Workloads",
      tags: { tier: "1" },
      accounts: Array.from({ length: 23 }, (_, i) => ({
        name: `app-${i}`,
        tags: { owner: `team-${i % 3}` },
        suspended: i === 4,
      })),
      ous: [
        {
          name: "L2",
          ous: [
            {
              name: "L3",
              ous: [
                {
                  name: "L4",
                  ous: [
                    { name: "L5", tags: { deep: "yes" }, accounts: [{ name: "deep-account", tags: { depth: "5" } }] },
                  ],
                },
              ],
            },
          ],
        },
      ],
    },
    { name: "Many", ous: Array.from({ length: 21 }, (_, i) => ({ name: `child-${i}` })) },
  ],
};

function expectSnapshotMatches(snap: Snapshot, built: BuiltOrg): void {
  expect(snap.schemaVersion).toBe(1);
  expect(snap.organization.id).toBe(built.orgId);
  expect(snap.organization.managementAccountId).toBe(built.managementAccountId);
  expect(snap.root.id).toBe(built.rootId);
  expect(snap.accounts.map((a) => a.id)).toEqual(built.accounts.map((a) => a.id).sort());
  for (const want of built.accounts) {
    const got = snap.accounts.find((a) => a.id === want.id)!;
    expect(typeof got.id).toBe("string");
    expect(got.name).toBe(want.name);
    expect(got.parentId).toBe(want.parentId);
    expect(got.path.map((p) => p.id)).toEqual(want.pathIds);
    expect(got.state).toBe(want.state);
    expect(got.tags).toEqual(want.tags);
    expect(got.isManagementAccount).toBe(want.id === built.managementAccountId);
  }
  expect(snap.organizationalUnits.map((o) => o.id)).toEqual(built.ous.map((o) => o.id).sort());
  for (const want of built.ous) {
    const got = snap.organizationalUnits.find((o) => o.id === want.id)!;
    expect(got.path.map((p) => p.id)).toEqual(want.pathIds);
    expect(got.tags).toEqual(want.tags);
  }
}

describeWithMoto("orgtrust discover against moto", (moto) => {
  let proxy: FaultProxy;
  beforeEach(async () => {
    proxy = await startFaultProxy(moto().endpoint, 7);
  });
  afterEach(async () => {
    await proxy.stop();
  });

  test("reads nested OUs to depth 5, pages past 20, tags, states; calls equal the documented minimum", async () => {
    // A seeded moto gives the same account ids on every run; this seed yields ids that start with 0.
    expect(await httpStatus(`${moto().endpoint}/moto-api/seed?a=${LEADING_ZERO_SEED}`, "POST")).toBe(200);
    const c = awsClients(moto().endpoint);
    const built = await buildOrg(c, SMALL);
    expect(built.accounts.some((a) => a.id.startsWith("0"))).toBe(true);
    c.destroy();
    const dir = tmp();
    const out = path.join(dir, "org.json");
    const r = await runCli(["discover", "--out", out, "--json"], { endpoint: proxy.endpoint });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const snap = JSON.parse(fs.readFileSync(out, "utf8")) as Snapshot;
    expectSnapshotMatches(snap, built);
    expect(Math.max(...snap.organizationalUnits.map((o) => o.depth))).toBe(5);
    const summary = JSON.parse(r.stdout);
    expect(summary.calls.total).toBe(summary.calls.minimum);
    // The proxy's own count of requests on the wire agrees with the CLI's.
    const onWire = [...proxy.forwarded.values()].reduce((a, b) => a + b, 0);
    expect(onWire).toBe(summary.calls.minimum);
    expect(proxy.forwarded.get("DescribeAccount")).toBeUndefined();
    expect(proxy.forwarded.get("ListParents")).toBeUndefined();
    // Workloads holds 23 accounts: two pages of ListAccountsForParent; Many holds 21 OUs: two pages.
    expect(summary.inScope.length).toBe(built.accounts.length - 1); // the suspended one is out
    expect(summary.excluded).toEqual([
      { id: built.account["app-4"], name: "app-4", reasons: [{ kind: "inactive", state: "SUSPENDED" }] },
    ]);

    // A re-run on the unchanged org is byte-identical.
    const first = fs.readFileSync(out);
    const again = await runCli(["discover", "--out", out], { endpoint: moto().endpoint });
    expect(again.code).toBe(0);
    expect(fs.readFileSync(out).equals(first)).toBe(true);
    expect(again.stdout).toMatch(/AWS calls: \d+ \(minimum for this shape: \d+/);
  });

  test("--no-tags skips ListTagsForResource", async () => {
    const c = awsClients(moto().endpoint);
    await buildOrg(c, SMALL);
    c.destroy();
    const r = await runCli(["discover", "--no-tags", "--json"], { endpoint: proxy.endpoint });
    expect(r.code).toBe(0);
    expect(proxy.forwarded.get("ListTagsForResource")).toBeUndefined();
    const summary = JSON.parse(r.stdout);
    expect(summary.calls.total).toBe(summary.calls.minimum);
  });

  test("throttling, ConcurrentModification and dropped connections give the identical snapshot", async () => {
    const c = awsClients(moto().endpoint);
    await buildOrg(c, SMALL);
    c.destroy();
    const dir = tmp();
    const clean = await runCli(["discover", "--out", path.join(dir, "clean.json")], { endpoint: moto().endpoint });
    expect(clean.code).toBe(0);
    proxy.addRule({ rate: 0.3, fault: { kind: "error", code: "TooManyRequestsException" } });
    proxy.addRule({ rate: 0.05, fault: { kind: "error", code: "ConcurrentModificationException" } });
    proxy.addRule({ count: 3, operations: ["ListAccountsForParent"], fault: { kind: "drop" } });
    const noisy = await runCli(["discover", "--out", path.join(dir, "noisy.json"), "--json"], {
      endpoint: proxy.endpoint,
    });
    expect(noisy.code).toBe(0);
    expect([...proxy.faulted.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(10);
    expect(fs.readFileSync(path.join(dir, "noisy.json"), "utf8")).toBe(
      fs.readFileSync(path.join(dir, "clean.json"), "utf8"),
    );
    // Logical calls stay at the minimum; only HTTP attempts grow.
    const summary = JSON.parse(noisy.stdout);
    expect(summary.calls.total).toBe(summary.calls.minimum);
    expect(summary.calls.attempts).toBeGreaterThan(summary.calls.total);
  });

  test("access denied names the action and exits 3, writing nothing", async () => {
    const c = awsClients(moto().endpoint);
    await buildOrg(c, SMALL);
    c.destroy();
    proxy.addRule({
      operations: ["ListAccountsForParent"],
      rate: 1,
      fault: {
        kind: "error",
        code: "AccessDeniedException",
        message:
          "User: arn:aws:sts::123456789012:assumed-role/reader/s is not authorized to perform: organizations:ListAccountsForParent",
      },
    });
    const out = path.join(tmp(), "org.json");
    const r = await runCli(["discover", "--out", out], { endpoint: proxy.endpoint });
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("organizations:ListAccountsForParent");
    expect(r.stderr).toContain("arn:aws:sts::123456789012:assumed-role/reader/s");
    expect(fs.existsSync(out)).toBe(false);
  });

  test("not in an organization: exit 3 with the remedy", async () => {
    const r = await runCli(["discover"], { endpoint: moto().endpoint });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/not in an AWS Organization \(fix: /);
  });

  test("throttling that never ends fails with exit 3 and leaves the old snapshot intact", async () => {
    const c = awsClients(moto().endpoint);
    await buildOrg(c, { ous: [{ name: "A", accounts: [{ name: "a1" }] }] });
    c.destroy();
    const out = path.join(tmp(), "org.json");
    fs.writeFileSync(out, "previous");
    proxy.addRule({
      operations: ["ListAccountsForParent"],
      rate: 1,
      fault: { kind: "error", code: "TooManyRequestsException" },
    });
    const r = await runCli(["discover", "--out", out], {
      endpoint: proxy.endpoint,
      env: { ORGTRUST_MAX_ATTEMPTS: "2" },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("kept throttling");
    expect(fs.readFileSync(out, "utf8")).toBe("previous");
  });

  test("--role-arn with --external-id assumes the discovery role first", async () => {
    const c = awsClients(moto().endpoint);
    const built = await buildOrg(c, { ous: [{ name: "A", accounts: [{ name: "a1" }] }] });
    c.destroy();
    const r = await runCli(
      [
        "discover",
        "--role-arn",
        `arn:aws:iam::${built.managementAccountId}:role/orgtrust-discovery`,
        "--external-id",
        "ext-secret-123456",
        "--json",
      ],
      { endpoint: proxy.endpoint },
    );
    expect(r.code).toBe(0);
    expect(proxy.forwarded.get("AssumeRole")).toBe(1);
    expect(r.stdout + r.stderr).not.toContain("ext-secret-123456");
  });

  test("done-when: 200 accounts in 30 OUs (depth 5): fixture-equal snapshot at the minimum call count, identical under 30% throttling", async () => {
    expect(await httpStatus(`${moto().endpoint}/moto-api/seed?a=42`, "POST")).toBe(200);
    const c = awsClients(moto().endpoint);
    const built = await buildOrg(
      c,
      syntheticSpec({ accounts: 200, ous: 30, depth: 5, tagsPerAccount: 2, suspendEvery: 50 }),
    );
    c.destroy();
    const dir = tmp();
    const r = await runCli(["discover", "--out", path.join(dir, "clean.json"), "--json"], { endpoint: proxy.endpoint });
    expect(r.code).toBe(0);
    const snap = JSON.parse(fs.readFileSync(path.join(dir, "clean.json"), "utf8")) as Snapshot;
    expect(snap.accounts).toHaveLength(200);
    expect(snap.accounts.filter((a) => a.id.startsWith("0")).length).toBeGreaterThan(0);
    expect(snap.organizationalUnits).toHaveLength(30);
    expectSnapshotMatches(snap, built);
    const summary = JSON.parse(r.stdout);
    expect(summary.calls.total).toBe(summary.calls.minimum);

    proxy.addRule({ rate: 0.3, fault: { kind: "error", code: "TooManyRequestsException" } });
    const t = await runCli(["discover", "--out", path.join(dir, "throttled.json")], { endpoint: proxy.endpoint });
    expect(t.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, "throttled.json"), "utf8")).toBe(
      fs.readFileSync(path.join(dir, "clean.json"), "utf8"),
    );
  }, 240_000);
});
