import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { TEST_CREDENTIALS } from "../support/aws-clients";
import { BIN, runCli } from "../support/cli";
import { faultSuite } from "../support/fault-suite";
import { describeWithMoto } from "../support/moto";
import { syntheticSpec } from "../support/org-fixture";

describeWithMoto(
  "discovery under faults",
  (moto) => {
    const env = faultSuite(moto, {
      spec: syntheticSpec({ accounts: 40, ous: 8, depth: 4 }),
      seed: 11,
      prefix: "orgtrust-resilience-",
    });

    test("assumed-role credentials that expire are refreshed transparently", async () => {
      const out = path.join(env.dir, "refresh.json");
      // One-second sessions are refreshed halfway. A serial crawl whose every answer takes at least 60 ms lasts at least
      // (Organizations calls) x 60 ms, whatever the machine's speed, so it must outlive that many one-second sessions.
      env.proxy.addRule({ rate: 1, fault: { kind: "delay", ms: 60 } });
      const r = await runCli(
        [
          "discover",
          "--concurrency",
          "1",
          "--role-arn",
          "arn:aws:iam::123456789012:role/orgtrust-discovery",
          "--external-id",
          "abc-123-xyz",
          "--out",
          out,
        ],
        {
          endpoint: env.proxy.endpoint,
          env: { ORGTRUST_ROLE_SESSION_SECONDS: "1" },
        },
      );
      expect(r.code).toBe(0);
      const orgCalls = [...env.proxy.forwarded.entries()]
        .filter(([op]) => op !== "AssumeRole")
        .reduce((n, [, c]) => n + c, 0);
      const minimumCrawlSeconds = Math.floor((orgCalls * 60) / 1000);
      expect(minimumCrawlSeconds).toBeGreaterThanOrEqual(3);
      expect(env.proxy.forwarded.get("AssumeRole")!).toBeGreaterThanOrEqual(minimumCrawlSeconds);
      expect(fs.readFileSync(out, "utf8")).toBe(env.clean);
      // With the default hour-long session, the role is assumed once for the whole crawl.
      env.proxy.resetCounts();
      const once = await runCli(
        ["discover", "--role-arn", "arn:aws:iam::123456789012:role/orgtrust-discovery", "--external-id", "abc-123-xyz"],
        { endpoint: env.proxy.endpoint },
      );
      expect(once.code).toBe(0);
      expect(env.proxy.forwarded.get("AssumeRole")).toBe(1);
    });

    test.each([
      ["throttling storm", { rate: 0.5, fault: { kind: "error" as const, code: "TooManyRequestsException" } }],
      ["5xx answers", { rate: 0.2, fault: { kind: "error" as const, code: "ServiceException", status: 500 } }],
      ["dropped connections", { rate: 0.15, fault: { kind: "drop" as const } }],
      [
        "slow answers past the request timeout",
        { count: 3, operations: ["ListTagsForResource"], fault: { kind: "delay" as const, ms: 2500 } },
      ],
    ])("%s: same snapshot", async (_name, rule) => {
      env.proxy.addRule(rule);
      const out = path.join(env.dir, "faults.json");
      const r = await runCli(["discover", "--out", out], {
        endpoint: env.proxy.endpoint,
        env: { ORGTRUST_REQUEST_TIMEOUT_MS: "800" },
      });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect([...env.proxy.faulted.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(fs.readFileSync(out, "utf8")).toBe(env.clean);
    });

    test("an endpoint that keeps failing: exit 3, one clear line, previous snapshot intact", async () => {
      const out = path.join(env.dir, "keep.json");
      fs.writeFileSync(out, "previous snapshot");
      env.proxy.addRule({
        operations: ["ListOrganizationalUnitsForParent"],
        rate: 1,
        fault: { kind: "error", code: "ServiceException", status: 503 },
      });
      const r = await runCli(["discover", "--out", out], {
        endpoint: env.proxy.endpoint,
        env: { ORGTRUST_MAX_ATTEMPTS: "2" },
      });
      expect(r.code).toBe(3);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/organizations:ListOrganizationalUnitsForParent failed: ServiceException \(HTTP 503\)/);
      expect(fs.readFileSync(out, "utf8")).toBe("previous snapshot");
    });

    test("expired credentials: exit 3 saying to refresh them", async () => {
      env.proxy.addRule({
        rate: 1,
        fault: {
          kind: "error",
          code: "ExpiredTokenException",
          message: "The security token included in the request is expired",
        },
      });
      const r = await runCli(["discover"], { endpoint: env.proxy.endpoint });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(
        /^orgtrust: error: the AWS credentials \(the default credential chain\) have expired \(fix: refresh them/,
      );
    });

    test("progress shows on a TTY and stays quiet in CI and with --json", async () => {
      // `script` gives the CLI a pseudo-terminal, as an interactive shell would.
      const viaTty = (extra: string, ci: boolean) =>
        new Promise<string>((resolve) => {
          const cmd = `${process.execPath} ${BIN} discover ${extra}`;
          const child = spawn("script", ["-qec", cmd, "/dev/null"], {
            env: {
              PATH: process.env.PATH,
              AWS_ENDPOINT_URL: env.proxy.endpoint,
              AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
              AWS_SECRET_ACCESS_KEY: "x",
              AWS_REGION: "us-east-1",
              AWS_EC2_METADATA_DISABLED: "true",
              ...(ci ? { CI: "true" } : {}),
            },
            stdio: ["ignore", "pipe", "pipe"],
          });
          let out = "";
          child.stdout.on("data", (d) => (out += d));
          child.on("close", () => resolve(out));
        });
      // Slow answers so the crawl lasts long enough for the progress line (refreshed at most every 100 ms).
      env.proxy.addRule({ rate: 1, fault: { kind: "delay", ms: 20 } });
      const tty = await viaTty("", false);
      expect(tty).toMatch(/discovering: \d+ OUs, \d+ accounts, \d+ calls, \d+ throttled, [\d.]+ calls\/s/);
      expect(tty).toContain("In scope:");
      expect(await viaTty("", true)).not.toContain("discovering:");
      expect(await viaTty("--json", false)).not.toContain("discovering:");
    });

    test("a killed run leaves the previous snapshot intact and no temp files", async () => {
      const out = path.join(env.dir, "killed", "org.json");
      fs.mkdirSync(path.dirname(out));
      fs.writeFileSync(out, "previous snapshot");
      env.proxy.addRule({ rate: 1, fault: { kind: "delay", ms: 300 } });
      const child = spawn(process.execPath, [BIN, "discover", "--out", out], {
        env: {
          PATH: process.env.PATH,
          AWS_ENDPOINT_URL: env.proxy.endpoint,
          AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: "x",
          AWS_REGION: "us-east-1",
          AWS_EC2_METADATA_DISABLED: "true",
        },
        stdio: "ignore",
      });
      // Killed mid-crawl: once it has made a few calls, and long before the last of its ~70 slow answers.
      const closed = new Promise((r) => child.once("close", r));
      const calls = () => [...env.proxy.forwarded.values()].reduce((a, b) => a + b, 0);
      for (let i = 0; i < 300 && calls() < 5; i++) await new Promise((r) => setTimeout(r, 50));
      expect(calls()).toBeGreaterThanOrEqual(5);
      child.kill("SIGKILL");
      expect(await closed).toBeNull();
      expect(fs.readFileSync(out, "utf8")).toBe("previous snapshot");
      expect(fs.readdirSync(path.dirname(out))).toEqual(["org.json"]);
    });
  },
  { resetEachTest: false },
);

describe("bad network configuration", () => {
  test("nothing listening at AWS_ENDPOINT_URL: exit 3 naming the network error", async () => {
    const r = await runCli(["discover"], {
      endpoint: "http://127.0.0.1:9",
      env: { ORGTRUST_MAX_ATTEMPTS: "1" },
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/network error ECONNREFUSED.*\(fix: check connectivity/);
  });

  test("no credentials anywhere: exit 3 saying how to provide them", async () => {
    const r = await runCli(["discover"], {
      endpoint: "http://127.0.0.1:9",
      env: { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no AWS credentials found.*\(fix: pass --profile/);
  });
});
