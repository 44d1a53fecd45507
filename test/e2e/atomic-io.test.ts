import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { selectIntegrations } from "../../config/resolve";
import type { Logger } from "../../common/log";
import { EnvironmentError } from "../../common/errors";
import { commitFiles, recoverInterrupted } from "../../common/transaction";
import { loadConfig } from "../../config/load";
import { checkGenerated } from "../../drift/generated";
import { loadSnapshot } from "../../org/snapshot";
import { REPO, runCli as runCliBare } from "../support/cli";

/**
 * Multi-file writes are one staged swap (common/transaction.ts): a run killed (SIGKILL) or failing (ENOSPC, a refused
 * rename) at any write step leaves the old set or the new set, never a mix, once the next run has looked at the
 * folder, and no `.orgtrust-tmp-*` file survives that next run. Destinations that are not regular files are refused.
 */
const EXAMPLE = path.join(REPO, "examples");
const CONFIG = fs.readFileSync(path.join(EXAMPLE, "orgtrust.yaml"), "utf8");
const SNAPSHOT = fs.readFileSync(path.join(EXAMPLE, "org.json"), "utf8");
/** The same org after a change: every account renamed, so each generated file changes. */
const SNAPSHOT_B = (() => {
  const s = JSON.parse(SNAPSHOT);
  for (const a of s.accounts) a.name = `${a.name} (renamed)`;
  return `${JSON.stringify(s, null, 2)}\n`;
})();

const INTEGRATIONS = ["--integration", "custodian", "--integration", "awscli"];

/**
 * The example's generated external IDs exist nowhere, and the c7n-org and AWS CLI files carry the value itself: every
 * run gets a stand-in for each (as `orgtrust example` does).
 */
const EXTERNAL_IDS: Record<string, string> = (() => {
  const loaded = loadConfig(path.join(EXAMPLE, "orgtrust.yaml"));
  const out: Record<string, string> = {};
  for (const i of loaded.integrations)
    if (i.externalId.source === "generate") out[i.externalId.variable] = `stand-in-${i.name}-id`;
  return out;
})();
const runCli: typeof runCliBare = (args, opts = {}) =>
  runCliBare(args, { ...opts, env: { ...EXTERNAL_IDS, ...opts.env } });

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!fs.existsSync(dir)) return out;
  for (const entry of (fs.readdirSync(dir, { recursive: true }) as string[]).sort()) {
    const p = path.join(dir, entry);
    out[entry] = fs.statSync(p).isDirectory() ? "<dir>" : fs.readFileSync(p, "utf8");
  }
  return out;
}

function scratch(snapshot: string, extra: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-atomic-"));
  fs.writeFileSync(path.join(dir, "orgtrust.yaml"), CONFIG);
  fs.writeFileSync(path.join(dir, "org.json"), snapshot);
  for (const [k, v] of Object.entries(extra)) fs.writeFileSync(path.join(dir, k), v);
  return dir;
}

describe("generate: one staged swap", () => {
  let oldSet: Record<string, string>;
  let newSet: Record<string, string>;
  /** A folder holding the old set, plus a stale file the new run removes. */
  const withOldSet = () => {
    const dir = scratch(SNAPSHOT);
    execFileSync(process.execPath, [path.join(REPO, "bin", "orgtrust"), "generate", "--out", "out", ...INTEGRATIONS], {
      cwd: dir,
      env: { ...process.env, ...EXTERNAL_IDS, CI: "true" },
    });
    fs.copyFileSync(
      path.join(dir, "out", "custodian", "accounts.yml"),
      path.join(dir, "out", "custodian", "renamed-earlier.yml"),
    );
    fs.writeFileSync(path.join(dir, "org.json"), SNAPSHOT_B);
    return dir;
  };

  beforeAll(async () => {
    const a = withOldSet();
    oldSet = tree(path.join(a, "out"));
    const r = await runCli(["generate", "--out", "out", ...INTEGRATIONS], { cwd: a });
    expect(r.code).toBe(0);
    newSet = tree(path.join(a, "out"));
    expect(Object.keys(newSet)).not.toContain("custodian/renamed-earlier.yml");
    expect(Object.keys(oldSet).filter((k) => oldSet[k] !== newSet[k]).length).toBeGreaterThanOrEqual(3);
  });

  test("SIGKILL at every write step: the old set or the new set after the next run, never a mix, no temp file", async () => {
    const outcomes: string[] = [];
    let throughCli = false;
    for (let step = 1; step < 200; step++) {
      const dir = withOldSet();
      const out = path.join(dir, "out");
      const r = await runCli(["generate", "--out", "out", ...INTEGRATIONS], {
        cwd: dir,
        env: { ORGTRUST_TEST_KILL_AT_STEP: String(step) },
      });
      if (r.code === 0) {
        // Past the last step: the run completed.
        expect(tree(out)).toEqual(newSet);
        outcomes.push("completed");
        break;
      }
      expect(r.code).toBe(-1); // killed by the signal
      const before = tree(out);
      const visible = Object.keys(before).filter((k) => !k.includes(".orgtrust-") && before[k] !== "<dir>");
      const mixed =
        visible.some((k) => before[k] === newSet[k] && before[k] !== oldSet[k]) &&
        visible.some((k) => before[k] === oldSet[k] && before[k] !== newSet[k]);
      // The next run finishes or undoes the interrupted write before it reads or writes anything: the first step of
      // every generate (write or --check), discover --out and drift --generated. The first time the kill left a mix
      // on disk, that next run is `generate --check` through the CLI; otherwise the same function, called directly
      // to keep the suite short.
      let reported: string[];
      if (mixed && !throughCli) {
        throughCli = true;
        const next = await runCli(["generate", "--out", "out", "--check", ...INTEGRATIONS], { cwd: dir });
        expect(next.stderr).toMatch(
          /^warning: an interrupted orgtrust run \(pid \d+\) left a partial write of 3 files in .*: rolled back, the previous files are in place\n/,
        );
        expect(next.code).toBe(1);
        reported = [next.stderr];
      } else {
        reported = recoverInterrupted([path.join(out, "custodian"), path.join(out, "awscli")]);
      }
      const after = tree(out);
      const which =
        JSON.stringify(after) === JSON.stringify(oldSet)
          ? "old"
          : JSON.stringify(after) === JSON.stringify(newSet)
            ? "new"
            : "mix";
      if (which === "mix")
        throw new Error(
          `step ${step}: a mix of old and new files after the next run: ${JSON.stringify(Object.keys(after))}\n${reported.join("\n")}`,
        );
      expect(Object.keys(after).filter((k) => k.includes(".orgtrust-"))).toEqual([]);
      outcomes.push(which);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(outcomes.at(-1)).toBe("completed");
    // Both halves of the protocol were exercised: kills before the commit point roll back, kills after roll forward,
    // and a kill in the middle of the swap left a mix that the next run through the CLI rolled back.
    expect(outcomes).toContain("old");
    expect(outcomes).toContain("new");
    expect(throughCli).toBe(true);
    expect(outcomes.length).toBeGreaterThan(10);
  }, 300_000);

  test("a failure at every write step (ENOSPC, a refused rename): the old set intact and nothing left behind, or the new set", async () => {
    // The transaction itself, in-process, for every step; the CLI's exit code and line for two of them below.
    const planned = (out: string) =>
      Object.entries(newSet)
        .filter(([, c]) => c !== "<dir>")
        .map(([k, content]) => ({ path: path.join(out, k), content }));
    let completed = false;
    let renameStep = 0;
    for (let step = 1; step < 200 && !completed; step++) {
      const code = step % 2 ? "ENOSPC" : "EACCES";
      const dir = withOldSet();
      const out = path.join(dir, "out");
      process.env.ORGTRUST_TEST_FAIL_AT_STEP = `${step}:${code}`;
      const warnings: string[] = [];
      let error: unknown;
      try {
        commitFiles(planned(out), {
          remove: [path.join(out, "custodian", "renamed-earlier.yml")],
          warn: (m) => warnings.push(m),
        });
      } catch (e) {
        error = e;
      } finally {
        delete process.env.ORGTRUST_TEST_FAIL_AT_STEP;
      }
      const after = tree(out);
      if (error === undefined) {
        // Past the commit point: the new set, whatever the clean-up did; the next run removes the leftovers.
        expect(Object.fromEntries(Object.entries(after).filter(([k]) => !k.includes(".orgtrust-")))).toEqual(newSet);
        recoverInterrupted([path.join(out, "custodian"), path.join(out, "awscli")]);
        expect(tree(out)).toEqual(newSet);
        if (!warnings.length) completed = true;
      } else {
        expect(error).toBeInstanceOf(EnvironmentError);
        const message = (error as EnvironmentError).message;
        expect((error as EnvironmentError).exitCode).toBe(3);
        expect(message).not.toContain("\n");
        expect(message).toMatch(
          code === "ENOSPC"
            ? /^could not (write|replace) .*no space left on device \(ENOSPC\) \(fix: free space/
            : /permission denied \(EACCES\)/,
        );
        if (!renameStep && message.startsWith("could not replace")) renameStep = step;
        expect(after).toEqual(oldSet);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(completed).toBe(true);
    expect(renameStep).toBeGreaterThan(0);
    // Through the CLI: a full disk while staging, and a refused operation in the swap (a failed rename was exit 4
    // before), are exit 3, one line.
    for (const [step, code, line] of [
      [
        1,
        "ENOSPC",
        /^orgtrust: error: could not write .*no space left on device \(ENOSPC\) \(fix: free space on that file system, then run again; no file was changed\)\n$/,
      ],
      [
        renameStep % 2 ? renameStep + 1 : renameStep,
        "EACCES",
        /^orgtrust: error: could not replace .*permission denied \(EACCES\) \(fix: .*the previous files were put back\)\n$/,
      ],
    ] as const) {
      const dir = withOldSet();
      const r = await runCli(["generate", "--out", "out", ...INTEGRATIONS], {
        cwd: dir,
        env: { ORGTRUST_TEST_FAIL_AT_STEP: `${step}:${code}` },
      });
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 3, stderr: expect.stringMatching(line) });
      expect(tree(path.join(dir, "out"))).toEqual(oldSet);
    }
  }, 300_000);

  test("stale temp files of a dead run are removed and reported; files holding a source: value external ID are 0600", async () => {
    const dir = withOldSet();
    const stale = path.join(dir, "out", "custodian", ".orgtrust-tmp-999999-abc-accounts.yml");
    fs.writeFileSync(stale, "external id abc-123");
    const r = await runCli(["generate", "--out", "out", ...INTEGRATIONS], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/removed 1 stale temp file \(\.orgtrust-tmp-999999-abc-accounts\.yml\)/);
    expect(fs.existsSync(stale)).toBe(false);

    // A custom template that prints a literal external ID: the file holding it is written owner-only.
    const cfg = CONFIG.replace(
      "consumer: c7n-org",
      "consumer: ./ext.hbs\n    externalId: { source: value, value: lit-eral-ext-id-42 }",
    );
    fs.writeFileSync(path.join(dir, "orgtrust.yaml"), cfg);
    fs.writeFileSync(
      path.join(dir, "ext.hbs"),
      "id: {{externalId.source}}\n{{#each accounts}}{{id}}\n{{/each}}lit-eral-ext-id-42\n",
    );
    const c = await runCli(
      [
        "generate",
        "--out",
        "out2",
        "--integration",
        "custodian",
        "--integration",
        "awscli",
        "--integration",
        "cloudquery",
      ],
      { cwd: dir },
    );
    expect(c.stderr).toBe("");
    expect(c.code).toBe(0);
    expect(fs.statSync(path.join(dir, "out2", "custodian", "custodian.txt")).mode & 0o777).toBe(0o600);
    // The AWS CLI file always carries the value (its format cannot reference a variable); CloudQuery's references one.
    expect(fs.statSync(path.join(dir, "out2", "awscli", "aws-config")).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(dir, "out2", "cloudquery", "aws.yml")).mode & 0o777).toBe(0o644);
  });
});

describe("destinations that are not regular files", () => {
  test("discover --out /dev/stdout, a FIFO, a device or a symlink: exit 2, one line, nothing replaced", async () => {
    const dir = scratch(SNAPSHOT);
    const fifo = path.join(dir, "pipe.json");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    fs.writeFileSync(path.join(dir, "secret"), "aws_secret_access_key = s3cr3t\n");
    fs.symlinkSync(path.join(dir, "secret"), path.join(dir, "link.json"));
    for (const [out, kind] of [
      ["/dev/stdout", "a symbolic link"],
      ["/dev/null", "a device file"],
      [fifo, "a FIFO"],
      [path.join(dir, "link.json"), "a symbolic link"],
    ]) {
      const r = await runCli(["discover", "--snapshot", "org.json", "--out", out], { cwd: dir, timeoutMs: 20_000 });
      expect({ out, code: r.code }).toEqual({ out, code: 2 });
      expect(r.stderr).toMatch(
        new RegExp(`^orgtrust: error: output path ${out.replace(/[/.]/g, "\\$&")}: is ${kind}.*\\(fix: `),
      );
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
    expect(fs.lstatSync("/dev/null").isCharacterDevice()).toBe(true);
    expect(fs.lstatSync(fifo).isFIFO()).toBe(true);
    expect(fs.readFileSync(path.join(dir, "secret"), "utf8")).toBe("aws_secret_access_key = s3cr3t\n");
    expect(fs.lstatSync(path.join(dir, "link.json")).isSymbolicLink()).toBe(true);
  });

  test("generate --check and drift --generated do not follow a symlinked output file nor print its target", async () => {
    const dir = scratch(SNAPSHOT);
    const gen = await runCli(["generate", "--out", "out", "--integration", "awscli"], { cwd: dir });
    expect(gen.code).toBe(0);
    fs.writeFileSync(path.join(dir, "credentials"), "aws_secret_access_key = s3cr3t-value\n");
    const file = path.join(dir, "out", "awscli", "aws-config");
    fs.rmSync(file);
    fs.symlinkSync(path.join(dir, "credentials"), file);
    const check = await runCli(["generate", "--out", "out", "--check", "--integration", "awscli"], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/differs: out\/awscli\/aws-config/);
    expect(check.stdout).toContain("a symbolic link, not followed");
    expect(check.stdout).not.toContain("s3cr3t");
    // drift --generated's check (the rest of drift needs AWS; this check reads only the disk).
    const loaded = loadConfig(path.join(dir, "orgtrust.yaml"));
    const log = {
      warn: () => undefined,
      info: () => undefined,
      progress: () => undefined,
      done: () => undefined,
    } as unknown as Logger;
    Object.assign(process.env, EXTERNAL_IDS); // the in-process check reads the stand-ins as the CLI runs do
    const drift = await checkGenerated({
      planned: loadSnapshot(path.join(dir, "org.json")),
      integrations: selectIntegrations(loaded, ["awscli"]),
      dir: path.join(dir, "out"),
      loaded,
      log,
    });
    expect(drift.findings.map((f) => f.kind)).toEqual(["generated-file-differs"]);
    expect(JSON.stringify(drift)).toContain("a symbolic link, not followed");
    expect(JSON.stringify(drift)).not.toContain("s3cr3t");
    // Writing refuses the link instead of replacing the credentials file's link (or writing through it).
    const write = await runCli(["generate", "--out", "out", "--integration", "awscli"], { cwd: dir });
    expect(write.code).toBe(2);
    expect(write.stderr).toMatch(/out\/awscli\/aws-config: is a symbolic link/);
    expect(fs.readFileSync(path.join(dir, "credentials"), "utf8")).toBe("aws_secret_access_key = s3cr3t-value\n");
  });

  test("generate --out /proc/<name> ends at once with exit 2", async () => {
    const r = await runCli(["generate", "--out", "/proc/orgtrust-test", "--integration", "awscli"], {
      cwd: scratch(SNAPSHOT),
      timeoutMs: 20_000,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^orgtrust: error: output path \/proc\/orgtrust-test\/awscli\/aws-config: \/proc is a kernel pseudo file system.*\(fix: choose another --out\)\n$/,
    );
  });
});

/** A real full disk: a 64 KiB tmpfs, when this machine lets the test mount one (root); skipped with a note otherwise. */
const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), "orgtrust-full-"));
const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint]).status === 0;
afterAll(() => {
  if (mounted) spawnSync("umount", [mountPoint]);
  fs.rmSync(mountPoint, { recursive: true, force: true });
});
(mounted ? describe : describe.skip)("a real full disk (tmpfs of 64 KiB)", () => {
  test("generate and discover: exit 3, one line, nothing partial left", async () => {
    const dir = scratch(SNAPSHOT);
    fs.writeFileSync(path.join(mountPoint, "filler"), Buffer.alloc(40 * 1024));
    const before = tree(mountPoint);
    const r = await runCli(
      [
        "generate",
        "--out",
        mountPoint,
        "--integration",
        "custodian",
        "--integration",
        "awscli",
        "--integration",
        "cloudquery",
      ],
      { cwd: dir },
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /^orgtrust: error: could not write .*no space left on device \(ENOSPC\) \(fix: free space on that file system, then run again; no file was changed\)\n$/,
    );
    expect(tree(mountPoint)).toEqual(before);
    const big = JSON.parse(SNAPSHOT);
    for (let i = 0; i < 200; i++) big.accounts[0].tags[`k${i}`] = "v".repeat(200);
    fs.writeFileSync(path.join(dir, "big.json"), JSON.stringify(big));
    const d = await runCli(["discover", "--snapshot", "big.json", "--out", path.join(mountPoint, "org.json")], {
      cwd: dir,
    });
    expect(d.code).toBe(3);
    expect(d.stderr).toMatch(/no space left on device \(ENOSPC\)/);
    expect(tree(mountPoint)).toEqual(before);
    // synth writes through its own commit (synth/synthesize.ts); a full disk there is exit 3 too, not an internal error.
    const s = await runCli(["synth", "--out", path.join(mountPoint, "synth")], { cwd: dir });
    expect(s.code).toBe(3);
    expect(s.stderr).toMatch(
      /^orgtrust: error: .*no space left on device \(ENOSPC\) \(fix: free space on that file system, then run again\)\n$/,
    );
  });
});
