import {
  CloseAccountCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  DescribeOrganizationCommand,
  ListRootsCommand,
  MoveAccountCommand,
  TagResourceCommand,
} from "@aws-sdk/client-organizations";
import type { AwsClients } from "./aws-clients";

/** Declarative org shape for a fixture. */
export interface AccountSpec {
  name: string;
  tags?: Record<string, string>;
  /** Closed with CloseAccount: moto marks it SUSPENDED at once. */
  suspended?: boolean;
}
export interface OuSpec {
  name: string;
  tags?: Record<string, string>;
  ous?: OuSpec[];
  accounts?: AccountSpec[];
}
export interface OrgSpec {
  rootTags?: Record<string, string>;
  rootAccounts?: AccountSpec[];
  ous: OuSpec[];
}

export interface BuiltAccount {
  id: string;
  name: string;
  parentId: string;
  /** Names from the root to the parent, e.g. ["Root", "Workloads", "Prod"]. */
  pathNames: string[];
  pathIds: string[];
  tags: Record<string, string>;
  state: "ACTIVE" | "SUSPENDED";
}
export interface BuiltOu {
  id: string;
  name: string;
  parentId: string;
  pathIds: string[];
  tags: Record<string, string>;
}
export interface BuiltOrg {
  orgId: string;
  rootId: string;
  managementAccountId: string;
  /** OU ids by slash path of names, e.g. "Workloads/Prod". */
  ou: Record<string, string>;
  /** Account ids by name. */
  account: Record<string, string>;
  ous: BuiltOu[];
  accounts: BuiltAccount[];
}

const toTags = (t?: Record<string, string>) => Object.entries(t ?? {}).map(([Key, Value]) => ({ Key, Value }));

/**
 * Builds an org in moto through the SDK: CreateOrganization, nested OUs (any depth), accounts created and moved
 * into place, tags, suspended accounts. Sequential, so after `POST /moto-api/seed` the ids are deterministic.
 */
export async function buildOrg(c: AwsClients, spec: OrgSpec): Promise<BuiltOrg> {
  await c.org.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
  const { Organization } = await c.org.send(new DescribeOrganizationCommand({}));
  const { Roots } = await c.org.send(new ListRootsCommand({}));
  const rootId = Roots![0].Id!;
  if (spec.rootTags) await c.org.send(new TagResourceCommand({ ResourceId: rootId, Tags: toTags(spec.rootTags) }));
  const built: BuiltOrg = {
    orgId: Organization!.Id!,
    rootId,
    managementAccountId: Organization!.MasterAccountId!,
    ou: {},
    account: {},
    ous: [],
    accounts: [],
  };
  built.account.master = built.managementAccountId;

  const addAccounts = async (
    accounts: AccountSpec[] | undefined,
    parentId: string,
    pathIds: string[],
    pathNames: string[],
  ) => {
    for (const a of accounts ?? []) {
      const out = await c.org.send(
        new CreateAccountCommand({
          AccountName: a.name,
          Email: `${a.name.toLowerCase().replace(/[^a-z0-9]+/g, ".")}@example.com`,
          Tags: a.tags ? toTags(a.tags) : undefined,
        }),
      );
      const id = out.CreateAccountStatus!.AccountId!;
      if (parentId !== rootId)
        await c.org.send(
          new MoveAccountCommand({ AccountId: id, SourceParentId: rootId, DestinationParentId: parentId }),
        );
      if (a.suspended) await c.org.send(new CloseAccountCommand({ AccountId: id }));
      built.account[a.name] = id;
      built.accounts.push({
        id,
        name: a.name,
        parentId,
        pathIds,
        pathNames,
        tags: a.tags ?? {},
        state: a.suspended ? "SUSPENDED" : "ACTIVE",
      });
    }
  };
  const addOus = async (ous: OuSpec[], parentId: string, pathIds: string[], pathNames: string[], prefix: string) => {
    for (const o of ous) {
      const out = await c.org.send(
        new CreateOrganizationalUnitCommand({
          ParentId: parentId,
          Name: o.name,
          Tags: o.tags ? toTags(o.tags) : undefined,
        }),
      );
      const id = out.OrganizationalUnit!.Id!;
      const key = prefix ? `${prefix}/${o.name}` : o.name;
      built.ou[key] = id;
      built.ous.push({ id, name: o.name, parentId, pathIds, tags: o.tags ?? {} });
      await addAccounts(o.accounts, id, [...pathIds, id], [...pathNames, o.name]);
      await addOus(o.ous ?? [], id, [...pathIds, id], [...pathNames, o.name], key);
    }
  };
  await addAccounts(spec.rootAccounts, rootId, [rootId], ["Root"]);
  await addOus(spec.ous, rootId, [rootId], ["Root"], "");
  built.accounts.unshift({
    id: built.managementAccountId,
    name: "master",
    parentId: rootId,
    pathIds: [rootId],
    pathNames: ["Root"],
    tags: {},
    state: "ACTIVE",
  });
  return built;
}

/** A shape of `accounts` accounts spread over `ous` OUs in chains up to `depth` levels, with tags on everything. */
export function syntheticSpec(opts: {
  accounts: number;
  ous: number;
  depth: number;
  tagsPerAccount?: number;
  suspendEvery?: number;
}): OrgSpec {
  const chains: OuSpec[] = [];
  const all: OuSpec[] = [];
  // Build chains of `depth` OUs until `ous` OUs exist: top-level OU i holds a chain below it.
  while (all.length < opts.ous) {
    const top: OuSpec = { name: `ou-${all.length}`, tags: { level: "1" }, ous: [], accounts: [] };
    all.push(top);
    chains.push(top);
    let cur = top;
    for (let d = 2; d <= opts.depth && all.length < opts.ous; d++) {
      const child: OuSpec = { name: `ou-${all.length}`, tags: { level: String(d) }, ous: [], accounts: [] };
      cur.ous!.push(child);
      all.push(child);
      cur = child;
    }
  }
  const rootAccounts: AccountSpec[] = [];
  for (let i = 0; i < opts.accounts - 1; i++) {
    const tags: Record<string, string> = {};
    for (let t = 0; t < (opts.tagsPerAccount ?? 2); t++) tags[`tag${t}`] = `value-${i}-${t}`;
    const a: AccountSpec = {
      name: `acct-${String(i).padStart(5, "0")}`,
      tags,
      suspended: opts.suspendEvery ? i % opts.suspendEvery === opts.suspendEvery - 1 : false,
    };
    // every 10th account stays in the root; the rest spread over the OUs
    if (i % 10 === 9) rootAccounts.push(a);
    else all[i % all.length].accounts!.push(a);
  }
  return { rootTags: { scope: "root" }, rootAccounts, ous: chains };
}
