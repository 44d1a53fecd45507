/**
 * The regions AWS has, by partition: every region of the right shape that the AWS SDK for JavaScript v3 lists with a
 * description, the data the SDK resolves endpoints from (@aws-sdk/core 3.981.0, dist-cjs/submodules/client/index.js,
 * `partitionsInfo`). A copy, so that checking a config's regions does not load the SDK (about 50 ms of every
 * command's start-up, `generate` included, which otherwise never loads it). test/unit/regions.test.ts compares it
 * with the installed SDK and fails when either lists a region the other lacks: after an SDK upgrade, update it here.
 */
const REGIONS_BY_PARTITION: Record<string, readonly string[]> = {
  aws: [
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "me-west-1",
    "mx-central-1",
    "sa-east-1",
    "sa-west-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
  ],
  "aws-cn": ["cn-north-1", "cn-northwest-1"],
  "aws-iso": ["us-iso-east-1", "us-iso-west-1"],
  "aws-iso-b": ["us-isob-east-1", "us-isob-west-1"],
  "aws-iso-e": ["eu-isoe-west-1"],
  "aws-iso-f": ["us-isof-east-1", "us-isof-south-1"],
  "aws-us-gov": ["us-gov-east-1", "us-gov-west-1"],
};

export const KNOWN_REGIONS: ReadonlySet<string> = new Set(Object.values(REGIONS_BY_PARTITION).flat());
