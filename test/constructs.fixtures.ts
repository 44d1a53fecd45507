/**
 * Fixtures for the synth tests: org snapshots built from a compact tree (deterministic ids, schema-valid) and
 * integrations resolved from config text exactly as the CLI resolves them.
 */
import { readConfig } from "../config/load";
import type { ResolvedIntegration } from "../config/resolve";
import { snapshotSchema, type Snapshot, type SnapshotAccount, type SnapshotOu } from "../org/snapshot";
import type { Logger } from "../common/log";

export const MGMT = "111122223333";
export const ORG_ID = "o-abcdefgh12";
export const ROOT = "r-ab12";

export interface TreeAccount {
  name: string;
  state?: string;
}
export interface TreeOu {
  name: string;
  accounts?: TreeAccount[];
  ous?: TreeOu[];
}
export interface Tree {
  /** Accounts directly in the root besides the management account. */
  rootAccounts?: TreeAccount[];
  ous: TreeOu[];
}

/** A snapshot of the tree: OU ids "ou-ab12-<8 digits>", account ids from 200000000001, in creation order. */
export function snapshotOf(tree: Tree, partition: "aws" | "aws-us-gov" | "aws-cn" = "aws"): { snapshot: Snapshot; ou: Record<string, string>; account: Record<string, string> } {
  let ouN = 0;
  let acctN = 0;
  const ou: Record<string, string> = {};
  const account: Record<string, string> = { management: MGMT };
  const ous: SnapshotOu[] = [];
  const accounts: SnapshotAccount[] = [];
  const arn = (rest: string) => `arn:${partition}:organizations::${MGMT}:${rest}`;
  const addAccounts = (list: TreeAccount[] | undefined, parentId: string, path: Array<{ id: string; name: string }>) => {
    for (const a of list ?? []) {
      const id = String(200000000001 + acctN++);
      account[a.name] = id;
      accounts.push({
        id,
        name: a.name,
        email: `${a.name.toLowerCase()}@example.com`,
        arn: arn(`account/${ORG_ID}/${id}`),
        state: a.state ?? "ACTIVE",
        parentId,
        path,
        tags: {},
        joinedTimestamp: null,
        joinedMethod: null,
        isManagementAccount: false,
      });
    }
  };
  const addOus = (list: TreeOu[], parentId: string, path: Array<{ id: string; name: string }>, prefix: string) => {
    for (const o of list) {
      const id = `ou-ab12-${String(++ouN).padStart(8, "0")}`;
      const key = prefix ? `${prefix}/${o.name}` : o.name;
      ou[key] = id;
      ous.push({ id, name: o.name, arn: arn(`ou/${ORG_ID}/${id}`), parentId, path, depth: path.length, tags: {} });
      addAccounts(o.accounts, id, [...path, { id, name: o.name }]);
      addOus(o.ous ?? [], id, [...path, { id, name: o.name }], key);
    }
  };
  const rootPath = [{ id: ROOT, name: "Root" }];
  accounts.push({
    id: MGMT,
    name: "Management",
    email: "mgmt@example.com",
    arn: arn(`account/${ORG_ID}/${MGMT}`),
    state: "ACTIVE",
    parentId: ROOT,
    path: rootPath,
    tags: {},
    joinedTimestamp: null,
    joinedMethod: null,
    isManagementAccount: true,
  });
  addAccounts(tree.rootAccounts, ROOT, rootPath);
  addOus(tree.ous, ROOT, rootPath, "");
  const snapshot = snapshotSchema.parse({
    schemaVersion: 1,
    organization: { id: ORG_ID, arn: arn(`organization/${ORG_ID}`), partition, featureSet: "ALL", managementAccountId: MGMT, managementAccountEmail: "mgmt@example.com" },
    root: { id: ROOT, name: "Root", arn: arn(`root/${ORG_ID}/${ROOT}`), tags: {} },
    tagsIncluded: true,
    organizationalUnits: ous,
    accounts,
  });
  return { snapshot, ou, account };
}

/** Resolves one integration from YAML lines (indented under `integrations.<name>:`). */
export function integrationFrom(name: string, body: string, org: { partition?: string; delegatedAdmin?: string; exclusions?: string } = {}): ResolvedIntegration {
  const text = [
    "version: 1",
    "organization:",
    `  managementAccountId: "${MGMT}"`,
    `  partition: ${org.partition ?? "aws"}`,
    "  homeRegion: " + (org.partition === "aws-us-gov" ? "us-gov-west-1" : "us-east-1"),
    ...(org.delegatedAdmin ? [`  delegatedAdminAccountId: "${org.delegatedAdmin}"`] : []),
    ...(org.exclusions ? ["exclusions:", ...org.exclusions.split("\n").map((l) => `  ${l}`)] : []),
    "integrations:",
    `  ${name}:`,
    ...body
      .trim()
      .split("\n")
      .map((l) => `    ${l}`),
  ].join("\n");
  return readConfig(text, "test.yaml", "/nonexistent").integrations[0];
}

/** A logger that records warnings. */
export function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info: () => undefined, warn: (m) => warnings.push(m), progress: () => undefined, done: () => undefined };
}
