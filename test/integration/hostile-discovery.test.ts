import * as fs from "node:fs";
import * as path from "node:path";
import { CreateRoleCommand } from "@aws-sdk/client-iam";
import { runCli } from "../support/cli";
import { faultSuite } from "../support/fault-suite";
import { describeWithMoto } from "../support/moto";
import { syntheticSpec } from "../support/org-fixture";

/**
 * A misbehaving endpoint (issue 11, items 4, 5, 12): answers that never end, pagination that never ends, 2xx answers
 * that are AWS errors or lack the documented fields, and an org that changes mid-crawl. Each ends with exit 3 and
 * one line (or, for the move, the right snapshot), and the previous snapshot stays as it was. Real SDK, moto behind
 * the fault proxy; deadlines are short through the flags.
 */
const PREVIOUS = "previous snapshot\n";

describeWithMoto(
  "a hostile or broken Organizations endpoint",
  (moto) => {
    const env = faultSuite(moto, {
      spec: syntheticSpec({ accounts: 12, ous: 4, depth: 2 }),
      seed: 7,
      prefix: "orgtrust-hostile-",
      // The discovery role the wrong-external-ID test assumes.
      extra: async (c) => {
        await c.iam.send(
          new CreateRoleCommand({
            RoleName: "orgtrust-discovery",
            AssumeRolePolicyDocument: JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                {
                  Effect: "Allow",
                  Principal: { AWS: "arn:aws:iam::123456789012:root" },
                  Action: "sts:AssumeRole",
                  Condition: { StringEquals: { "sts:ExternalId": "the-right-id-42" } },
                },
              ],
            }),
          }),
        );
      },
    });

    /** discover --out into a file holding PREVIOUS: exit 3, one line matching `line`, the file unchanged. */
    const failsClosed = async (args: string[], line: RegExp) => {
      const out = path.join(env.dir, "org.json");
      fs.writeFileSync(out, PREVIOUS);
      const r = await runCli(["discover", "--out", out, ...args], { endpoint: env.proxy.endpoint, timeoutMs: 60_000 });
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 3, stderr: expect.stringMatching(line) });
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/^orgtrust: error: .*\(fix: /);
      expect(fs.readFileSync(out, "utf8")).toBe(PREVIOUS);
      expect(fs.readdirSync(env.dir).filter((f) => f.startsWith(".orgtrust-"))).toEqual([]);
      return r;
    };

    test("an answer dripping one byte a second ends at the request timeout (whole answer, not an idle socket)", async () => {
      env.proxy.addRule({ operations: ["ListAccountsForParent"], rate: 1, fault: { kind: "drip", intervalMs: 500 } });
      // 2 s: far above what moto needs for an honest answer even on a loaded machine, far below a drip of the whole
      // answer (even an empty page, {"Accounts":[]}, is 15 bytes: 7.5 s at one byte every 500 ms).
      await failsClosed(
        ["--request-timeout", "2"],
        /organizations:ListAccountsForParent: no complete answer within the request timeout of 2 s, on every try.*\(fix: .*raise --request-timeout\)/,
      );
      expect(env.proxy.faulted.get("ListAccountsForParent")).toBeGreaterThanOrEqual(2);
    });

    test("a crawl slower than --deadline ends at the deadline", async () => {
      env.proxy.addRule({ rate: 1, fault: { kind: "delay", ms: 150 } });
      await failsClosed(
        ["--deadline", "0.5", "--concurrency", "1"],
        /discovery did not finish within its deadline of 0\.5 s \(\d+ Organizations calls made\).*\(fix: raise --deadline/,
      );
    });

    test("a NextToken returned twice is a pagination loop", async () => {
      env.proxy.addRule({
        operations: ["ListOrganizationalUnitsForParent"],
        rate: 1,
        fault: { kind: "repeatToken", token: "same-token" },
      });
      await failsClosed(
        [],
        /organizations:ListOrganizationalUnitsForParent: the answer for (r|ou)-[a-z0-9-]+ repeated a NextToken it had already returned \(a pagination loop\)/,
      );
    });

    test("a listing that never ends (a new token every page) stops at --max-pages", async () => {
      let n = 0;
      env.proxy.setRewrite((op, body) =>
        op === "ListRoots" ? JSON.stringify({ ...JSON.parse(body), NextToken: `t${n++}` }) : undefined,
      );
      await failsClosed(
        ["--max-pages", "5"],
        /organizations:ListRoots for the organization: still returning a NextToken after 5 pages.*\(fix: raise --max-pages/,
      );
      expect(env.proxy.forwarded.get("ListRoots")).toBe(5);
    });

    test("HTTP 200 with an AWS error body is that error, not an empty page", async () => {
      env.proxy.addRule({
        operations: ["ListAccountsForParent"],
        count: 1,
        fault: { kind: "body", body: JSON.stringify({ __type: "AccessDeniedException", message: "denied" }) },
      });
      await failsClosed([], /access denied: .* may not call organizations:ListAccountsForParent/);
    });

    test.each([
      [
        "DescribeOrganization",
        "{}",
        /organizations:DescribeOrganization: the answer lacks Organization\.Id, Arn or MasterAccountId, unlike what the Organizations API reference documents \(https:\/\/docs\.aws\.amazon\.com\/organizations\/latest\/APIReference\/API_Organization\.html\)/,
      ],
      ["ListRoots", "{}", /organizations:ListRoots: the answer has no Roots list/],
      [
        "ListRoots",
        JSON.stringify({ Roots: [] }),
        /organizations:ListRoots: the answer lists 0 roots \(an organization has exactly one\)/,
      ],
      ["ListAccountsForParent", "{}", /organizations:ListAccountsForParent: the answer has no Accounts list/],
      [
        "ListAccountsForParent",
        JSON.stringify({ Accounts: [{ Name: "no id" }] }),
        /lists an account without a valid Id or Arn/,
      ],
      [
        "ListTagsForResource",
        JSON.stringify({ NextToken: null }),
        /organizations:ListTagsForResource: the answer has no Tags list/,
      ],
    ])("%s answering %s: exit 3 naming the missing field (not an internal error)", async (op, body, line) => {
      env.proxy.addRule({ operations: [op], count: 1, fault: { kind: "body", body } });
      await failsClosed([], line);
    });

    test("an empty page for the root (the management account missing) fails the integrity check before writing", async () => {
      // The root's account listing answers an empty page: the org would lose the management account.
      env.proxy.setRewrite((op, body, req) =>
        op === "ListAccountsForParent" && JSON.parse(req.body).ParentId === env.org.rootId
          ? JSON.stringify({ Accounts: [] })
          : undefined,
      );
      await failsClosed(
        [],
        /the organization as read from AWS is not consistent: no account is marked as the management account/,
      );
    });

    test("an account seen under two parents (moved mid-crawl) is placed by re-reading both parents", async () => {
      const moved = env.org.accounts.find((a) => a.parentId !== env.org.rootId)!;
      const other = env.org.ous.find((o) => o.id !== moved.parentId)!;
      // The first listing of `other` also shows the account (it was there then); later listings do not.
      let injected = false;
      env.proxy.setRewrite((op, body, req) => {
        if (op !== "ListAccountsForParent" || JSON.parse(req.body).ParentId !== other.id || injected) return undefined;
        injected = true;
        const page = JSON.parse(body);
        const real = JSON.parse(env.clean).accounts.find((a: { id: string }) => a.id === moved.id);
        return JSON.stringify({
          ...page,
          Accounts: [
            ...page.Accounts,
            {
              Id: moved.id,
              Arn: real.arn,
              Name: real.name,
              Email: real.email,
              State: "ACTIVE",
              Status: "ACTIVE",
              JoinedMethod: real.joinedMethod,
              JoinedTimestamp: Date.parse(real.joinedTimestamp) / 1000,
            },
          ],
        });
      });
      const out = path.join(env.dir, "moved.json");
      const r = await runCli(["discover", "--out", out], { endpoint: env.proxy.endpoint });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(injected).toBe(true);
      expect(fs.readFileSync(out, "utf8")).toBe(env.clean);
      // Still listed under both on the re-read: it cannot be placed, so nothing is written.
      env.proxy.setRewrite((op, body, req) => {
        if (op !== "ListAccountsForParent" || JSON.parse(req.body).ParentId !== other.id) return undefined;
        const page = JSON.parse(body);
        const real = JSON.parse(env.clean).accounts.find((a: { id: string }) => a.id === moved.id);
        return JSON.stringify({
          ...page,
          Accounts: [
            ...page.Accounts,
            { Id: moved.id, Arn: real.arn, Name: real.name, Email: real.email, State: "ACTIVE" },
          ],
        });
      });
      await failsClosed(
        [],
        new RegExp(
          `account ${moved.id} moved while discovery ran \\(seen under .*\\) and is still listed under both.*\\(fix: run discover again once the move is done\\)`,
        ),
      );
    });

    test("a wrong external ID names the trust policy and the external ID, not a missing Organizations permission", async () => {
      // AWS answers a wrong external ID with AccessDenied on sts:AssumeRole (moto 5.2.1 does not check it here, so
      // the proxy answers as AWS does: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html).
      env.proxy.addRule({
        operations: ["AssumeRole"],
        count: 1,
        fault: {
          kind: "error",
          code: "AccessDenied",
          status: 403,
          message:
            "User: arn:aws:iam::123456789012:user/moto is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/orgtrust-discovery",
        },
      });
      const r = await failsClosed(
        ["--role-arn", "arn:aws:iam::123456789012:role/orgtrust-discovery", "--external-id", "a-wrong-id-00"],
        /could not assume role arn:aws:iam::123456789012:role\/orgtrust-discovery: sts:AssumeRole was denied.*the external ID passed.*trust policy.*\(fix: pass the external ID the role's trust policy expects/,
      );
      expect(r.stderr).not.toMatch(/DescribeOrganization/);
      expect(r.stderr).not.toContain("a-wrong-id-00");
      const ok = await runCli(
        [
          "discover",
          "--role-arn",
          "arn:aws:iam::123456789012:role/orgtrust-discovery",
          "--external-id",
          "the-right-id-42",
        ],
        { endpoint: env.proxy.endpoint },
      );
      expect(ok.code).toBe(0);
    });
  },
  { resetEachTest: false },
);

describe("limit flags are validated", () => {
  test.each([
    [["--request-timeout", "0"], /--request-timeout 0: must be a number of seconds above 0/],
    [["--deadline", "soon"], /--deadline soon: must be a number of seconds/],
    [["--max-pages", "1.5"], /--max-pages 1\.5: must be a whole number/],
  ])("discover %j: exit 2", async (args, line) => {
    const r = await runCli(["discover", ...args], { endpoint: "http://127.0.0.1:9" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(line);
  });
});
