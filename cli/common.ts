import * as fs from "node:fs";
import * as path from "node:path";
import { Command, Option } from "commander";
import type { z } from "zod";
import { InputError } from "../common/errors";
import { accountId, externalIdValue, ouId, principalArn, region } from "../common/ids";
import { createLogger, type Logger } from "../common/log";
import { DEFAULT_CONFIG_FILE, loadConfig, type LoadedConfig } from "../config/load";
import type { ExtraExclusions } from "../config/exclusions";
import type { AwsOptions } from "../aws/options";
import { awsTuningFromEnv } from "./env";
import type { DiscoveryResult } from "../org/discover";
import { checkManagementAccount, type ScopeFlags } from "../org/scope-rules";
import { loadSnapshot, type Snapshot } from "../org/snapshot";
import { snapshotPathOf } from "../plan/inputs";
import { jsonTerminalSafe } from "../common/terminal";

/** Options every command accepts (see addCommonOptions): the scope flags the engines take, plus the CLI's own. */
export interface CommonOptions extends ScopeFlags {
  config?: string;
  snapshot?: string;
  json?: boolean;
}

/** AWS connection options (see addAwsOptions). */
export interface AwsCliOptions {
  profile?: string;
  region?: string;
  roleArn?: string;
  externalId?: string;
  concurrency: number;
  requestTimeout?: number;
  deadline?: number;
  maxPages?: number;
  maxRate?: number;
}

/** A number of seconds for a flag: positive, at most a day, fractions allowed (tests use short deadlines). */
const seconds = (flag: string, example: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 86_400)
    throw new InputError(
      `${flag} ${v}: must be a number of seconds above 0 and at most 86400 (fix: pass e.g. ${flag} ${example})`,
    );
  return n;
};

/** Commander's collector for a repeatable flag: every occurrence's value, in order. */
export const repeatable = (value: string, previous: string[] = []): string[] => [...previous, value];

/** A repeatable flag whose every value is checked by `schema`. */
const collect =
  (schema: z.ZodType<string>, flag: string) =>
  (value: string, previous: string[] = []) => {
    const r = schema.safeParse(value);
    if (!r.success) throw new InputError(`${flag} ${value}: ${r.error.issues[0].message} (fix: correct the value)`);
    return repeatable(value, previous);
  };

export function addCommonOptions(cmd: Command, { snapshot = true }: { snapshot?: boolean } = {}): Command {
  cmd.option("-c, --config <file>", `config file (default: ./${DEFAULT_CONFIG_FILE} when present)`);
  if (snapshot)
    cmd.option(
      "-s, --snapshot <file>",
      "org snapshot to use instead of live discovery (default: the config's snapshot field)",
    );
  return cmd
    .option(
      "--exclude-ou <id>",
      "exclude an OU and its subtree (repeatable; adds to the config)",
      collect(ouId, "--exclude-ou"),
      [],
    )
    .option(
      "--exclude-account <id>",
      "exclude an account (repeatable; adds to the config)",
      collect(accountId, "--exclude-account"),
      [],
    )
    .option("--strict", "treat an exclusion that matches nothing in the org as an error")
    .option("--json", "machine-readable output on stdout; no progress");
}

export function addAwsOptions(cmd: Command): Command {
  return cmd
    .option("--profile <name>", "AWS profile (default: the standard credential chain)")
    .option("--region <region>", "AWS region for STS; also picks the partition's Organizations endpoint", (v) => {
      const r = region.safeParse(v);
      if (!r.success)
        throw new InputError(`--region ${v}: ${r.error.issues[0].message} (fix: pass a region such as us-east-1)`);
      return v;
    })
    .option("--role-arn <arn>", "assume this role first (the discovery role)", (v) => {
      const r = principalArn.safeParse(v);
      if (!r.success || !v.includes(":role/"))
        throw new InputError(
          `--role-arn ${v}: must be an IAM role ARN such as arn:aws:iam::123456789012:role/Name (fix: correct the ARN)`,
        );
      return v;
    })
    .option("--external-id <id>", "external ID to pass when assuming --role-arn (or env ORGTRUST_EXTERNAL_ID)", (v) => {
      const r = externalIdValue.safeParse(v);
      if (!r.success)
        throw new InputError(
          `--external-id: ${r.error.issues[0].message} (fix: pass the external ID the role's trust policy expects)`,
        );
      return v;
    })
    .addOption(
      new Option("--concurrency <n>", "parallel AWS requests").default(4).argParser((v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 64)
          throw new InputError(
            `--concurrency ${v}: must be a whole number from 1 to 64 (fix: pass e.g. --concurrency 4)`,
          );
        return n;
      }),
    )
    .option(
      "--request-timeout <seconds>",
      "deadline for each AWS request, up to the last byte of the answer (default 60)",
      seconds("--request-timeout", "60"),
    )
    .option(
      "--deadline <seconds>",
      "deadline for the whole discovery of the org (default 3600)",
      seconds("--deadline", "3600"),
    )
    .option(
      "--max-pages <n>",
      "most pages one Organizations listing may take before discovery stops (default 1000)",
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
          throw new InputError(
            `--max-pages ${v}: must be a whole number from 1 to 1000000 (fix: pass e.g. --max-pages 1000)`,
          );
        return n;
      },
    )
    .option(
      "--max-rate <calls/s>",
      "most AWS calls per second, to leave budget to other tools (default: organization.maxRate, else learned up to 1000)",
      (v) => {
        const n = Number(v);
        if (!/^\s*[0-9.]+\s*$/.test(v) || !Number.isFinite(n) || n < 0.1 || n > 1000)
          throw new InputError(
            `--max-rate ${v}: must be a number of calls per second from 0.1 to 1000 (fix: pass e.g. --max-rate 10)`,
          );
        return n;
      },
    );
}

/** The scope flags (--exclude-ou, --exclude-account, --strict) as the engines' `exclusions` option. */
export function exclusionsFrom(flags: ScopeFlags): ScopeFlags {
  return { excludeOu: flags.excludeOu, excludeAccount: flags.excludeAccount, strict: flags.strict };
}

/** Turns the AWS flags into discovery options, checking that flags that need each other are together. */
export function awsOptionsFrom(opts: AwsCliOptions, loaded?: LoadedConfig): AwsOptions {
  const externalId = opts.externalId ?? process.env.ORGTRUST_EXTERNAL_ID;
  if (externalId && !opts.roleArn)
    throw new InputError(
      "--external-id: given without --role-arn (fix: add --role-arn <discovery role ARN> or drop --external-id)",
    );
  if (process.env.ORGTRUST_EXTERNAL_ID && !opts.externalId) {
    const r = externalIdValue.safeParse(externalId);
    if (!r.success)
      throw new InputError(
        `ORGTRUST_EXTERNAL_ID: ${r.error.issues[0].message} (fix: correct the environment variable)`,
      );
  }
  return {
    profile: opts.profile,
    region: opts.region,
    roleArn: opts.roleArn,
    externalId,
    concurrency: opts.concurrency,
    maxRate: opts.maxRate ?? loaded?.config.organization.maxRate,
    partition: loaded?.config.organization.partition,
    limits: {
      requestTimeoutMs: opts.requestTimeout === undefined ? undefined : opts.requestTimeout * 1000,
      deadlineMs: opts.deadline === undefined ? undefined : opts.deadline * 1000,
      maxPagesPerListing: opts.maxPages,
    },
    tuning: awsTuningFromEnv(),
  };
}

/** The --exclude-* flags, merged into the config's exclusions before its integrations are resolved. */
export const extraExclusionsFrom = (opts: Partial<ScopeFlags>): ExtraExclusions => ({
  organizationalUnits: opts.excludeOu,
  accounts: opts.excludeAccount,
});
const extraExclusions = (opts: Partial<ScopeFlags>) => ({ exclusions: extraExclusionsFrom(opts) });

/** Loads --config, or ./orgtrust.yaml when present; undefined when neither (commands that can run without one). */
export function loadOptionalConfig(opts: { config?: string } & Partial<ScopeFlags>): LoadedConfig | undefined {
  if (opts.config) return loadConfig(opts.config, extraExclusions(opts));
  return fs.existsSync(DEFAULT_CONFIG_FILE) ? loadConfig(DEFAULT_CONFIG_FILE, extraExclusions(opts)) : undefined;
}

export function requireConfig(opts: { config?: string } & Partial<ScopeFlags>): LoadedConfig {
  return loadConfig(opts.config ?? DEFAULT_CONFIG_FILE, extraExclusions(opts));
}

/** The snapshot file to read: --snapshot, else the config's snapshot field (relative to the config file). */
export function snapshotPathFrom(opts: { snapshot?: string }, loaded?: LoadedConfig): string | undefined {
  return snapshotPathOf(opts, loaded);
}

export function loadSnapshotFrom(opts: { snapshot?: string }, loaded?: LoadedConfig): Snapshot | undefined {
  const p = snapshotPathFrom(opts, loaded);
  return p ? loadSnapshot(p) : undefined;
}

/**
 * The org a command works on: a snapshot file (--snapshot, or the config's `snapshot` when `configSnapshot`), or
 * live discovery with the AWS flags (progress on a TTY). Warns when the org is not the configured one.
 */
export async function orgFrom(
  flags: CommonOptions & AwsCliOptions,
  loaded: LoadedConfig | undefined,
  log: Logger,
  opts: { tags: boolean; configSnapshot: boolean },
): Promise<{ snapshot: Snapshot; live?: DiscoveryResult }> {
  const file = flags.snapshot ?? (opts.configSnapshot ? snapshotPathFrom({}, loaded) : undefined);
  let result: { snapshot: Snapshot; live?: DiscoveryResult };
  if (file) {
    if (flags.roleArn || flags.profile)
      throw new InputError(
        "--snapshot: cannot be combined with --profile or --role-arn, which are for live discovery (fix: drop one of them)",
      );
    result = { snapshot: loadSnapshot(file) };
  } else {
    // Loaded here, not at the top: the AWS SDK is needed only for live discovery (a snapshot run starts faster).
    const { discoverOrganization } = await import("../org/discover");
    const live = await discoverOrganization({
      ...awsOptionsFrom(flags, loaded),
      tags: opts.tags,
      onProgress: (p) =>
        log.progress(
          `discovering: ${p.ous} OUs, ${p.accounts} accounts, ${p.calls} calls, ${p.throttles} throttled, ${p.rate < 10 ? p.rate.toFixed(1) : Math.round(p.rate)} calls/s`,
        ),
    });
    log.done();
    result = { snapshot: live.snapshot, live };
  }
  if (loaded)
    checkManagementAccount(
      loaded,
      result.snapshot.organization,
      file ? `the snapshot ${path.basename(file)}` : "the live organization",
    );
  return result;
}

export function makeLogger(opts: { json?: boolean }): Logger {
  return createLogger({ json: opts.json });
}

/** Prints a value as stable JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${jsonTerminalSafe(JSON.stringify(value, null, 2))}\n`);
}
