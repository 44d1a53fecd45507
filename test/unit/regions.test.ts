/**
 * common/regions.ts is a copy of the AWS SDK's region list (so a config check does not load the SDK). This test keeps
 * the copy true to the installed SDK: @aws-sdk/core's `partitionsInfo` (dist-cjs/submodules/client/index.js, the
 * data its public `partition()` resolves endpoints from), read from the package's own file because the object itself
 * is not exported. When the SDK is upgraded and lists a new region, this fails and names it.
 */
import * as fs from "node:fs";
import { partition } from "@aws-sdk/core/client";
import { KNOWN_REGIONS } from "../../common/regions";
import { REGION_RE, region } from "../../common/ids";

interface PartitionsInfo {
  partitions: Array<{ id: string; regions: Record<string, { description?: string }> }>;
}

function sdkPartitionsInfo(): PartitionsInfo {
  // The CommonJS entry of @aws-sdk/core/client is that file (dist-cjs/submodules/client/index.js).
  const file = require.resolve("@aws-sdk/core/client");
  const src = fs.readFileSync(file, "utf8");
  const start = src.indexOf("const partitionsInfo = ");
  const end = src.indexOf("\n};", start);
  if (start < 0 || end < 0)
    throw new Error(`${file} no longer holds "const partitionsInfo = {...};": find where the SDK keeps it now`);
  return JSON.parse(src.slice(start + "const partitionsInfo = ".length, end + 2)) as PartitionsInfo;
}

/** The description the SDK's partition() gives a region (only listed regions have one). */
const sdkDescription = (r: string) => (partition(r) as { description?: unknown }).description;

/** Every region the SDK lists with a description, in the shape orgtrust accepts. */
const sdkRegions = () =>
  sdkPartitionsInfo()
    .partitions.flatMap((p) => Object.entries(p.regions))
    .filter(([name, data]) => typeof data.description === "string" && REGION_RE.test(name))
    .map(([name]) => name)
    .sort();

test("the copied region list is exactly the installed AWS SDK's", () => {
  const sdk = sdkRegions();
  expect(sdk.length).toBeGreaterThan(30);
  expect([...KNOWN_REGIONS].sort()).toEqual(sdk);
});

test("each copied region is one the SDK's public partition() describes", () => {
  for (const r of KNOWN_REGIONS) expect([r, typeof sdkDescription(r)]).toEqual([r, "string"]);
});

test("a config region is accepted exactly when the SDK lists it", () => {
  expect(region.safeParse("us-east-1").success).toBe(true);
  expect(region.safeParse("us-gov-west-1").success).toBe(true);
  expect(region.safeParse("cn-northwest-1").success).toBe(true);
  // The right shape, but no partition lists it.
  expect(sdkDescription("us-east-9")).toBeUndefined();
  expect(region.safeParse("us-east-9").success).toBe(false);
});
