import {
  DescribeAccountCommand,
  DescribeOrganizationalUnitCommand,
  DescribeOrganizationCommand,
  ListParentsCommand,
  OrganizationsClient,
  paginateListAccountsForParent,
  paginateListOrganizationalUnitsForParent,
  paginateListRoots,
  paginateListTagsForResource,
  type Account,
  type Organization,
  type OrganizationalUnit,
  type Parent,
  type Root,
  type Tag,
} from "@aws-sdk/client-organizations";
import { AwsFailure } from "../common/errors";
import { ACCOUNT_ID_RE, OU_ID_RE } from "../common/ids";
import { clientConfig, instrument, type CallStats, type TryBounds } from "./client";
import { credentialsFor } from "./credentials";
import type { AwsOptions } from "./options";
import { guardedPages, type PageGuard } from "./paginate";
import { rateControlled, rateController } from "./rate";

/** Organizations list operations return at most 20 items per page; always ask for 20 so page counts are predictable. */
export const PAGE_SIZE = 20;

const API_REF = "https://docs.aws.amazon.com/organizations/latest/APIReference";

/**
 * A 2xx answer that is not what the Organizations API reference documents: an error body with HTTP 200 (it would
 * otherwise read as an empty page, and the org would silently lose accounts), or a required field missing.
 */
export function malformed(op: string, what: string, doc = `API_${op}.html`): AwsFailure {
  return new AwsFailure(
    `organizations:${op}: the answer ${what}, unlike what the Organizations API reference documents (${API_REF}/${doc}); nothing was written (fix: check AWS_ENDPOINT_URL and any proxy between orgtrust and AWS, then run again)`,
  );
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Reads the raw body of every 2xx answer before the SDK parses it: a JSON body of the AWS error shape
 * (`{"__type": "AccessDeniedException", ...}`, https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html,
 * "Operation error serialization") is raised as that error instead of being parsed as an empty result.
 */
function rejectErrorShapedBodies(client: OrganizationsClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      const res = out.response as { statusCode?: number; body?: unknown };
      if (
        (res.statusCode ?? 0) >= 200 &&
        (res.statusCode ?? 0) < 300 &&
        res.body &&
        typeof (res.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === "function"
      ) {
        const chunks: Buffer[] = [];
        for await (const c of res.body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
        const buf = Buffer.concat(chunks);
        res.body = new Uint8Array(buf);
        // An AWS error body names "__type" or "code"; a result body that cannot hold either key (no such key, no
        // escape that could spell one) is not parsed twice.
        const text = buf.toString("utf8");
        if (!text.includes('"__type"') && !text.includes('"code"') && !text.includes("\\u")) return out;
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        const type = isObject(parsed) ? (parsed.__type ?? parsed.code) : undefined;
        if (typeof type === "string" && type) {
          const name = type.split("#").pop()!.split(":")[0];
          const text = isObject(parsed) ? (parsed.message ?? parsed.Message) : undefined;
          const message =
            typeof text === "string" && text
              ? text
              : text
                ? JSON.stringify(text)
                : `${name} in an HTTP ${res.statusCode} answer`;
          const op = String((context as { commandName?: string }).commandName ?? "").replace(/Command$/, "");
          throw Object.assign(new Error(message), {
            name,
            $fault: "client",
            $metadata: { httpStatusCode: res.statusCode },
            errorShapedBody: true,
            operation: op,
          });
        }
      }
      return out;
    },
    { step: "deserialize", priority: "low", name: "orgtrustRejectErrorShapedBodies" },
  );
}

/**
 * The Organizations client every reader of the org uses (discovery, sync's incremental refresh): the shared
 * credentials, an error-shaped 2xx body raised as that error (fail closed), orgtrust's tries and call counting into
 * `stats` (with `bounds`: per-try timeout and the run's deadline), and the process-wide rate controller (--max-rate,
 * organization.maxRate, --concurrency).
 */
export function organizationsClient(opts: AwsOptions, stats: CallStats, bounds?: TryBounds): OrganizationsClient {
  const client = new OrganizationsClient(clientConfig(opts, "organizations", credentialsFor(opts)));
  rejectErrorShapedBodies(client);
  instrument(client, { stats, retryBaseMs: opts.tuning?.retryBaseMs, bounds });
  const rate = rateController();
  rate.configure({ maxRate: opts.maxRate, concurrency: opts.concurrency, debug: opts.tuning?.rateDebug });
  rateControlled(client, rate);
  return client;
}

/**
 * The reads of the org that discovery and the incremental refresh share, through the SDK's paginators with the
 * crawl's guards (aws/paginate.ts) and fail-closed checks of each answer's documented fields. `explain` turns an SDK
 * error into what the caller reports (an AwsFailure naming the action, or the error itself to be handled).
 */
export class OrganizationsReader {
  constructor(
    readonly client: OrganizationsClient,
    private readonly explain: (e: unknown, op: string) => unknown,
    private readonly maxPages: number,
  ) {}

  private guard<P extends { NextToken?: string }>(op: string, what: string): PageGuard<P> {
    return {
      tokenOf: (p) => p.NextToken,
      maxPages: this.maxPages,
      loop: () => malformed(op, `for ${what} repeated a NextToken it had already returned (a pagination loop)`),
      tooLong: (n) =>
        new AwsFailure(
          `organizations:${op} for ${what}: still returning a NextToken after ${n} pages; nothing was written (fix: raise --max-pages if the org really is that large, else check AWS_ENDPOINT_URL and any proxy)`,
        ),
    };
  }

  /** Every page of one listing; each page's `field` list handed to `each` (a page without it fails closed). */
  private async each<P extends { NextToken?: string }, T>(
    op: string,
    what: string,
    pages: AsyncIterable<P>,
    field: keyof P & string,
    each: (items: T[]) => void,
  ): Promise<void> {
    try {
      for await (const page of guardedPages(pages, this.guard<P>(op, what))) {
        const v = page[field];
        if (!Array.isArray(v)) throw malformed(op, `has no ${field} list`);
        each(v as T[]);
      }
    } catch (e) {
      throw this.explain(e, op);
    }
  }

  private async one<T>(op: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (e) {
      throw this.explain(e, op);
    }
  }

  async describeOrganization(): Promise<Organization | undefined> {
    return (await this.one("DescribeOrganization", () => this.client.send(new DescribeOrganizationCommand({}))))
      .Organization;
  }

  async roots(): Promise<Root[]> {
    const roots: Root[] = [];
    await this.each(
      "ListRoots",
      "the organization",
      paginateListRoots({ client: this.client, pageSize: PAGE_SIZE }, {}),
      "Roots",
      (r: Root[]) => roots.push(...r),
    );
    return roots;
  }

  /** The OUs directly below `parentId`, page by page (`onPage` after each), each checked for a valid Id and Arn. */
  async ous(parentId: string, each: (ou: OrganizationalUnit) => void, onPage?: () => void): Promise<void> {
    const op = "ListOrganizationalUnitsForParent";
    await this.each(
      op,
      parentId,
      paginateListOrganizationalUnitsForParent({ client: this.client, pageSize: PAGE_SIZE }, { ParentId: parentId }),
      "OrganizationalUnits",
      (list: OrganizationalUnit[]) => {
        for (const ou of list) {
          if (!ou.Id || !OU_ID_RE.test(ou.Id) || !ou.Arn)
            throw malformed(op, "lists an OU without a valid Id or Arn", "API_OrganizationalUnit.html");
          each(ou);
        }
        onPage?.();
      },
    );
  }

  /** The accounts directly below `parentId`, page by page (`onPage` after each), each checked for a valid Id and Arn. */
  async accounts(parentId: string, each: (a: Account) => void, onPage?: () => void): Promise<void> {
    const op = "ListAccountsForParent";
    await this.each(
      op,
      parentId,
      paginateListAccountsForParent({ client: this.client, pageSize: PAGE_SIZE }, { ParentId: parentId }),
      "Accounts",
      (list: Account[]) => {
        for (const a of list) {
          if (!a.Id || !ACCOUNT_ID_RE.test(a.Id) || !a.Arn)
            throw malformed(op, "lists an account without a valid Id or Arn", "API_Account.html");
          each(a);
        }
        onPage?.();
      },
    );
  }

  /** Every tag of the root, an OU or an account. */
  async tags(id: string): Promise<Tag[]> {
    const all: Tag[] = [];
    await this.each(
      "ListTagsForResource",
      id,
      paginateListTagsForResource({ client: this.client }, { ResourceId: id }),
      "Tags",
      (t: Tag[]) => all.push(...t),
    );
    return all;
  }

  async describeAccount(id: string): Promise<Account | undefined> {
    return (await this.one("DescribeAccount", () => this.client.send(new DescribeAccountCommand({ AccountId: id }))))
      .Account;
  }

  async describeOu(id: string): Promise<OrganizationalUnit | undefined> {
    return (
      await this.one("DescribeOrganizationalUnit", () =>
        this.client.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: id })),
      )
    ).OrganizationalUnit;
  }

  /** The parent of an OU or account (an OU or account has exactly one). */
  async parent(childId: string): Promise<Parent | undefined> {
    return (await this.one("ListParents", () => this.client.send(new ListParentsCommand({ ChildId: childId }))))
      .Parents?.[0];
  }
}
