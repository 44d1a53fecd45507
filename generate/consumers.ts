import { createHash } from "node:crypto";
import * as path from "node:path";
import { InputError } from "../common/errors";
import { TEMPLATES_DIR } from "../common/paths";
import type { ResolvedIntegration, ResolvedIntegrationOf } from "../config/resolve";
import { APONO_DEFAULT_RESOURCE_TYPES, type ConsumerName } from "../config/schema";
import { sharedAccountList, type BaseContext, type ConsumerPart, type TemplateContext } from "./context";
import { assignIdentifiers, type Collision, type IdentifierItem, type SlugRules } from "./identifiers";
import { formatFromFileName, type OutputFormat } from "./render";

/**
 * The consumer registry: what each built-in consumer renders, from which template in templates/<consumer>/, and
 * the derived data its templates need (collision-checked identifiers on ctx.accounts[].names / ctx.ous[].names,
 * consumer settings on ctx.consumer). Adding a consumer = one template folder + one entry here.
 */
export interface ConsumerFile {
  /** Absolute template path. */
  template: string;
  /** Output file name, relative to the integration's output folder. */
  output: string;
  format: OutputFormat;
}

export interface ConsumerDefinition<C extends ResolvedIntegration["consumer"] = ResolvedIntegration["consumer"]> {
  /** False when the consumer's files never hold the external ID (then --inline-secrets does not need its value). */
  usesExternalId?: boolean;
  /**
   * True when the consumer's format cannot reference a variable (the AWS config file, c7n-org's accounts.yml): the
   * external ID value is always written (AWS does not treat it as a secret), the file mode 0600.
   */
  writesExternalId?: boolean;
  /** The consumer's part of the context (identifiers, extra values, collisions, ctx.consumer), derived from the base context. */
  prepare?(ctx: BaseContext, integration: ResolvedIntegrationOf<C>): ConsumerPart;
  /** The files to render for this context. */
  files(ctx: TemplateContext, integration: ResolvedIntegrationOf<C>): ConsumerFile[];
}

// ---------------------------------------------------------------------------------------------------------------
// APONO KEY MAPPING. Apono does not publish the integration_config key names of its "aws-organization"
// integration (see shared/reference/consumers.md, Apono). These are orgtrust's best reading and are NOT verified:
// confirm them against the "View as Code" export of an AWS organization integration in the Apono console, and
// correct them HERE (the only place they appear) before applying the generated Terraform.
// ---------------------------------------------------------------------------------------------------------------
export const APONO_ORG_INTEGRATION = {
  /** apono_resource_integration.type (itself inferred). */
  type: "aws-organization",
  /** Default connected_resource_types (the options schema's default, config/schema.ts). */
  connectedResourceTypes: APONO_DEFAULT_RESOURCE_TYPES,
  /** integration_config keys (a map of strings). */
  keys: {
    region: "region",
    managementAccountRoleArn: "role_arn",
    excludedOrganizationalUnitIds: "exclude_organizational_unit_ids",
    excludedAccountIds: "exclude_account_ids",
  },
  /** integration_config is a map of strings: lists are joined with this. */
  listSeparator: ",",
} as const;

// ---------------------------------------------------------------------------------------------------------------
// BACKSTAGE. Facts from the published packages (checked in test/integration/backstage.test.ts):
// - @backstage/plugin-catalog-backend-module-aws@0.4.28 dist/processors/AwsOrganizationCloudAccountProcessor.cjs.js:
//   location type "aws-cloud-accounts" (a non-empty target keeps only that organization ID), one paginated
//   organizations:ListAccounts in us-east-1 (AWS_ORGANIZATION_REGION) with no filter, so suspended accounts are
//   listed too, metadata.name = name.trim().toLowerCase().replace(/[^a-zA-Z0-9\-]/g, "-"), spec.owner "unknown";
//   credentials from DefaultAwsCredentialsManager.getCredentialProvider({ accountId }) of the Config it is given,
//   where accountId is catalog.processors.awsOrganization.provider.accountId (dist/awsOrganization/config.cjs.js).
// - @backstage/config@1.3.9 dist/reader.cjs.js: CONFIG_KEY_PART_PATTERN, what every config key part must match.
// ---------------------------------------------------------------------------------------------------------------
export type BackstageCatalog = "auto" | "processor" | "static" | "aws-org-provider";
export const BACKSTAGE_PROCESSOR_LOCATION_TYPE = "aws-cloud-accounts";

/** metadata.name as AwsOrganizationCloudAccountProcessor derives it from an account name. */
export function backstageProcessorEntityName(accountName: string): string {
  return accountName
    .trim()
    .toLowerCase()
    .replace(/[^a-zA-Z0-9-]/g, "-");
}

/** Why the processor's (or the aws-org provider's) unfiltered account list would not be the accounts in scope. */
function backstageListingProblems(ctx: BaseContext, entityNames: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  if (ctx.exclusions.any)
    out.push(
      `${ctx.excluded.length} of the organization's ${ctx.snapshot.accountCount} accounts ${ctx.excluded.length === 1 ? "is" : "are"} out of scope`,
    );
  if (ctx.partition !== "aws")
    out.push(`it reads Organizations in us-east-1 (partition aws) only, not in ${ctx.partition}`);
  const renamed = ctx.accounts.filter((a) => backstageProcessorEntityName(a.name) !== entityNames.get(a.id)).length;
  if (renamed) out.push(`${renamed} account names do not make unique valid entity names the way it derives them`);
  return out;
}

const tpl = (consumer: string, file: string) => path.join(TEMPLATES_DIR, consumer, file);

/**
 * A Pipes integration handle from an integration name: turbot/terraform-provider-pipes
 * pipes/resource_pipes_organization_integration.go (2623a4b9) requires ^[a-z][a-z0-9_]{0,37}[a-z0-9]?$ (at most 39
 * characters) with single underscores.
 */
export function pipesHandle(name: string): string {
  return name
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/_+/g, "_")
    .slice(0, 39)
    .replace(/_+$/, "");
}

/** A small positive integer that changes when any input changes (config_wo_version). */
function configVersion(parts: string[]): number {
  return parseInt(createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 7), 16) + 1;
}

/** Every region of a partition that is not opt-in, for consumers that cannot expand "*" there. */
export const PARTITION_REGIONS: Record<string, string[]> = {
  "aws-us-gov": ["us-gov-east-1", "us-gov-west-1"],
  "aws-cn": ["cn-north-1", "cn-northwest-1"],
};

/**
 * The in-scope accounts as identifier items. Each context has its own account list, but the contexts of one scope
 * are built from one shared list (generate/context.ts: same accounts, IDs and names), so every consumer that names
 * accounts in that scope reuses one item list.
 */
const itemsByAccounts = new WeakMap<readonly object[], IdentifierItem[]>();
function accountItems(ctx: BaseContext): IdentifierItem[] {
  const key = sharedAccountList(ctx.accounts) ?? ctx.accounts;
  let items = itemsByAccounts.get(key);
  if (!items) {
    items = ctx.accounts.map((a) => ({ key: a.id, name: a.name }));
    itemsByAccounts.set(key, items);
  }
  return items;
}

/** A consumer's part, empty, for its prepare hook to fill. */
const newPart = () => ({
  accountNames: {} as Record<string, Map<string, string>>,
  accountExtra: {} as NonNullable<ConsumerPart["accountExtra"]>,
  ouNames: {} as Record<string, Map<string, string>>,
  collisions: [] as Collision[],
  consumer: {} as Record<string, unknown>,
});
type Part = ReturnType<typeof newPart>;

/** Assigns one identifier kind to every in-scope account (the part's names[field]) and records the collisions. */
function nameAccounts(
  part: Part,
  ctx: BaseContext,
  field: string,
  kind: string,
  rules: SlugRules,
  reserved: string[] = [],
): Map<string, string> {
  const r = assignIdentifiers(kind, accountItems(ctx), rules, reserved);
  part.accountNames[field] = r.names;
  part.collisions.push(...r.collisions);
  return r.names;
}

/** Profile settings shared by steampipe and aws-cli. */
function profileSettings(i: ResolvedIntegrationOf<"steampipe" | "aws-cli">, defaultSession: string) {
  const sourceProfile = i.options.sourceProfile ?? null;
  const credentialSource = i.options.credentialSource ?? null;
  // Never both: config/rules.ts refuses that at load.
  return {
    sourceProfile: sourceProfile ?? (credentialSource ? null : "default"),
    credentialSource,
    sessionName: i.options.sessionName ?? defaultSession,
    region: i.regions.find((r) => r !== "*") ?? i.homeRegion,
  };
}

export const CONSUMER_REGISTRY: { [C in ConsumerName]: ConsumerDefinition<C> } = {
  backstage: {
    prepare(ctx, i) {
      const part = newPart();
      nameAccounts(part, ctx, "entity", "Backstage entity name", { style: "backstage", maxLength: 63 });
      const { ownerTag, defaultOwner } = i.options;
      part.accountExtra.owner = (a) => a.tags[ownerTag] || defaultOwner;
      const chosen: BackstageCatalog = i.options.catalog;
      const reasons = backstageListingProblems(ctx, part.accountNames.entity);
      if ((chosen === "processor" || chosen === "aws-org-provider") && reasons.length) {
        throw new InputError(
          `integrations.${i.name}.options.catalog: ${chosen} lists every account of the organization, which is wrong here: ${reasons.join("; ")} (fix: set options.catalog to auto or static)`,
        );
      }
      const mode: Exclude<BackstageCatalog, "auto"> =
        chosen === "auto" ? (reasons.length ? "static" : "processor") : chosen;
      // The processor and the rest of the app read credentials from one config each: this key holds the processor's
      // (the integration name is a valid config key part: config/rules.ts checks it at load).
      const configKey = `orgtrust.${i.name}`;
      part.consumer = {
        mode,
        staticEntities: mode === "static",
        processor: mode === "processor",
        awsOrgProvider: mode === "aws-org-provider",
        /** Why the processor's list would be wrong ([] when it is exact). */
        reasons,
        configKey,
        ownerTag,
        defaultOwner,
        providerId: i.options.providerId,
        scheduleFrequencyMinutes: i.options.scheduleFrequencyMinutes,
        scheduleTimeoutMinutes: i.options.scheduleTimeoutMinutes,
        entitiesFile: "aws-accounts.yaml",
        // The one entry the app's own catalog.locations list needs (none for the aws-org provider).
        location:
          mode === "static"
            ? { type: "file", target: i.options.catalogLocationTarget }
            : mode === "processor"
              ? { type: BACKSTAGE_PROCESSOR_LOCATION_TYPE, target: ctx.organization.id }
              : null,
        // integration-aws-node builds arn:<partition>:iam::<id>:role/<roleName>, so a role path goes in roleName.
        partition: ctx.partition === "aws" ? null : ctx.partition,
        stsRegion: ctx.homeRegion === "us-east-1" ? null : ctx.homeRegion,
      };
      return part;
    },
    files: (ctx) => [
      { template: tpl("backstage", "app-config.yaml.hbs"), output: "app-config.yaml", format: "yaml" },
      ...(ctx.consumer.staticEntities
        ? [
            {
              template: tpl("backstage", "aws-accounts.yaml.hbs"),
              output: "aws-accounts.yaml",
              format: "yaml" as const,
            },
          ]
        : []),
    ],
  },

  "port-ocean": {
    prepare(ctx, i) {
      const mgmtInScope = ctx.accounts.some((a) => a.isManagementAccount);
      const rootTargeted = ctx.cover.targets.includes(ctx.organization.rootId);
      let reason: string | null = null;
      if (!ctx.accounts.length) reason = "nothing is in scope";
      else if (!ctx.cover.exact)
        reason = `no set of OUs covers exactly the accounts in scope (${ctx.cover.uncovered.length} in-scope accounts sit beside excluded ones)`;
      else if (mgmtInScope && !rootTargeted) reason = "the management account is in scope but no OU holds it";
      else if (!mgmtInScope && rootTargeted)
        reason = "the management account is out of scope but discovery from the root would include it";
      return {
        consumer: {
          mode: reason ? "accountRoleArns" : "ouId",
          reason,
          /** Comma-separated OU IDs, or null when the whole org is in scope (then ouId is left out). */
          ouId: reason || rootTargeted ? null : ctx.cover.targets.join(","),
          accountRoleArns: ctx.accounts.map((a) =>
            a.id === ctx.roles.discovery.accountId ? ctx.roles.discovery.arn : a.memberRoleArn,
          ),
          identifier: i.options.identifier ?? i.name,
        },
      };
    },
    files: () => [
      { template: tpl("port-ocean", "env.hbs"), output: ".env", format: "env" },
      { template: tpl("port-ocean", "values.yaml.hbs"), output: "values.yaml", format: "yaml" },
    ],
  },

  "turbot-pipes": {
    prepare(ctx, i) {
      const org = i.options.organizationHandle;
      const tenant = i.options.tenantHandle;
      // Exactly one of the two (config/rules.ts checks it at load).
      // The identifier before the ":" of "{identifier}:{random_string}" (pipes-docs docs/integrations/aws.md).
      const identifier =
        ctx.externalId.prefix?.replace(/:$/, "") ??
        (i.externalId.source === "value" ? i.externalId.value.split(":")[0] || null : null);
      const permitted = i.options.permittedExternalIdIdentifiers ?? (identifier ? [identifier] : []);
      return {
        consumer: {
          resourceType: org ? "pipes_organization_integration" : "pipes_tenant_integration",
          organizationHandle: org ?? null,
          tenantHandle: tenant ?? null,
          handle: i.options.integrationHandle ?? pipesHandle(i.name),
          // config_wo is write-only (not in state); Terraform sends it again only when this number changes, so it is
          // derived from everything in the config except the external ID value.
          configWoVersion: configVersion([
            ctx.roles.discovery.arn,
            ctx.roles.member.nameWithPath,
            ctx.regions.join(","),
            permitted.join(","),
            i.options.handlePrefix,
            ctx.externalId.variable,
          ]),
          handlePrefix: i.options.handlePrefix,
          permittedExternalIdIdentifiers: permitted,
          resourceName: i.name.replace(/-/g, "_"),
        },
      };
    },
    files: () => [{ template: tpl("turbot-pipes", "pipes.tf.hbs"), output: "pipes.tf", format: "hcl" }],
  },

  steampipe: {
    writesExternalId: true,
    prepare(ctx, i) {
      const part = newPart();
      const prefix = i.options.connectionPrefix;
      const settings = profileSettings(i, "steampipe");
      const connectionOf = nameAccounts(
        part,
        ctx,
        "connection",
        "Steampipe connection name",
        { style: "snake", maxLength: 63, prefix, leadingLetter: "a_" },
        ["aws"],
      );
      const profilePrefix = i.options.profilePrefix;
      nameAccounts(part, ctx, "profile", "AWS profile name", { style: "snake", maxLength: 64, prefix: profilePrefix }, [
        "default",
        ...(settings.sourceProfile ? [settings.sourceProfile] : []),
      ]);
      // One aggregator per OU that holds in-scope accounts, mirroring the OU tree (same namespace as connections).
      const ous = ctx.ous.filter((o) => !o.excluded && o.inScopeAccountIds.length);
      const connections = [...connectionOf.values()];
      const r = assignIdentifiers(
        "Steampipe aggregator name",
        ous.map((o) => ({ key: o.id, name: `ou${o.path}` })),
        { style: "snake", maxLength: 63, prefix },
        ["aws", ...connections],
      );
      part.collisions.push(...r.collisions);
      part.ouNames.aggregator = r.names;
      part.consumer = {
        ...settings,
        // Aggregator members sorted by connection name, for readers.
        allConnections: connections.sort(),
        aggregators: ous.map((o) => ({
          name: r.names.get(o.id)!,
          ouId: o.id,
          ouPath: o.path,
          connections: o.inScopeAccountIds.map((id) => connectionOf.get(id)!).sort(),
        })),
      };
      return part;
    },
    files: () => [
      { template: tpl("steampipe", "aws.spc.hbs"), output: "aws.spc", format: "hcl" },
      { template: tpl("steampipe", "aws-config.hbs"), output: "aws-config", format: "ini" },
    ],
  },

  apono: {
    // Apono's connector holds the external ID; the integration resource has no field for it.
    usesExternalId: false,
    prepare(ctx, i) {
      const k = APONO_ORG_INTEGRATION.keys;
      const sep = APONO_ORG_INTEGRATION.listSeparator;
      const entries: Array<[string, string]> = [
        [k.region, ctx.homeRegion],
        [k.managementAccountRoleArn, ctx.roles.discovery.arn],
        [k.excludedOrganizationalUnitIds, ctx.exclusions.matchedOrganizationalUnits.join(sep)],
        [k.excludedAccountIds, ctx.exclusions.accountsOutsideExcludedOus.join(sep)],
      ];
      return {
        consumer: {
          memberRoleName: ctx.roles.member.nameWithPath,
          type: APONO_ORG_INTEGRATION.type,
          name: i.options.integrationName ?? `AWS Organization ${ctx.organization.id}`,
          // Required (config/rules.ts refuses a missing one at load).
          connectorId: i.options.connectorId!,
          connectedResourceTypes: i.options.connectedResourceTypes,
          config: entries.map(([key, value]) => ({ key, value })),
          resourceName: i.name.replace(/-/g, "_"),
        },
      };
    },
    files: () => [{ template: tpl("apono", "apono.tf.hbs"), output: "apono.tf", format: "hcl" }],
  },

  cloudquery: {
    prepare(ctx, i) {
      return {
        consumer: {
          sourceName: i.options.sourceName,
          version: i.options.version,
          tables: i.options.tables,
          destinations: i.options.destinations,
          // The root as the OU list, so CloudQuery honours skip_organization_units (cloudquery#15702).
          organizationUnits: [ctx.organization.rootId],
          skipOrganizationUnits: ctx.exclusions.matchedOrganizationalUnits,
          skipMemberAccounts: ctx.exclusions.accountsOutsideExcludedOus,
          sessionName: i.options.sessionName ?? null,
          // member_trusted_principal: the runner's own credentials (the trusted principal) assume the member roles,
          // which trust only it; without it CloudQuery assumes them from the discovery-role session
          // (client/organizations.go loadOrgAccounts). Its Account shape requires an id (an alias in CloudQuery's logs).
          memberTrustedPrincipalId: i.trustedPrincipal.split(":")[4] || "trusted-principal",
        },
      };
    },
    files: () => [{ template: tpl("cloudquery", "aws.yml.hbs"), output: "aws.yml", format: "yaml" }],
  },

  "c7n-org": {
    writesExternalId: true,
    prepare(ctx) {
      const part = newPart();
      nameAccounts(part, ctx, "account", "c7n-org account name", { style: "kebab", maxLength: 128 });
      // The accounts under one parent share their ouPathPrefixes (generate/context.ts): their path tags are built once.
      const pathTags = new Map<readonly string[], string[]>();
      part.accountExtra.tags = (a) => {
        let tags = pathTags.get(a.ouPathPrefixes);
        if (!tags) {
          tags = a.ouPathPrefixes.map((p) => `path:${p}`);
          pathTags.set(a.ouPathPrefixes, tags);
        }
        return tags.concat(a.tagList.map((t) => `${t.key}:${t.value}`));
      };
      // c7n-org resolves the region "all" by calling ec2:DescribeRegions in us-east-1 (tools/c7n_org/c7n_org/cli.py
      // resolve_regions, 3bfdfe76), which does not exist in aws-us-gov / aws-cn: there the regions are listed.
      const all = PARTITION_REGIONS[ctx.partition] ?? ["all"];
      part.consumer = { regions: ctx.allRegions ? all : ctx.regions };
      return part;
    },
    files: () => [{ template: tpl("c7n-org", "accounts.yml.hbs"), output: "accounts.yml", format: "yaml" }],
  },

  "aws-cli": {
    writesExternalId: true,
    prepare(ctx, i) {
      const part = newPart();
      const settings = profileSettings(i, `orgtrust-${i.name}`);
      nameAccounts(
        part,
        ctx,
        "profile",
        "AWS profile name",
        { style: "kebab", maxLength: 64, prefix: i.options.profilePrefix },
        ["default", ...(settings.sourceProfile ? [settings.sourceProfile] : [])],
      );
      part.consumer = settings;
      return part;
    },
    files: () => [{ template: tpl("aws-cli", "aws-config.hbs"), output: "aws-config", format: "ini" }],
  },

  terraform: {
    prepare(ctx, i) {
      const part = newPart();
      nameAccounts(part, ctx, "alias", "Terraform provider alias", {
        style: "snake",
        maxLength: 64,
        prefix: i.options.aliasPrefix,
        leadingLetter: "account_",
      });
      part.consumer = {
        sessionName: i.options.sessionName ?? `orgtrust-${i.name}`,
        region: i.regions.find((r) => r !== "*") ?? i.homeRegion,
      };
      return part;
    },
    files: () => [{ template: tpl("terraform", "providers.tf.hbs"), output: "providers.tf", format: "hcl" }],
  },
};

/** A custom template (integration consumer is a .hbs path): generic identifiers, one output file. */
export const CUSTOM_CONSUMER: ConsumerDefinition<"custom"> = {
  prepare(ctx) {
    const part = newPart();
    nameAccounts(part, ctx, "slug", "identifier (slug)", { style: "kebab", maxLength: 128 });
    nameAccounts(part, ctx, "snake", "identifier (snake)", { style: "snake", maxLength: 128, leadingLetter: "a_" });
    return part;
  },
  files(_ctx, i) {
    // A file name inside the output folder (config/rules.ts checks it at load).
    const output = i.outputFile ?? `${i.name}.txt`;
    return [{ template: i.templatePath!, output, format: formatFromFileName(output) }];
  },
};

export function consumerDefinition(i: ResolvedIntegration): ConsumerDefinition {
  // Each definition is keyed by its consumer, so it only ever receives integrations of that consumer.
  return i.consumer === "custom" ? CUSTOM_CONSUMER : CONSUMER_REGISTRY[i.consumer];
}
