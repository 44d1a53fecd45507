import {
  CloseAccountCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  DeleteOrganizationalUnitCommand,
  MoveAccountCommand,
  RemoveAccountFromOrganizationCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateOrganizationalUnitCommand,
} from "@aws-sdk/client-organizations";
import type { AwsOptions } from "../../aws/options";
import { discoverOrganization } from "../../org/discover";
import { serializeSnapshot, type Snapshot } from "../../org/snapshot";
import { refreshIncrementally } from "../../sync/incremental";
import { awsClients, TEST_CREDENTIALS, type AwsClients } from "../support/aws-clients";
import { describeWithMoto } from "../support/moto";
import { buildOrg } from "../support/org-fixture";

/**
 * Incremental refresh equals a full crawl, byte for byte: random changes (accounts created, moved, closed, removed,
 * renamed OUs, OUs created and deleted, tags set and removed on accounts, OUs and the root) are applied to a moto org
 * through the real SDK; after each round the snapshot refreshed from the ids the events would name is compared with a
 * fresh full crawl. Bounded rounds, a fixed seed (ORGTRUST_SYNC_SEED overrides it to explore other sequences).
 */

const SEED = Number(process.env.ORGTRUST_SYNC_SEED ?? 20261201);
const ROUNDS = 14;

/** mulberry32: a small deterministic PRNG. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describeWithMoto("incremental refresh vs full crawl (randomized)", (moto) => {
  let c: AwsClients;
  const saved: Record<string, string | undefined> = {};
  const ENV = {
    AWS_ENDPOINT_URL: "",
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_REGION: "us-east-1",
    ORGTRUST_RETRY_BASE_MS: "5",
  };
  const aws: AwsOptions = { concurrency: 4, tuning: { retryBaseMs: 5 } };

  beforeEach(() => {
    c = awsClients(moto().endpoint);
    for (const [k, v] of Object.entries({ ...ENV, AWS_ENDPOINT_URL: moto().endpoint })) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  afterEach(() => {
    c.destroy();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  test(`seed ${SEED}: ${ROUNDS} rounds of random changes, incremental result === full crawl`, async () => {
    const random = rng(SEED);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
    const org = await buildOrg(c, {
      rootTags: { scope: "root" },
      rootAccounts: [{ name: "billing" }],
      ous: [
        {
          name: "Workloads",
          tags: { tier: "1" },
          ous: [
            { name: "Prod", accounts: [{ name: "p1", tags: { owner: "a" } }, { name: "p2" }] },
            { name: "Dev", accounts: [{ name: "d1" }] },
          ],
        },
        {
          name: "Security",
          accounts: [{ name: "audit" }, { name: "log" }],
          ous: [{ name: "Deep", ous: [{ name: "Deeper", accounts: [{ name: "deep1" }] }] }],
        },
      ],
    });
    let base = (await discoverOrganization({ ...aws, tags: true })).snapshot;
    let serial = 0;
    const kinds: Record<string, number> = {};

    const parents = (s: Snapshot) => [s.root.id, ...s.organizationalUnits.map((o) => o.id)];
    const members = (s: Snapshot) => s.accounts.filter((a) => !a.isManagementAccount);
    const active = (s: Snapshot) => members(s).filter((a) => a.state === "ACTIVE");

    type Change = (s: Snapshot) => Promise<string[] | null>;
    const changes: Record<string, Change> = {
      createAccount: async (s) => {
        const out = await c.org.send(
          new CreateAccountCommand({
            AccountName: `new-${++serial}`,
            Email: `new-${serial}@example.com`,
            Tags: random() < 0.5 ? [{ Key: "owner", Value: `t${serial}` }] : undefined,
          }),
        );
        const id = out.CreateAccountStatus!.AccountId!;
        const dest = pick(parents(s));
        if (dest !== s.root.id)
          await c.org.send(
            new MoveAccountCommand({ AccountId: id, SourceParentId: s.root.id, DestinationParentId: dest }),
          );
        return [id];
      },
      moveAccount: async (s) => {
        const a = pick(members(s));
        const dest = pick(parents(s).filter((p) => p !== a.parentId));
        await c.org.send(
          new MoveAccountCommand({ AccountId: a.id, SourceParentId: a.parentId, DestinationParentId: dest }),
        );
        return [a.id];
      },
      closeAccount: async (s) => {
        const xs = active(s);
        if (!xs.length) return null;
        const a = pick(xs);
        await c.org.send(new CloseAccountCommand({ AccountId: a.id }));
        return [a.id];
      },
      removeAccount: async (s) => {
        const a = pick(members(s));
        await c.org.send(new RemoveAccountFromOrganizationCommand({ AccountId: a.id }));
        return [a.id];
      },
      tagAccount: async (s) => {
        const a = pick(s.accounts);
        if (Object.keys(a.tags).length && random() < 0.5)
          await c.org.send(new UntagResourceCommand({ ResourceId: a.id, TagKeys: [Object.keys(a.tags)[0]] }));
        else
          await c.org.send(
            new TagResourceCommand({ ResourceId: a.id, Tags: [{ Key: `k${++serial}`, Value: `v${serial}` }] }),
          );
        return [a.id];
      },
      createOu: async (s) => {
        const parent = pick(
          parents(s).filter((p) => p === s.root.id || s.organizationalUnits.find((o) => o.id === p)!.depth < 5),
        );
        const out = await c.org.send(
          new CreateOrganizationalUnitCommand({
            ParentId: parent,
            Name: `ou-new-${++serial}`,
            Tags: [{ Key: "made", Value: String(serial) }],
          }),
        );
        const ouId = out.OrganizationalUnit!.Id!;
        // Often an account moves into the new OU at once: two events (CreateOrganizationalUnit, MoveAccount).
        if (random() < 0.6) {
          const a = pick(members(s));
          await c.org.send(
            new MoveAccountCommand({ AccountId: a.id, SourceParentId: a.parentId, DestinationParentId: ouId }),
          );
          return [ouId, a.id];
        }
        return [ouId];
      },
      renameOu: async (s) => {
        const o = pick(s.organizationalUnits);
        await c.org.send(
          new UpdateOrganizationalUnitCommand({ OrganizationalUnitId: o.id, Name: `renamed-${++serial}` }),
        );
        return [o.id];
      },
      deleteOu: async (s) => {
        // AWS deletes only empty OUs: a leaf without accounts.
        const empty = s.organizationalUnits.filter(
          (o) =>
            !s.organizationalUnits.some((x) => x.parentId === o.id) && !s.accounts.some((a) => a.parentId === o.id),
        );
        if (!empty.length) return null;
        const o = pick(empty);
        await c.org.send(new DeleteOrganizationalUnitCommand({ OrganizationalUnitId: o.id }));
        return [o.id];
      },
      tagOu: async (s) => {
        const o = pick(s.organizationalUnits);
        if (Object.keys(o.tags).length && random() < 0.5)
          await c.org.send(new UntagResourceCommand({ ResourceId: o.id, TagKeys: [Object.keys(o.tags)[0]] }));
        else
          await c.org.send(
            new TagResourceCommand({ ResourceId: o.id, Tags: [{ Key: `k${++serial}`, Value: `v${serial}` }] }),
          );
        return [o.id];
      },
      tagRoot: async (s) => {
        await c.org.send(
          new TagResourceCommand({ ResourceId: s.root.id, Tags: [{ Key: "round", Value: String(++serial) }] }),
        );
        return [s.root.id];
      },
    };

    for (let round = 0; round < ROUNDS; round++) {
      const ids: string[] = [];
      const n = 1 + Math.floor(random() * 3);
      // Each change is made against the org as it is by then (the full crawl after the round is the truth).
      let current = base;
      for (let k = 0; k < n; k++) {
        const kind = pick(Object.keys(changes));
        const got = await changes[kind](current);
        if (!got) continue;
        kinds[kind] = (kinds[kind] ?? 0) + 1;
        ids.push(...got);
        current = (await discoverOrganization({ ...aws, tags: true })).snapshot;
      }
      const inc = await refreshIncrementally(base, ids, aws);
      expect({ round, ids, fallback: inc.fallback }).toEqual({ round, ids, fallback: undefined });
      const full = (await discoverOrganization({ ...aws, tags: true })).snapshot;
      expect(serializeSnapshot(inc.snapshot!)).toBe(serializeSnapshot(full));
      if (ids.length === 1 && /^\d{12}$/.test(ids[0])) expect(inc.stats.total).toBeLessThanOrEqual(10);
      base = inc.snapshot!;
    }
    // The seed must have exercised most kinds of change (a change to the seed that does not is a weaker test).
    expect(Object.keys(kinds).length).toBeGreaterThanOrEqual(7);
    void org;
  });
});
