import { AwsFailure } from "../common/errors";

/**
 * The SDK's generated paginators (paginateListAccountsForParent, paginateListStackInstances, ...) with the guards a
 * crawl needs against a misbehaving endpoint: a NextToken the listing already returned is a loop (an error at once, not
 * only the same token twice in a row, which is all the SDK's stopOnSameToken catches), and a listing still returning a
 * token after `maxPages` pages ends the run instead of holding it forever. The next page is requested only after the
 * consumer has taken this one and the guards have passed.
 */
export interface PageGuard<P> {
  /** The token this page hands on (NextToken, Marker). */
  tokenOf: (page: P) => string | undefined;
  /** Pages at most (default: no cap). */
  maxPages?: number;
  /** The error for a token seen before. */
  loop: () => Error;
  /** The error for a listing that reached maxPages and still has a token. */
  tooLong: (maxPages: number) => Error;
}

export async function* guardedPages<P>(pages: AsyncIterable<P>, g: PageGuard<P>): AsyncGenerator<P, void, undefined> {
  const seen = new Set<string>();
  let n = 0;
  for await (const page of pages) {
    n++;
    yield page;
    const token = g.tokenOf(page) || undefined;
    if (token === undefined) return;
    if (seen.has(token)) throw g.loop();
    seen.add(token);
    if (g.maxPages !== undefined && n >= g.maxPages) throw g.tooLong(g.maxPages);
  }
}

/** Every item of every page of a guarded listing, in order. */
export async function collectPages<P, T>(
  pages: AsyncIterable<P>,
  g: PageGuard<P>,
  items: (page: P) => readonly T[],
): Promise<T[]> {
  const all: T[] = [];
  for await (const page of guardedPages(pages, g)) for (const x of items(page)) all.push(x);
  return all;
}

/** A guard for listings where a loop or an endless listing is simply an AWS failure (drift's StackSet and IAM reads). */
export function plainGuard<P>(
  action: string,
  what: string,
  tokenOf: (page: P) => string | undefined,
  maxPages = 1_000,
): PageGuard<P> {
  return {
    tokenOf,
    maxPages,
    loop: () =>
      new AwsFailure(
        `${action} for ${what}: the answer repeated a pagination token it had already returned (a pagination loop) (fix: check AWS_ENDPOINT_URL and any proxy, then run again)`,
      ),
    tooLong: (n) =>
      new AwsFailure(
        `${action} for ${what}: still returning a pagination token after ${n} pages (fix: check AWS_ENDPOINT_URL and any proxy, then run again)`,
      ),
  };
}
