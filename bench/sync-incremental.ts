/**
 * Incremental refresh benchmark (prints figures, asserts nothing). Builds an org in moto (1,000 accounts over 30 OUs
 * up to 5 deep, 2 tags each, by default), crawls it in full once, then:
 *  1. moves one account to another OU and refreshes only that account (`sync --changed <account>`);
 *  2. creates one OU (with a tag) and refreshes only that OU (`sync --changed <ou>`);
 *  3. crawls the whole org again (what `sync` without an event does),
 * printing Organizations calls per operation and wall time for each, and checking the incremental snapshots equal
 * the full crawl. Goal: at most 10 calls for one account, against about 1,440 for the full crawl of this shape.
 *
 * Run:  npm run bench:sync   (= npm run build && node dist/bench/sync-incremental.js [--accounts 1000] [--ous 30] [--depth 5])
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
import { CreateOrganizationalUnitCommand, MoveAccountCommand } from "@aws-sdk/client-organizations";
import { discoverOrganization } from "../org/discover";
import { serializeSnapshot } from "../org/snapshot";
import { refreshIncrementally } from "../sync/incremental";
import { awsClients, TEST_CREDENTIALS } from "../test/support/aws-clients";
import { motoAvailable, startMoto } from "../test/support/moto";
import { buildOrg, syntheticSpec } from "../test/support/org-fixture";

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ops = (m: Record<string, number>) =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");

async function main(): Promise<void> {
  if (!motoAvailable()) {
    console.error("moto_server is not on PATH: install it with pip install 'moto[server]'");
    process.exit(2);
  }
  const accounts = Number(arg("accounts", "1000"));
  const ous = Number(arg("ous", "30"));
  const depth = Number(arg("depth", "5"));
  const moto = await startMoto();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_REGION: "us-east-1",
  });
  const c = awsClients(moto.endpoint);
  try {
    let t = Date.now();
    const built = await buildOrg(c, syntheticSpec({ accounts, ous, depth, tagsPerAccount: 2 }));
    console.log(`org: ${accounts} accounts, ${ous} OUs up to ${depth} deep (built in moto in ${fmt(Date.now() - t)})`);
    const aws = { concurrency: 8 };
    let base = (await discoverOrganization({ ...aws, tags: true })).snapshot;

    // 1. One moved account.
    const mover = built.accounts.find((a) => a.parentId !== built.rootId && a.id !== built.managementAccountId)!;
    const dest = built.ous.find((o) => o.id !== mover.parentId)!.id;
    await c.org.send(
      new MoveAccountCommand({ AccountId: mover.id, SourceParentId: mover.parentId, DestinationParentId: dest }),
    );
    t = Date.now();
    const moved = await refreshIncrementally(base, [mover.id], aws);
    const movedMs = Date.now() - t;
    const s1 = moved.stats.toJSON();
    console.log(`one moved account:  ${s1.total} calls (${ops(s1.byOperation)}), ${fmt(movedMs)}`);
    base = moved.snapshot!;

    // 2. One new OU.
    const out = await c.org.send(
      new CreateOrganizationalUnitCommand({
        ParentId: built.ous[0].id,
        Name: "bench-new-ou",
        Tags: [{ Key: "bench", Value: "yes" }],
      }),
    );
    t = Date.now();
    const created = await refreshIncrementally(base, [out.OrganizationalUnit!.Id!], aws);
    const createdMs = Date.now() - t;
    const s2 = created.stats.toJSON();
    console.log(`one new OU:         ${s2.total} calls (${ops(s2.byOperation)}), ${fmt(createdMs)}`);

    // 3. The full crawl it replaces.
    t = Date.now();
    const full = await discoverOrganization({ ...aws, tags: true });
    const fullMs = Date.now() - t;
    const s3 = full.stats.toJSON();
    console.log(`full crawl:         ${s3.total} calls (${ops(s3.byOperation)}), ${fmt(fullMs)}`);
    const same = serializeSnapshot(created.snapshot!) === serializeSnapshot(full.snapshot);
    console.log(`incremental snapshot equals the full crawl: ${same ? "yes" : "NO"}`);
    console.log(
      `goal (<= 10 calls for one account): ${s1.total <= 10 ? "met" : "MISSED"}; ${(s3.total / Math.max(1, s1.total)).toFixed(0)}x fewer calls than a full crawl`,
    );
    if (!same) process.exitCode = 1;
  } finally {
    c.destroy();
    await moto.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
