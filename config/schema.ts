import { z } from "zod";
import {
  accountId,
  externalIdValue,
  iamPath,
  ouId,
  partition,
  policyArn,
  principalArn,
  region,
  roleName,
} from "../common/ids";
import { backendProblem, backendSchema } from "./backend";

/**
 * The schema of orgtrust.yaml: one declarative file read by every command and by main.ts.
 * Every object is strict (an unknown key is an error naming the key). Paths are relative to the config file.
 * docs/config.md ("Config file reference") documents each field; keep the two in step.
 */

/** Consumers with a built-in template folder under templates/<name>/. */
export const CONSUMERS = [
  "backstage",
  "port-ocean",
  "turbot-pipes",
  "steampipe",
  "apono",
  "cloudquery",
  "c7n-org",
  "aws-cli",
  "terraform",
] as const;
export type ConsumerName = (typeof CONSUMERS)[number];

/** True when a consumer value names a custom template rather than a built-in consumer. */
export function isTemplatePath(consumer: string): boolean {
  return consumer.endsWith(".hbs") || consumer.includes("/");
}

export const MEMBER_POLICIES = ["ReadOnlyAccess", "SecurityAudit", "ViewOnlyAccess"] as const;

const tagMap = z.record(z.string().min(1).max(128), z.string().max(256));
const envVarName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name such as ORG_EXTERNAL_ID");

export const exclusionsSchema = z
  .object({
    /** OUs whose whole subtree is out of scope. */
    organizationalUnits: z.array(ouId).default([]),
    /** Single accounts out of scope. */
    accounts: z.array(accountId).default([]),
  })
  .strict();

export const globalExclusionsSchema = exclusionsSchema
  .extend({
    /** Skip accounts whose state is not ACTIVE (suspended, closed, pending). Default true. */
    skipInactiveAccounts: z.boolean().default(true),
  })
  .strict();

export const integrationExclusionsSchema = exclusionsSchema
  .extend({
    /** Leave the management account out of this integration (no direct role, not in generated config). */
    managementAccount: z.boolean().default(false),
  })
  .strict();

export const externalIdSchema = z.discriminatedUnion(
  "source",
  [
    z
      .object({
        /** orgtrust generates an unguessable value (random_password) and keeps it in Secrets Manager. */
        source: z.literal("generate"),
        /** Fixed prefix: for turbot-pipes the Pipes organization or tenant identifier such as "o_abc123". */
        prefix: z
          .string()
          .regex(/^[\w+=,.@:/-]*$/, "may only hold letters, digits and + = , . @ : / _ -")
          .optional(),
        /** Number of random characters (default 40; turbot-pipes: 8 after its prefix). */
        length: z.number().int().min(8).max(1024).optional(),
        /** Environment variable or Terraform variable name consumers read the value from. */
        variable: envVarName.optional(),
      })
      .strict(),
    z.object({ source: z.literal("value"), value: externalIdValue, variable: envVarName.optional() }).strict(),
    z.object({ source: z.literal("env"), env: envVarName, variable: envVarName.optional() }).strict(),
  ],
  { message: "must have source: generate, value or env" },
);

const maxSession = z
  .number()
  .int()
  .min(3600, "must be at least 3600 seconds")
  .max(43200, "must be at most 43200 seconds");

export const discoveryRoleSchema = z
  .object({
    name: roleName.optional(),
    path: iamPath.default("/"),
    /** Which account holds it: the management account (default) or the delegated administrator. */
    account: z.enum(["management", "delegatedAdmin"]).default("management"),
    maxSessionDuration: maxSession.default(3600),
    /** A policy in the discovery role's own account, or an AWS managed policy. */
    permissionsBoundary: policyArn.optional(),
    tags: tagMap.default({}),
  })
  .strict();

export const memberRoleSchema = z
  .object({
    name: roleName.optional(),
    path: iamPath.default("/"),
    /** The AWS managed policy to attach (ViewOnlyAccess gets organizations:DescribeOrganization added inline). */
    policy: z
      .enum(MEMBER_POLICIES, { message: `must be one of ${MEMBER_POLICIES.join(", ")}` })
      .default("ReadOnlyAccess"),
    /** Attach these AWS managed policy ARNs instead of `policy` (the role is in every member account). */
    policyArns: z.array(policyArn).max(20).optional(),
    /** Add an explicit deny of data reads (S3 objects, DynamoDB items, SQS messages, logs, SSM values, secrets). */
    denyDataReads: z.boolean().default(false),
    maxSessionDuration: maxSession.default(3600),
    /** An AWS managed policy, or arn:<partition>:iam::${AWS::AccountId}:policy/<name> for one in every account. */
    permissionsBoundary: policyArn.optional(),
    tags: tagMap.default({}),
  })
  .strict();

export const stackSetSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, "must start with a letter and hold only letters, digits and -")
      .optional(),
    maxConcurrentPercentage: z.number().int().min(1).max(100).default(25),
    failureTolerancePercentage: z.number().int().min(0).max(100).default(0),
    /** Keep member stacks when an account leaves a targeted OU (default false: the role is removed). */
    retainStacksOnAccountRemoval: z.boolean().default(false),
    /**
     * In-scope member accounts that sit directly in an OU (or the root) that also holds an excluded part: no StackSet
     * target can reach them without account filters. "direct" (default): the stack creates the member role in each of
     * them with its own aliased provider that assumes `directAccessRoleName` there. "none": they get no role (a
     * warning per account, UNCOVERED in the summary). Accounts that join such an OU later need a re-run of synth.
     */
    uncoveredAccounts: z.enum(["direct", "none"]).default("direct"),
    /** The role Terraform assumes in each account that gets the member role directly (default OrganizationAccountAccessRole). */
    directAccessRoleName: roleName.default("OrganizationAccountAccessRole"),
  })
  .strict();

export const backstageOptionsSchema = z
  .object({
    /**
     * Where the catalog gets the accounts. "auto" (default): the published AwsOrganizationCloudAccountProcessor
     * (@backstage/plugin-catalog-backend-module-aws 0.4.x) when its unfiltered list is exactly the accounts in
     * scope, else static entities. "processor" / "static": that one. "aws-org-provider": the aws-org entity
     * provider, which was never published to npm (build it from the Backstage repository).
     */
    catalog: z.enum(["auto", "processor", "static", "aws-org-provider"]).default("auto"),
    /** catalog.providers.aws-org.<providerId> (catalog: aws-org-provider only) */
    providerId: z
      .string()
      .regex(/^[a-zA-Z0-9_-]+$/)
      .default("main"),
    /** Account tag whose value becomes spec.owner of static entities. */
    ownerTag: z.string().default("owner"),
    /** spec.owner when the tag is absent. */
    defaultOwner: z.string().default("unknown"),
    scheduleFrequencyMinutes: z.number().int().min(1).default(30),
    scheduleTimeoutMinutes: z.number().int().min(1).default(3),
    /** catalog.locations target of the static entities file (aws-accounts.yaml), as the Backstage backend resolves it. */
    catalogLocationTarget: z.string().min(1).default("./aws-accounts.yaml"),
  })
  .strict();

export const portOceanOptionsSchema = z
  .object({
    /** Helm integration.identifier (default: the integration name). */
    identifier: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, "must be lower-case letters, digits and -")
      .optional(),
  })
  .strict();

export const turbotPipesOptionsSchema = z
  .object({
    /** Pipes organization handle (pipes_organization_integration); give this or tenantHandle. */
    organizationHandle: z.string().optional(),
    /** Pipes tenant handle (pipes_tenant_integration). */
    tenantHandle: z.string().optional(),
    handlePrefix: z
      .string()
      .regex(/^[a-z0-9_]*$/)
      .default("aws_"),
    /** The integration's handle: turbot/terraform-provider-pipes resource_pipes_organization_integration.go's pattern, 1-39 characters, single underscores. */
    integrationHandle: z
      .string()
      .regex(
        /^[a-z][a-z0-9_]{0,37}[a-z0-9]?$/,
        "must be 1-39 characters: a lower-case letter, then lower-case letters, digits and single underscores, not ending with _",
      )
      .refine((h) => !h.includes("__"), "must not hold two underscores in a row")
      .optional(),
    /** permitted_external_id_identifiers (default: the external ID prefix, i.e. the Pipes organization id). */
    permittedExternalIdIdentifiers: z.array(z.string().min(1)).optional(),
  })
  .strict();

const profileOptions = {
  /** Profile in ~/.aws/config that holds the credentials used to assume the member roles. */
  sourceProfile: z.string().optional(),
  /** Or a credential source: Ec2InstanceMetadata, EcsContainer or Environment. */
  credentialSource: z.enum(["Ec2InstanceMetadata", "EcsContainer", "Environment"]).optional(),
  sessionName: z
    .string()
    .regex(/^[\w+=,.@-]{2,64}$/)
    .optional(),
};
const profilePrefix = z.string().regex(/^[a-z0-9_-]*$/);

export const steampipeOptionsSchema = z
  .object({
    ...profileOptions,
    profilePrefix: profilePrefix.default("sp_"),
    connectionPrefix: z
      .string()
      .regex(/^[a-z0-9_]*$/)
      .default("aws_"),
  })
  .strict();
export const awsCliOptionsSchema = z.object({ ...profileOptions, profilePrefix: profilePrefix.default("") }).strict();
/** Apono's default connected_resource_types (generate/consumers.ts APONO_ORG_INTEGRATION). */
export const APONO_DEFAULT_RESOURCE_TYPES: readonly string[] = ["aws-organization-account"];
export const aponoOptionsSchema = z
  .object({
    /** The Apono connector's id (required). */
    connectorId: z.string().min(1).optional(),
    integrationName: z.string().optional(),
    /** connected_resource_types (default ["aws-organization-account"]). */
    connectedResourceTypes: z
      .array(z.string().min(1))
      .min(1)
      .default(() => [...APONO_DEFAULT_RESOURCE_TYPES]),
  })
  .strict();
export const cloudqueryOptionsSchema = z
  .object({
    sourceName: z.string().default("aws"),
    destinations: z.array(z.string()).default(["postgresql"]),
    /** AWS source plugin version to pin. */
    version: z
      .string()
      .regex(/^v\d+\.\d+\.\d+$/, "must be a plugin version such as v33.26.0")
      .default("v33.26.0"),
    /** Tables to sync. */
    tables: z.array(z.string().min(1)).min(1).default(["*"]),
    /** role_session_name / member_role_session_name. */
    sessionName: z
      .string()
      .regex(/^[\w+=,.@-]{2,64}$/)
      .optional(),
  })
  .strict();
export const c7nOrgOptionsSchema = z.object({}).strict();
export const terraformOptionsSchema = z
  .object({
    aliasPrefix: z
      .string()
      .regex(/^[a-z0-9_]*$/)
      .default(""),
    sessionName: z
      .string()
      .regex(/^[\w+=,.@-]{2,64}$/)
      .optional(),
  })
  .strict();
export const customOptionsSchema = z.record(z.string(), z.unknown());

/**
 * Each built-in consumer's options schema: the one place their defaults are written. Resolved integrations carry
 * the parsed, typed result (ConsumerOptions), which the generator reads as it is.
 */
export const CONSUMER_OPTIONS = {
  backstage: backstageOptionsSchema,
  "port-ocean": portOceanOptionsSchema,
  "turbot-pipes": turbotPipesOptionsSchema,
  steampipe: steampipeOptionsSchema,
  apono: aponoOptionsSchema,
  cloudquery: cloudqueryOptionsSchema,
  "c7n-org": c7nOrgOptionsSchema,
  "aws-cli": awsCliOptionsSchema,
  terraform: terraformOptionsSchema,
} as const satisfies Record<ConsumerName, z.ZodType>;

/** The options of each consumer after parsing (defaults applied); a custom template's are free-form. */
export type ConsumerOptions = { [C in ConsumerName]: z.output<(typeof CONSUMER_OPTIONS)[C]> } & {
  custom: Record<string, unknown>;
};

export const integrationSchema = z
  .object({
    /** A built-in consumer name, or a path to a custom handlebars template (*.hbs). */
    consumer: z.string().min(1),
    /** The principal that assumes the discovery and member roles (the consumer's own role or account). */
    trustedPrincipal: principalArn.optional(),
    externalId: externalIdSchema.optional(),
    discoveryRole: discoveryRoleSchema.default(discoveryRoleSchema.parse({})),
    memberRole: memberRoleSchema.default(memberRoleSchema.parse({})),
    stackSet: stackSetSchema.default(stackSetSchema.parse({})),
    /** Added to the global exclusions for this integration only. */
    exclusions: integrationExclusionsSchema.default(integrationExclusionsSchema.parse({})),
    /** Regions the consumer reads (default: the home region; "*" for all where the consumer supports it). */
    regions: z
      .array(z.union([region, z.literal("*")]))
      .min(1)
      .optional(),
    output: z
      .object({
        /** Folder for generated files (default out/<integration>). */
        dir: z.string().optional(),
        /** File name for a custom template's output (default <integration>.txt). */
        file: z.string().optional(),
      })
      .strict()
      .default({}),
    /** Consumer-specific settings (see docs/consumers.md). */
    options: z.record(z.string(), z.unknown()).default({}),
    tags: tagMap.default({}),
  })
  .strict();

/**
 * `sync`: keep the repository in step with the org (docs/sync.md). With it, synth adds the trigger stack
 * (stacks/orgtrust-sync: EventBridge rules -> GitHub repository_dispatch, and the CI role for OIDC) and
 * `orgtrust init --ci github` fills in the role and the environment.
 */
export const syncSchema = z
  .object({
    github: z
      .object({
        /** The repository the trigger dispatches to and the CI role trusts: owner/name. */
        repository: z
          .string()
          .regex(
            /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/,
            "must be a GitHub repository such as acme/org-config",
          ),
        /** The branch the sync workflow runs on (trusted by the CI role when environment is null). */
        branch: z
          .string()
          .regex(/^[A-Za-z0-9._/-]{1,255}$/, "must be a branch name such as main")
          .default("main"),
        /** The GitHub environment the workflows' jobs use; the CI role trusts it. null: trust the branch instead. */
        environment: z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,255}$/, "must be a GitHub environment name such as orgtrust")
          .nullable()
          .default("orgtrust"),
        /** Create GitHub's OIDC provider (token.actions.githubusercontent.com) in the management account; false when it exists. */
        createOidcProvider: z.boolean().default(true),
      })
      .strict(),
    /** The CI role the workflows assume through OIDC (management account). */
    ciRole: z
      .object({ name: roleName.default("orgtrust-sync-ci"), path: iamPath.default("/") })
      .strict()
      .default({ name: "orgtrust-sync-ci", path: "/" }),
    /** Also route Control Tower's CreateManagedAccount / UpdateManagedAccount, from its home region. */
    controlTower: z.object({ homeRegion: region }).strict().optional(),
    /** An incremental refresh builds on a committed snapshot at most this old (hours); older: a full crawl. */
    maxSnapshotAgeHours: z.number().min(0).default(168),
    /** The sync workflow's schedule (cron, UTC): the full crawl that catches any event missed. */
    schedule: z
      .string()
      .regex(/^[0-9*/,\- ]+$/, 'must be a cron expression such as "17 5 * * *"')
      .default("17 5 * * *"),
  })
  .strict();

export const configSchema = z
  .object({
    version: z.literal(1, { message: "must be 1" }),
    organization: z
      .object({
        managementAccountId: accountId,
        partition: partition.default("aws"),
        /** Region for the StackSet, the secret and STS calls. */
        homeRegion: region,
        delegatedAdminAccountId: accountId.optional(),
        /** Most AWS calls per second orgtrust makes (discover, drift, sync), to leave budget to other tools; --max-rate overrides it. */
        maxRate: z
          .number()
          .min(0.1, "must be at least 0.1 calls per second")
          .max(1000, "must be at most 1000 calls per second")
          .optional(),
      })
      .strict(),
    /** Default snapshot file (relative to this file); --snapshot overrides it. */
    snapshot: z.string().optional(),
    exclusions: globalExclusionsSchema.default(globalExclusionsSchema.parse({})),
    sync: syncSchema.optional(),
    integrations: z.record(
      z
        .string()
        .regex(
          /^[a-z][a-z0-9-]{0,39}$/,
          "integration names must be lower-case letters, digits and -, starting with a letter",
        ),
      integrationSchema,
    ),
    /** Where Terraform keeps each stack's state (config/backend.ts; default: a local file in the stack directory). */
    backend: backendSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const problem = backendProblem(c.backend, Object.keys(c.integrations));
    if (problem) ctx.addIssue({ code: "custom", path: problem[0], message: problem[1] });
  });

export type OrgtrustConfig = z.infer<typeof configSchema>;
export type IntegrationConfig = z.infer<typeof integrationSchema>;
export type ExternalIdConfig = z.infer<typeof externalIdSchema>;
export type SyncConfig = z.infer<typeof syncSchema>;
