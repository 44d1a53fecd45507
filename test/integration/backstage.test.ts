import * as fs from "node:fs";
import * as path from "node:path";
import { CloseAccountCommand } from "@aws-sdk/client-organizations";
import { CreateRoleCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import {
  DefaultNamespaceEntityPolicy,
  EntityPolicies,
  FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
  resourceEntityV1alpha1Validator,
  type Entity,
} from "@backstage/catalog-model";
import type { Config } from "@backstage/config";
import { ConfigSources, loadConfigSchema } from "@backstage/config-loader";
import { DefaultAwsCredentialsManager } from "@backstage/integration-aws-node";
import { AwsOrganizationCloudAccountProcessor } from "@backstage/plugin-catalog-backend-module-aws";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { loadConfig as loadOrgtrustConfig } from "../../config/load";
import {
  DISCOVERY_POLICY_NAME,
  discoveryRolePolicy,
  discoveryTrustPolicy,
  memberTrustPolicy,
} from "../../constructs/member-role-policy";
import { awsClients, clientsFor, TEST_CREDENTIALS } from "../support/aws-clients";
import * as ts from "typescript";
import { REPO, runCli } from "../support/cli";
import { describeWithMoto } from "../support/moto";
import { buildOrg, type BuiltOrg } from "../support/org-fixture";
import { FIXTURE, IN_SCOPE, tmpDir, writeConfig, writePartitionSnapshot } from "../fixtures/generate";

/**
 * The Backstage outputs, proven with the published Backstage packages (devDependencies, exact versions):
 *   @backstage/config-loader@1.11.3    ConfigSources.default, as @backstage/backend-defaults@0.18.0
 *                                      dist/entrypoints/rootConfig/rootConfigServiceFactory.cjs.js loads the backend's
 *                                      config (`--config` files in order, objects merged, lists replaced); $include;
 *                                      loadConfigSchema over the packages' config.schema.json
 *   @backstage/catalog-model@1.10.3    the catalog's entity policies and the Resource kind validator
 *   @backstage/plugin-catalog-backend-module-aws@0.4.28
 *                                      AwsOrganizationCloudAccountProcessor (dist/processors/...cjs.js), run against moto
 *   @backstage/integration-aws-node@0.2.2  DefaultAwsCredentialsManager (dist/DefaultAwsCredentialsManager.cjs.js)
 * The app config below has its own lists (catalog.locations, aws.accounts) and merges the generated file the way the
 * generated header and README say: the file as one more --config, its list entries by $include.
 */

const EXT = "bs-ext-0123456789abcdefghij";
const APP_OWN_ACCOUNT = "999999999999";
/** Their config schemas and those of their dependencies (backend-defaults, backend-app-api, integration, ...). */
const BACKSTAGE_PACKAGES = ["@backstage/plugin-catalog-backend-module-aws", "@backstage/integration-aws-node"];

/** The app's own app-config.yaml: its own lists, plus the one $include line per list the generated header asks for. */
function appConfigText(
  generated: string,
  includes: { location?: boolean; awsAccount?: boolean; key?: string },
): string {
  const key = includes.key ?? "orgtrust.backstage";
  return `app:
  title: Our portal
  baseUrl: http://localhost:3000
backend:
  baseUrl: http://localhost:7007
  listen: { port: 7007 }
  database: { client: better-sqlite3, connection: ":memory:" }
aws:
  accounts:
    - accountId: "${APP_OWN_ACCOUNT}"
      roleName: our-own-role
${includes.awsAccount ? `    - $include: ${generated}#${key}.awsAccount\n` : ""}catalog:
  locations:
    - type: url
      target: https://example.invalid/our/catalog-info.yaml
${includes.location ? `    - $include: ${generated}#${key}.catalogLocation\n` : ""}`;
}

/** Loads config files exactly as the Backstage backend does (`--config a --config b`), with our environment. */
async function backstageConfig(
  files: string[],
  env: Record<string, string> = { ORGTRUST_BACKSTAGE_EXTERNAL_ID: EXT },
): Promise<Config & { close(): void }> {
  const source = ConfigSources.default({
    argv: files.flatMap((f) => ["--config", f]),
    rootDir: path.dirname(files[0]),
    watch: false,
    substitutionFunc: async (name) => env[name],
  });
  return ConfigSources.toConfig(source);
}

/** The merged config validated against the published packages' schemas (throws on a wrong key or type). */
let schemaOnce: ReturnType<typeof loadConfigSchema> | undefined;
async function validateAgainstSchemas(config: Config): Promise<void> {
  const schema = await (schemaOnce ??= loadConfigSchema({ dependencies: BACKSTAGE_PACKAGES }));
  schema.process([{ context: "merged", data: config.get<any>() }], { visibility: ["frontend", "backend", "secret"] });
}

const ENTITY_POLICY = EntityPolicies.allOf([
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
  new SchemaValidEntityPolicy(),
]);

/** The catalog's own validation of an entity (what the catalog backend applies before storing it). */
async function expectValidEntity(e: Entity): Promise<void> {
  const out = await ENTITY_POLICY.enforce(e);
  expect(out).toBeDefined();
  expect(await resourceEntityV1alpha1Validator.check(out!)).toBe(true);
}

const silentLogger: any = { info() {}, warn() {}, error() {}, debug() {}, child: () => silentLogger };

async function runProcessor(config: Config, location: { type: string; target: string }): Promise<Entity[]> {
  const processor = await AwsOrganizationCloudAccountProcessor.fromConfig(config, { logger: silentLogger });
  const out: Entity[] = [];
  const claimed = await processor.readLocation(location, false, (r: any) => {
    if (r.type === "entity") out.push(r.entity);
    else throw new Error(`processor emitted ${r.type}: ${r.error?.message ?? ""}`);
  });
  expect(claimed).toBe(true);
  return out;
}

const accountIds = (entities: Entity[]) =>
  entities.map((e) => e.metadata.annotations!["amazonaws.com/account-id"]).sort();

async function generateBackstage(config: string, out: string, endpoint?: string): Promise<void> {
  const r = await runCli(["generate", "--config", config, "--out", out, "--integration", "backstage"], { endpoint });
  if (r.code !== 0) throw new Error(`generate exited ${r.code}: ${r.stderr}`);
}

describe("backstage output over the fixture org (exclusions: static entities)", () => {
  let dir: string;
  let generated: string;
  let entitiesFile: string;
  beforeAll(async () => {
    const w = writeConfig();
    dir = w.dir;
    await generateBackstage(w.config, path.join(dir, "out"));
    generated = path.join(dir, "out", "backstage", "app-config.yaml");
    entitiesFile = path.join(dir, "out", "backstage", "aws-accounts.yaml");
  });

  test("the generated file has no top-level list, so loading it as one more --config keeps the app's own lists", async () => {
    const data = parseYaml(fs.readFileSync(generated, "utf8"));
    // Every list in the file, outside orgtrust.* (which no app config has): none.
    const lists = (v: any, p: string): string[] =>
      Array.isArray(v)
        ? [p]
        : v && typeof v === "object"
          ? Object.entries(v).flatMap(([k, x]) => lists(x, `${p}.${k}`))
          : [];
    expect(lists(data, "").filter((p) => !p.startsWith(".orgtrust."))).toEqual([]);
    expect(lists(data, "")).toEqual([".orgtrust.backstage.catalogLocation.rules"]);
    // Without the $include line: the app's locations and accounts survive, ours is simply not there yet.
    const app = path.join(dir, "app-config.yaml");
    fs.writeFileSync(app, appConfigText(generated, {}));
    const c = await backstageConfig([app, generated]);
    expect(c.getConfigArray("catalog.locations").map((l) => l.getString("type"))).toEqual(["url"]);
    expect(c.getConfigArray("aws.accounts").map((a) => a.getString("accountId"))).toEqual([APP_OWN_ACCOUNT]);
    expect(c.getString("aws.accountDefaults.roleName")).toBe("backstage-org-readonly");
    c.close();
  });

  test("the lists are what Backstage replaces: a file with its own catalog.locations would drop the app's", async () => {
    const naive = path.join(dir, "naive.yaml");
    fs.writeFileSync(naive, "catalog:\n  locations:\n    - type: file\n      target: ./aws-accounts.yaml\n");
    const app = path.join(dir, "app-config.yaml");
    fs.writeFileSync(app, appConfigText(generated, {}));
    const c = await backstageConfig([app, naive]);
    expect(c.getConfigArray("catalog.locations").map((l) => l.getString("type"))).toEqual(["file"]);
    c.close();
  });

  test("merged as the header says ($include + --config), the published schemas accept it and the app keeps its lists", async () => {
    const app = path.join(dir, "app-config.yaml");
    fs.writeFileSync(app, appConfigText(generated, { location: true }));
    const c = await backstageConfig([app, generated]);
    await validateAgainstSchemas(c);
    const locations = c.getConfigArray("catalog.locations");
    expect(locations.map((l) => l.getString("type"))).toEqual(["url", "file"]);
    expect(locations[1].getString("target")).toBe("./aws-accounts.yaml");
    expect(locations[1].getConfigArray("rules").map((r) => r.getStringArray("allow"))).toEqual([["Resource"]]);
    expect(c.getConfigArray("aws.accounts").map((a) => a.getString("accountId"))).toEqual([APP_OWN_ACCOUNT]);
    // No processor, no provider: the static file is the whole catalog source.
    expect(c.getOptional("catalog.processors")).toBeUndefined();
    expect(c.getOptional("catalog.providers")).toBeUndefined();
    expect(c.getString("aws.accountDefaults.externalId")).toBe(EXT);
    // A key the published schema does not know under aws.accountDefaults is refused: the validation can fail.
    const bad = path.join(dir, "bad.yaml");
    fs.writeFileSync(bad, "aws:\n  accountDefaults:\n    roleName: [not, a, string]\n");
    const wrong = await backstageConfig([app, generated, bad]);
    await expect(validateAgainstSchemas(wrong)).rejects.toThrow(/roleName/);
    wrong.close();
    c.close();
  });

  test("every static entity passes @backstage/catalog-model's validators; exactly the accounts in scope", async () => {
    const docs = parseAllDocuments(fs.readFileSync(entitiesFile, "utf8"));
    const entities = (Array.isArray(docs) ? docs : [docs]).map((d) => d.toJS() as Entity);
    expect(accountIds(entities)).toEqual([...IN_SCOPE].sort());
    for (const e of entities) await expectValidEntity(e);
    // The validators can fail: a name the processor's normalisation would give a hostile account name is refused.
    await expect(
      ENTITY_POLICY.enforce({
        ...entities[0],
        metadata: { ...entities[0].metadata, name: "-search--prod----co---1---x-" },
      }),
    ).rejects.toThrow(/metadata\.name/);
    // The processor's own name for these accounts collides or is invalid, which is one reason orgtrust chose static.
    const text = fs.readFileSync(generated, "utf8");
    expect(text).toContain(
      "# Not AwsOrganizationCloudAccountProcessor, which lists every account: 7 of the organization's 16 accounts are out of scope.",
    );
  });

  test("nothing excluded but names the processor would mangle: still static entities", async () => {
    const w = writeConfig({
      exclusionsYaml: "exclusions:\n  skipInactiveAccounts: false",
      integrationsYaml:
        "  backstage:\n    consumer: backstage\n    trustedPrincipal: arn:aws:iam::999999999999:role/b\n",
    });
    await generateBackstage(w.config, path.join(w.dir, "out"));
    const text = fs.readFileSync(path.join(w.dir, "out", "backstage", "app-config.yaml"), "utf8");
    expect(text).toMatch(
      /# Not AwsOrganizationCloudAccountProcessor, which lists every account: 3 account names do not make unique valid entity names the way it derives them\./,
    );
    expect(fs.existsSync(path.join(w.dir, "out", "backstage", "aws-accounts.yaml"))).toBe(true);
  });

  test("options.catalog processor or aws-org-provider with accounts out of scope: exit 2, nothing written", async () => {
    for (const mode of ["processor", "aws-org-provider"]) {
      const w = writeConfig({
        integrationsYaml: `  backstage:\n    consumer: backstage\n    trustedPrincipal: arn:aws:iam::999999999999:role/b\n    options: { catalog: ${mode} }\n`,
      });
      const r = await runCli([
        "generate",
        "--config",
        w.config,
        "--out",
        path.join(w.dir, "out"),
        "--integration",
        "backstage",
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `integrations.backstage.options.catalog: ${mode} lists every account of the organization, which is wrong here: 7 of the organization's 16 accounts are out of scope`,
      );
      expect(r.stderr).toContain("(fix: set options.catalog to auto or static)");
      expect(fs.existsSync(path.join(w.dir, "out"))).toBe(false);
    }
  });

  test("GovCloud: static entities (the processor reads Organizations in us-east-1 only)", async () => {
    const d = tmpDir();
    const snap = path.join(d, "org.json");
    writePartitionSnapshot(snap, "aws-us-gov");
    const w = writeConfig(
      {
        snapshot: snap,
        partition: "aws-us-gov",
        homeRegion: "us-gov-west-1",
        exclusionsYaml: "exclusions:\n  skipInactiveAccounts: false",
        integrationsYaml:
          "  backstage:\n    consumer: backstage\n    trustedPrincipal: arn:aws-us-gov:iam::999999999999:role/b\n",
      },
      d,
    );
    await generateBackstage(w.config, path.join(d, "out"));
    const text = fs.readFileSync(path.join(d, "out", "backstage", "app-config.yaml"), "utf8");
    expect(text).toContain("it reads Organizations in us-east-1 (partition aws) only, not in aws-us-gov.");
    expect(parseYaml(text).aws.accountDefaults).toMatchObject({ partition: "aws-us-gov", region: "us-gov-west-1" });
    const generated = path.join(d, "out", "backstage", "app-config.yaml");
    const app = path.join(d, "app-config.yaml");
    fs.writeFileSync(app, appConfigText(generated, { location: true }));
    const c = await backstageConfig([app, generated]);
    await validateAgainstSchemas(c);
    expect(c.get("aws.accountDefaults")).toEqual({
      roleName: "backstage-org-readonly",
      externalId: EXT,
      partition: "aws-us-gov",
      region: "us-gov-west-1",
    });
    expect(c.getConfigArray("catalog.locations").map((l) => l.getString("type"))).toEqual(["url", "file"]);
    c.close();
  });
});

describe("backstage output, nothing out of scope (the published processor)", () => {
  test("processor config: location, discovery credentials for the processor only, member role for the rest; schema-valid", async () => {
    // The fixture org with plain account names (each one the processor's own normalisation keeps as it is).
    const d = tmpDir();
    const snap = JSON.parse(fs.readFileSync(FIXTURE, "utf8"));
    for (const a of snap.accounts) a.name = `Account ${a.id}`;
    fs.writeFileSync(path.join(d, "org.json"), JSON.stringify(snap, null, 2));
    const w = writeConfig(
      {
        snapshot: path.join(d, "org.json"),
        exclusionsYaml: "exclusions:\n  skipInactiveAccounts: false",
        integrationsYaml:
          "  backstage:\n    consumer: backstage\n    trustedPrincipal: arn:aws:iam::999999999999:role/b\n",
      },
      d,
    );
    await generateBackstage(w.config, path.join(d, "out"));
    expect(fs.readdirSync(path.join(d, "out", "backstage"))).toEqual(["app-config.yaml"]);
    const generated = path.join(d, "out", "backstage", "app-config.yaml");
    const text = fs.readFileSync(generated, "utf8");
    expect(text).toContain(
      'catalog.addProcessor(await AwsOrganizationCloudAccountProcessor.fromConfig(config.getConfig("orgtrust.backstage"), { logger }));',
    );
    const app = path.join(d, "app-config.yaml");
    fs.writeFileSync(app, appConfigText(generated, { location: true }));
    const c = await backstageConfig([app, generated]);
    await validateAgainstSchemas(c);
    expect(c.getConfigArray("catalog.locations").map((l) => l.get())).toEqual([
      { type: "url", target: "https://example.invalid/our/catalog-info.yaml" },
      { type: "aws-cloud-accounts", target: "o-fixture0001", rules: [{ allow: ["Resource"] }] },
    ]);
    // The root config has no processor settings and no aws.accounts entry of ours: only the app's own.
    expect(c.getOptional("catalog.processors")).toBeUndefined();
    expect(c.getConfigArray("aws.accounts").map((a) => a.getString("accountId"))).toEqual([APP_OWN_ACCOUNT]);
    expect(c.get("aws.accountDefaults")).toEqual({ roleName: "backstage-org-readonly", externalId: EXT });
    // The processor's own config, as @backstage/plugin-catalog-backend-module-aws@0.4.28 reads it.
    const p = c.getConfig("orgtrust.backstage");
    expect(p.getString("catalog.processors.awsOrganization.provider.accountId")).toBe("111111111111");
    expect(p.getConfigArray("aws.accounts").map((a) => a.get())).toEqual([
      { accountId: "111111111111", roleName: "backstage-org-discovery", externalId: EXT },
    ]);
    expect(await AwsOrganizationCloudAccountProcessor.fromConfig(p, { logger: silentLogger })).toBeInstanceOf(
      AwsOrganizationCloudAccountProcessor,
    );
    c.close();
  });
});

describe("docs/consumers.md: the backend module that registers the processor", () => {
  test("type-checks against the installed @backstage/backend-plugin-api, plugin-catalog-node and the aws module", () => {
    const readme = fs.readFileSync(path.join(REPO, "docs", "consumers.md"), "utf8");
    const m = /```ts\n(\/\/ packages\/backend\/src\/orgtrustAwsAccounts\.ts\n[\s\S]*?)```/.exec(readme);
    expect(m).not.toBeNull();
    const d = tmpDir("orgtrust-backstage-module-");
    const good = path.join(d, "orgtrustAwsAccounts.ts");
    const bad = path.join(d, "broken.ts");
    fs.writeFileSync(good, m![1]);
    // The check can fail: the processor's fromConfig needs a Config, not a string.
    fs.writeFileSync(bad, m![1].replace("config.getConfig('orgtrust.backstage')", "'orgtrust.backstage'"));
    const program = ts.createProgram([good, bad], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      esModuleInterop: true,
      types: [],
      // Resolve the packages from this checkout's node_modules (the files live in a temporary folder).
      baseUrl: REPO,
      paths: { "*": ["node_modules/*", "node_modules/@types/*"] },
    });
    const errors = (f: string) =>
      ts
        .getPreEmitDiagnostics(program, program.getSourceFile(f))
        .map((x) => ts.flattenDiagnosticMessageText(x.messageText, "\n"));
    expect(errors(good)).toEqual([]);
    expect(errors(bad).join("\n")).toMatch(/not assignable to parameter of type 'Config'/);
  }, 60_000);
});

/** A small org: the management account, Workloads (w1, w2), Sandbox (s1). */
const SPEC = {
  ous: [
    { name: "Workloads", accounts: [{ name: "w1" }, { name: "w2" }] },
    { name: "Sandbox", accounts: [{ name: "s1" }] },
  ],
};

function orgtrustYaml(built: BuiltOrg, exclusions: string, options = ""): string {
  return `version: 1
organization:
  managementAccountId: "${built.managementAccountId}"
  homeRegion: us-east-1
snapshot: org.json
${exclusions}
integrations:
  backstage:
    consumer: backstage
    trustedPrincipal: arn:aws:iam::444455556666:role/backstage-backend
    externalId: { source: value, value: "${EXT}" }
${options}`;
}

describeWithMoto(
  "backstage against moto: the published processor and credential manager with the deployed roles",
  (moto) => {
    let built: BuiltOrg;
    let dir: string;
    const saved: Record<string, string | undefined> = {};
    const ENV = {
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL: "",
    };

    beforeAll(async () => {
      const endpoint = moto().endpoint;
      // The Backstage packages build their own SDK clients: they reach moto through the standard AWS_ENDPOINT_URL.
      for (const [k, v] of Object.entries({
        ...ENV,
        AWS_ENDPOINT_URL: endpoint,
        AWS_CONFIG_FILE: "/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
        AWS_EC2_METADATA_DISABLED: "true",
      })) {
        saved[k] = process.env[k];
        process.env[k] = v;
      }
      const c = awsClients(endpoint);
      built = await buildOrg(c, SPEC);
      dir = tmpDir("orgtrust-backstage-");
      fs.writeFileSync(
        path.join(dir, "orgtrust.yaml"),
        orgtrustYaml(built, "exclusions:\n  skipInactiveAccounts: true"),
      );
      const d = await runCli(
        ["discover", "--config", path.join(dir, "orgtrust.yaml"), "--out", path.join(dir, "org.json")],
        { endpoint },
      );
      expect(d.code).toBe(0);
      // Deploy what synth deploys: the member role in every account (the StackSet's, and the management account's
      // own), the discovery role in the management account, with orgtrust's trust and discovery policies.
      const integration = loadOrgtrustConfig(path.join(dir, "orgtrust.yaml")).integrations.find(
        (i) => i.name === "backstage",
      )!;
      const trust = JSON.stringify(memberTrustPolicy(integration, EXT));
      for (const a of built.accounts) {
        const m = a.id === built.managementAccountId ? awsClients(endpoint) : await clientsFor(endpoint, a.id);
        await m.iam.send(
          new CreateRoleCommand({ RoleName: integration.memberRole.name, AssumeRolePolicyDocument: trust }),
        );
        m.destroy();
      }
      await c.iam.send(
        new CreateRoleCommand({
          RoleName: integration.discoveryRole.name,
          AssumeRolePolicyDocument: JSON.stringify(discoveryTrustPolicy(integration, EXT)),
        }),
      );
      await c.iam.send(
        new PutRolePolicyCommand({
          RoleName: integration.discoveryRole.name,
          PolicyName: DISCOVERY_POLICY_NAME,
          PolicyDocument: JSON.stringify(discoveryRolePolicy(integration)),
        }),
      );
      c.destroy();
    }, 120_000);

    afterAll(() => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });

    const callerArn = async (provider: { sdkCredentialProvider: () => Promise<any> }): Promise<string> => {
      const sts = new STSClient({ region: "us-east-1", credentials: await provider.sdkCredentialProvider() });
      const { Arn } = await sts.send(new GetCallerIdentityCommand({}));
      sts.destroy();
      return Arn!;
    };

    test("nothing excluded: the processor, given the generated discovery config, emits exactly the accounts in scope", async () => {
      const out = path.join(dir, "out-all");
      await generateBackstage(path.join(dir, "orgtrust.yaml"), out, moto().endpoint);
      const generated = path.join(out, "backstage", "app-config.yaml");
      expect(fs.existsSync(path.join(out, "backstage", "aws-accounts.yaml"))).toBe(false);
      const app = path.join(dir, "app-config.yaml");
      fs.writeFileSync(app, appConfigText(generated, { location: true }));
      const config = await backstageConfig([app, generated]);
      await validateAgainstSchemas(config);
      // The app keeps its own lists; the location the header asks to include is the processor's.
      const locations = config
        .getConfigArray("catalog.locations")
        .map((l) => ({ type: l.getString("type"), target: l.getString("target") }));
      expect(locations).toEqual([
        { type: "url", target: "https://example.invalid/our/catalog-info.yaml" },
        { type: "aws-cloud-accounts", target: built.orgId },
      ]);
      expect(config.getConfigArray("aws.accounts").map((a) => a.getString("accountId"))).toEqual([APP_OWN_ACCOUNT]);

      const discoveryConfig = config.getConfig("orgtrust.backstage");
      const entities = await runProcessor(discoveryConfig, locations[1]);
      const everyAccount = built.accounts.map((a) => a.id).sort();
      expect(everyAccount).toContain(built.managementAccountId);
      expect(accountIds(entities)).toEqual(everyAccount);
      for (const e of entities) await expectValidEntity(e);
      // The location's target filters by organization ID: another organization's location gets nothing.
      expect(await runProcessor(discoveryConfig, { type: "aws-cloud-accounts", target: "o-someoneelse" })).toEqual([]);

      // It read the organization as the discovery role (the credential the generated processor config resolves to).
      const discoveryProvider = await DefaultAwsCredentialsManager.fromConfig(discoveryConfig).getCredentialProvider({
        accountId: built.managementAccountId,
      });
      expect(await callerArn(discoveryProvider)).toBe(
        `arn:aws:sts::${built.managementAccountId}:assumed-role/backstage-org-discovery/backstage`,
      );

      // Every other Backstage AWS plugin reads the root config: every account, the management account included,
      // resolves to the member role.
      const manager = DefaultAwsCredentialsManager.fromConfig(config);
      for (const id of everyAccount) {
        expect(await callerArn(await manager.getCredentialProvider({ accountId: id }))).toBe(
          `arn:aws:sts::${id}:assumed-role/backstage-org-readonly/backstage`,
        );
      }
      // The external ID both send is the one in the environment, substituted by the config loader. (moto accepts
      // any external ID, so the trust policies' condition is proven with iam-simulate in constructs.test.ts.)
      expect(config.getString("aws.accountDefaults.externalId")).toBe(EXT);
      expect(discoveryConfig.getConfigArray("aws.accounts").map((a) => a.get())).toEqual([
        { accountId: built.managementAccountId, roleName: "backstage-org-discovery", externalId: EXT },
      ]);
      config.close();
    }, 60_000);

    test("Sandbox excluded, then an account suspended: static entities, because the processor would list them", async () => {
      const endpoint = moto().endpoint;
      // The processor over the same org, for comparison.
      const allOut = path.join(dir, "out-all");
      const app = path.join(dir, "app-config.yaml");
      const full = await backstageConfig([app, path.join(allOut, "backstage", "app-config.yaml")]);
      const listAll = () =>
        runProcessor(full.getConfig("orgtrust.backstage"), { type: "aws-cloud-accounts", target: built.orgId });

      const excludedConfig = path.join(dir, "orgtrust-excluded.yaml");
      fs.writeFileSync(
        excludedConfig,
        orgtrustYaml(built, `exclusions:\n  organizationalUnits: ["${built.ou.Sandbox}"]`),
      );
      const out = path.join(dir, "out-excluded");
      await generateBackstage(excludedConfig, out, endpoint);
      const staticIds = async () => {
        const docs = parseAllDocuments(fs.readFileSync(path.join(out, "backstage", "aws-accounts.yaml"), "utf8"));
        const entities = (Array.isArray(docs) ? docs : [docs]).map((d) => d.toJS() as Entity);
        for (const e of entities) await expectValidEntity(e);
        return accountIds(entities);
      };
      const inScope = [built.managementAccountId, built.account.w1, built.account.w2].sort();
      expect(await staticIds()).toEqual(inScope);
      expect(accountIds(await listAll())).toEqual([...inScope, built.account.s1].sort());
      const text = fs.readFileSync(path.join(out, "backstage", "app-config.yaml"), "utf8");
      expect(text).toContain("1 of the organization's 4 accounts is out of scope");
      expect(parseYaml(text).orgtrust.backstage).toEqual({
        catalogLocation: { type: "file", target: "./aws-accounts.yaml", rules: [{ allow: ["Resource"] }] },
      });

      // Suspend w2 (moto's CloseAccount), rediscover: inactive accounts are skipped by default, the processor lists it.
      const c = awsClients(endpoint);
      await c.org.send(new CloseAccountCommand({ AccountId: built.account.w2 }));
      c.destroy();
      const allConfig = path.join(dir, "orgtrust.yaml");
      const d = await runCli(["discover", "--config", excludedConfig, "--out", path.join(dir, "org.json")], {
        endpoint,
      });
      expect(d.code).toBe(0);
      await generateBackstage(allConfig, out, endpoint);
      expect(await staticIds()).toEqual([built.managementAccountId, built.account.w1, built.account.s1].sort());
      const listed = await listAll();
      expect(accountIds(listed)).toContain(built.account.w2);
      expect(
        listed.find((e) => e.metadata.annotations!["amazonaws.com/account-id"] === built.account.w2)!.metadata.labels![
          "amazonaws.com/account-status"
        ],
      ).toBe("suspended");
      full.close();
    }, 60_000);

    test("options.catalog aws-org-provider (unpublished): provider config and an aws.accounts entry, schema-checked", async () => {
      // Back to an org with every account in scope: a fresh snapshot with inactive accounts kept.
      const cfg = path.join(dir, "orgtrust-provider.yaml");
      fs.writeFileSync(
        cfg,
        orgtrustYaml(
          built,
          "exclusions:\n  skipInactiveAccounts: false",
          "    options: { catalog: aws-org-provider, providerId: acme }\n",
        ),
      );
      const out = path.join(dir, "out-provider");
      await generateBackstage(cfg, out, moto().endpoint);
      const generated = path.join(out, "backstage", "app-config.yaml");
      const text = fs.readFileSync(generated, "utf8");
      expect(text).toContain("It is NOT published to npm");
      const app = path.join(dir, "app-config-provider.yaml");
      fs.writeFileSync(app, appConfigText(generated, { awsAccount: true }));
      const config = await backstageConfig([app, generated]);
      await validateAgainstSchemas(config);
      expect(config.getConfigArray("catalog.locations").map((l) => l.getString("type"))).toEqual(["url"]);
      expect(config.getConfigArray("aws.accounts").map((a) => a.getString("accountId"))).toEqual([
        APP_OWN_ACCOUNT,
        built.managementAccountId,
      ]);
      expect(config.getConfig("catalog.providers.aws-org.acme").get()).toEqual({
        accountId: built.managementAccountId,
        schedule: { frequency: { minutes: 30 }, timeout: { minutes: 3 } },
      });
      config.close();
    }, 60_000);
  },
  { resetEachTest: false },
);
