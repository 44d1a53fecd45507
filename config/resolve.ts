import * as path from "node:path";
import { InputError } from "../common/errors";
import { accountRootArn, iamRoleArn, managedPolicyArn, type Partition } from "../common/ids";
import type { ExternalId } from "../common/external-id";
import type { LoadedConfig } from "./load";
import {
  isTemplatePath,
  type ConsumerName,
  type ConsumerOptions,
  type IntegrationConfig,
  type OrgtrustConfig,
} from "./schema";

/**
 * An integration with every default and consumer preset applied: the one shape the constructs, the generator
 * and the drift check read. Presets carry each consumer's conventions (docs/consumers.md "Consumer presets").
 */
export type ResolvedIntegration = { [C in ConsumerName | "custom"]: ResolvedIntegrationOf<C> }[ConsumerName | "custom"];

/** A resolved integration of one consumer, its options typed by that consumer's schema (config/schema.ts). */
export type ResolvedIntegrationOf<C extends ConsumerName | "custom"> = ResolvedIntegrationBase & {
  /** Built-in consumer, or "custom" with templatePath set. */
  consumer: C;
  /** The consumer's options with their defaults applied (the schema holds them). */
  options: ConsumerOptions[C];
};

/** What every resolved integration has, whatever its consumer. */
export interface ResolvedIntegrationBase {
  name: string;
  templatePath?: string;
  partition: Partition;
  homeRegion: string;
  managementAccountId: string;
  trustedPrincipal: string;
  externalId: ExternalId;
  discoveryRole: {
    name: string;
    path: string;
    accountId: string;
    arn: string;
    maxSessionDuration: number;
    permissionsBoundary?: string;
    tags: Record<string, string>;
    callAsDelegatedAdmin: boolean;
  };
  memberRole: {
    name: string;
    path: string;
    /** Full managed policy ARNs to attach, in order. */
    policyArns: string[];
    /** organizations:DescribeOrganization added inline (ViewOnlyAccess lacks it). */
    addDescribeOrganization: boolean;
    denyDataReads: boolean;
    maxSessionDuration: number;
    permissionsBoundary?: string;
    tags: Record<string, string>;
  };
  stackSet: {
    name: string;
    maxConcurrentPercentage: number;
    failureTolerancePercentage: number;
    retainStacksOnAccountRemoval: boolean;
    callAs: "SELF" | "DELEGATED_ADMIN";
    /** "direct": accounts no OU target can reach get the member role through an aliased provider; "none": they get none. */
    uncoveredAccounts: "direct" | "none";
    /** The role Terraform assumes in those accounts (OrganizationAccountAccessRole by default). */
    directAccessRoleName: string;
  };
  exclusions: ResolvedExclusions;
  regions: string[];
  outputDir: string;
  outputFile?: string;
  tags: Record<string, string>;
}

export interface ResolvedExclusions {
  organizationalUnits: string[];
  accounts: string[];
  skipInactiveAccounts: boolean;
  managementAccount: boolean;
}

/** A Pipes organization (o_...) or tenant (t_...) id. */
export const PIPES_IDENTIFIER_RE = /^[ot]_[a-z0-9]+$/;
/** A Pipes external ID: "{identifier}:{random_string}", the random part 8 letters or digits (pipes-docs aws.md). */
export const PIPES_EXTERNAL_ID_RE = /^[ot]_[a-z0-9]+:[A-Za-z0-9]{8}$/;

/** Starter placeholders that must never reach a stack or a generated file. */
const PLACEHOLDER_RE = /REPLACE[_-]?(ME|WITH)/i;
/** The AWS documentation's example account, which the starters use: never a real principal. */
export const DOCUMENTATION_ACCOUNT = "123456789012";

/** An issue for each field of the integration that still holds a starter placeholder. */
function refusePlaceholders(integ: IntegrationConfig, at: string, issues: string[]): void {
  const walk = (value: unknown, field: string): void => {
    if (typeof value === "string") {
      if (PLACEHOLDER_RE.test(value))
        issues.push(
          `${at}.${field}: "${value}" is a placeholder from the starter (fix: replace it with your real value)`,
        );
    } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${field}[${i}]`));
    else if (value && typeof value === "object")
      for (const [k, v] of Object.entries(value)) walk(v, field ? `${field}.${k}` : k);
  };
  // The external ID value is a secret: checked, never echoed.
  const { externalId, ...rest } = integ;
  walk(rest, "");
  if (externalId?.source === "generate" && externalId.prefix) walk(externalId.prefix, "externalId.prefix");
  if (externalId?.source === "value" && PLACEHOLDER_RE.test(externalId.value))
    issues.push(`${at}.externalId.value: is a placeholder from the starter (fix: set the real external ID)`);
  if (integ.trustedPrincipal && integ.trustedPrincipal.split(":")[4] === DOCUMENTATION_ACCOUNT) {
    issues.push(
      `${at}.trustedPrincipal: ${integ.trustedPrincipal} is in ${DOCUMENTATION_ACCOUNT}, the AWS documentation's example account from the starter (fix: set the ARN of the role or account ${integ.consumer} runs as)`,
    );
  }
}

/** The AWS account Turbot Pipes assumes roles from. */
export const TURBOT_PIPES_ACCOUNT = "316881668097";

interface Preset {
  discoveryRoleName: (integration: string) => string;
  memberRoleName: (integration: string) => string;
  /** Whether the vendor issues the external ID (then "generate" is refused unless the preset allows a prefix form). */
  vendorIssuedExternalId: boolean;
  defaultRegions?: string[];
  defaultTrustedPrincipal?: (p: Partition) => string;
  /** Discovery and member roles must share one name (Port Ocean builds member ARNs from the discovery role's). */
  sameRoleName?: boolean;
  externalIdRandomLength?: number;
  externalIdPrefixRequired?: boolean;
}

const generic = (i: string) => ({
  discoveryRoleName: () => `orgtrust-${i}-discovery`,
  memberRoleName: () => `orgtrust-${i}-readonly`,
});

export const PRESETS: Record<ConsumerName | "custom", Preset> = {
  backstage: {
    discoveryRoleName: () => "backstage-org-discovery",
    memberRoleName: () => "backstage-org-readonly",
    vendorIssuedExternalId: false,
  },
  "port-ocean": {
    discoveryRoleName: () => "PortOceanReadRole",
    memberRoleName: () => "PortOceanReadRole",
    vendorIssuedExternalId: false,
    sameRoleName: true,
  },
  "turbot-pipes": {
    discoveryRoleName: () => "turbot_pipes_discovery",
    memberRoleName: () => "turbot_pipes_connection",
    vendorIssuedExternalId: true,
    defaultRegions: ["*"],
    defaultTrustedPrincipal: (p) => accountRootArn(p, TURBOT_PIPES_ACCOUNT),
    externalIdRandomLength: 8,
    externalIdPrefixRequired: true,
  },
  steampipe: {
    discoveryRoleName: () => "steampipe-org-discovery",
    memberRoleName: () => "steampipe-readonly",
    vendorIssuedExternalId: false,
    defaultRegions: ["*"],
  },
  apono: {
    discoveryRoleName: () => "apono-org-discovery",
    memberRoleName: () => "apono-readonly",
    vendorIssuedExternalId: true,
  },
  cloudquery: {
    discoveryRoleName: () => "cloudquery-org-discovery",
    memberRoleName: () => "cloudquery-readonly",
    vendorIssuedExternalId: false,
  },
  "c7n-org": {
    discoveryRoleName: () => "c7n-org-discovery",
    memberRoleName: () => "c7n-org-readonly",
    vendorIssuedExternalId: false,
  },
  "aws-cli": { ...genericPreset(), vendorIssuedExternalId: false },
  terraform: { ...genericPreset(), vendorIssuedExternalId: false },
  custom: { ...genericPreset(), vendorIssuedExternalId: false },
};

function genericPreset(): Pick<Preset, "discoveryRoleName" | "memberRoleName"> {
  return {
    discoveryRoleName: (i) => generic(i).discoveryRoleName(),
    memberRoleName: (i) => generic(i).memberRoleName(),
  };
}

const envName = (integration: string) => `ORGTRUST_${integration.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_EXTERNAL_ID`;

function resolveExternalId(
  name: string,
  integ: IntegrationConfig,
  preset: Preset,
  at: string,
  issues: string[],
): ExternalId {
  const cfg = integ.externalId ?? { source: "generate" as const };
  const secretName = `orgtrust/${name}/external-id`;
  const variable = cfg.variable ?? (cfg.source === "env" ? cfg.env : envName(name));
  if (cfg.source === "generate") {
    if (preset.vendorIssuedExternalId && !preset.externalIdPrefixRequired) {
      issues.push(
        `${at}.externalId: ${integ.consumer} issues the external ID itself (fix: set externalId: {source: env, env: <VAR>} or {source: value, value: <id from ${integ.consumer}>})`,
      );
    }
    if (preset.externalIdPrefixRequired && !cfg.prefix) {
      issues.push(
        `${at}.externalId.prefix: ${integ.consumer} external IDs start with your Pipes organization or tenant id (fix: set externalId.prefix, such as "o_abc123")`,
      );
    }
    let prefix = cfg.prefix;
    if (preset.externalIdPrefixRequired && cfg.prefix) {
      // Pipes: "{identifier}:{random_string}" (turbot/pipes-docs docs/integrations/aws.md, 2d94c5ae): o_456def:xyz789.
      const identifier = cfg.prefix.replace(/:$/, "");
      if (!PIPES_IDENTIFIER_RE.test(identifier)) {
        issues.push(
          `${at}.externalId.prefix: "${identifier}" is not a Pipes organization or tenant id such as o_abc123 or t_abc123 (fix: copy the id from Pipes; the external ID becomes <id>:<8 random characters>)`,
        );
      }
      prefix = `${identifier}:`;
    }
    const length = cfg.length ?? preset.externalIdRandomLength ?? 40;
    if (!preset.externalIdRandomLength && length < 32)
      issues.push(
        `${at}.externalId.length: must be at least 32 for a generated external ID (fix: remove it or set 32 or more)`,
      );
    if (preset.externalIdRandomLength && length !== preset.externalIdRandomLength) {
      issues.push(
        `${at}.externalId.length: ${integ.consumer} external IDs end with exactly ${preset.externalIdRandomLength} random characters (fix: remove externalId.length)`,
      );
    }
    // A vendor-prescribed form (Turbot Pipes: prefix + 8 alphanumeric characters) uses letters and digits only.
    return {
      source: "generate",
      prefix,
      length,
      alphanumeric: !!preset.externalIdPrefixRequired,
      variable,
      secretName,
    };
  }
  if (cfg.source === "value") {
    if (preset.externalIdPrefixRequired && !PIPES_EXTERNAL_ID_RE.test(cfg.value)) {
      issues.push(
        `${at}.externalId.value: Turbot Pipes external IDs have the form <organization or tenant id>:<8 letters or digits>, such as o_456def:xyz789ab (fix: copy it from Pipes, or use {source: generate, prefix: <id>})`,
      );
    }
    return { source: "value", value: cfg.value, length: cfg.value.length, variable, secretName };
  }
  return { source: "env", env: cfg.env, variable, secretName };
}

/**
 * Resolves one integration of a validated config, adding a line to `issues` for each preset rule it breaks (the
 * result is then not to be used). Only loadConfig calls it: everything else reads LoadedConfig.integrations.
 */
export function resolveIntegration(
  config: OrgtrustConfig,
  name: string,
  baseDir: string,
  source: string,
  allIssues: string[],
): ResolvedIntegration {
  const integ = config.integrations[name];
  const at = `${source}: integrations.${name}`;
  const org = config.organization;
  const p = org.partition;
  const custom = isTemplatePath(integ.consumer);
  const consumer = custom ? "custom" : (integ.consumer as ConsumerName);
  const preset = PRESETS[consumer];
  const before = allIssues.length;
  refusePlaceholders(integ, at, allIssues);
  // A starter placeholder is the one problem to fix first: the checks below would only repeat it in other words.
  const issues = allIssues.length > before ? [] : allIssues;
  if (consumer === "turbot-pipes" && p !== "aws") {
    issues.push(
      `${at}.consumer: Turbot Pipes assumes the roles from AWS account ${TURBOT_PIPES_ACCOUNT} in the aws partition, and IAM does not trust principals across partitions, so it cannot reach an ${p} organization (fix: remove this integration, or use steampipe, which runs inside the partition)`,
    );
  }
  const trustedPrincipal = integ.trustedPrincipal ?? preset.defaultTrustedPrincipal?.(p);
  if (!trustedPrincipal) {
    issues.push(
      `${at}.trustedPrincipal: is required for ${integ.consumer} (fix: set it to the ARN of the role or account ${integ.consumer} runs as)`,
    );
  }
  const discoveryName = integ.discoveryRole.name ?? preset.discoveryRoleName(name);
  let memberName = integ.memberRole.name ?? (preset.sameRoleName ? discoveryName : preset.memberRoleName(name));
  if (preset.sameRoleName) {
    if (integ.memberRole.name && integ.discoveryRole.name && integ.memberRole.name !== integ.discoveryRole.name) {
      issues.push(
        `${at}.memberRole.name: ${integ.consumer} needs the member role to share the discovery role's name "${discoveryName}" (fix: remove memberRole.name or make the two equal)`,
      );
    }
    memberName = integ.memberRole.name ?? discoveryName;
    if (integ.memberRole.path !== integ.discoveryRole.path) {
      issues.push(
        `${at}.memberRole.path: ${integ.consumer} needs the member role to share the discovery role's path (fix: make memberRole.path equal discoveryRole.path)`,
      );
    }
  }
  const delegated = integ.discoveryRole.account === "delegatedAdmin";
  const discoveryAccount = delegated ? org.delegatedAdminAccountId! : org.managementAccountId;
  const mr = integ.memberRole;
  const policyArns = mr.policyArns ?? [
    managedPolicyArn(p, mr.policy === "ViewOnlyAccess" ? "job-function/ViewOnlyAccess" : mr.policy),
  ];
  const g = config.exclusions;
  const uniqSorted = (xs: string[]) => [...new Set(xs)].sort();
  // The options were parsed by this consumer's schema at load (config/load.ts), so they have its type.
  return {
    name,
    consumer,
    templatePath: custom ? path.resolve(baseDir, integ.consumer) : undefined,
    partition: p,
    homeRegion: org.homeRegion,
    managementAccountId: org.managementAccountId,
    trustedPrincipal: trustedPrincipal ?? "",
    externalId: resolveExternalId(name, integ, preset, at, issues),
    discoveryRole: {
      name: discoveryName,
      path: integ.discoveryRole.path,
      accountId: discoveryAccount,
      arn: iamRoleArn(p, discoveryAccount, discoveryName, integ.discoveryRole.path),
      maxSessionDuration: integ.discoveryRole.maxSessionDuration,
      permissionsBoundary: integ.discoveryRole.permissionsBoundary,
      tags: { ...integ.tags, ...integ.discoveryRole.tags },
      callAsDelegatedAdmin: delegated,
    },
    memberRole: {
      name: memberName,
      path: mr.path,
      policyArns,
      addDescribeOrganization: !mr.policyArns && mr.policy === "ViewOnlyAccess",
      denyDataReads: mr.denyDataReads,
      maxSessionDuration: mr.maxSessionDuration,
      permissionsBoundary: mr.permissionsBoundary,
      tags: { ...integ.tags, ...mr.tags },
    },
    stackSet: {
      name: integ.stackSet.name ?? `orgtrust-${name}-member-role`,
      maxConcurrentPercentage: integ.stackSet.maxConcurrentPercentage,
      failureTolerancePercentage: integ.stackSet.failureTolerancePercentage,
      retainStacksOnAccountRemoval: integ.stackSet.retainStacksOnAccountRemoval,
      uncoveredAccounts: integ.stackSet.uncoveredAccounts,
      directAccessRoleName: integ.stackSet.directAccessRoleName,
      callAs: delegated ? "DELEGATED_ADMIN" : "SELF",
    },
    exclusions: {
      organizationalUnits: uniqSorted([...g.organizationalUnits, ...integ.exclusions.organizationalUnits]),
      accounts: uniqSorted([...g.accounts, ...integ.exclusions.accounts]),
      skipInactiveAccounts: g.skipInactiveAccounts,
      managementAccount: integ.exclusions.managementAccount,
    },
    regions: integ.regions ?? preset.defaultRegions ?? [org.homeRegion],
    outputDir: path.resolve(baseDir, integ.output.dir ?? path.join("out", name)),
    outputFile: integ.output.file,
    options: integ.options,
    tags: integ.tags,
  } as ResolvedIntegration;
}

/** The integrations a command works on, from those resolved at load: --integration names, or all of them. */
export function selectIntegrations(loaded: LoadedConfig, names: string[] | undefined): ResolvedIntegration[] {
  if (!names || !names.length) return loaded.integrations;
  const byName = new Map(loaded.integrations.map((i) => [i.name, i]));
  return names.map((n) => {
    const found = byName.get(n);
    if (!found) {
      const known = [...byName.keys()].sort().join(", ") || "(none)";
      throw new InputError(`--integration ${n}: no such integration in the config (fix: use one of ${known})`);
    }
    return found;
  });
}
