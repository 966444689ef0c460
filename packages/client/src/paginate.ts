import type { Page } from './types.ts';

/** The largest page the API serves (docs/api.md: `limit` is 1-1000). */
export const maxPageSize = 1000;

/** Fetches one page starting at `cursor` with at most `limit` items. */
export type PageFetcher<T> = (page: { cursor?: string; limit: number }) => Promise<Page<T>>;

export interface PaginateOptions {
  /** Total number of items wanted across pages; default: all of them. */
  limit?: number;
  /** Items per request; default and maximum 1000. */
  pageSize?: number;
}

/**
 * Follows `nextCursor` until the list ends or `limit` items were yielded. Each request asks for no more
 * than the items still wanted, so the last page's cursor points exactly after the last yielded item.
 *
 * @example
 * for await (const experiment of paginate((page) => client.experiments.list({ station: '8-ID-I', ...page }))) {
 *   console.log(experiment.name);
 * }
 */
export async function* paginate<T>(
  fetchPage: PageFetcher<T>,
  options: PaginateOptions = {},
): AsyncGenerator<T> {
  const pages = pagesOf(fetchPage, options);
  for await (const page of pages) yield* page.items;
}

/**
 * Like `paginate`, but gathers the items into one page whose `nextCursor` continues after the last item
 * (null when the list is exhausted), so a caller can resume where it stopped.
 *
 * @example
 * const { items, nextCursor } = await collectPages((page) => client.users.list(page), { limit: 250 });
 */
export async function collectPages<T>(
  fetchPage: PageFetcher<T>,
  options: PaginateOptions = {},
): Promise<Page<T>> {
  const items: T[] = [];
  let nextCursor: string | null = null;
  for await (const page of pagesOf(fetchPage, options)) {
    items.push(...page.items);
    nextCursor = page.nextCursor;
  }
  return { items, nextCursor };
}

async function* pagesOf<T>(fetchPage: PageFetcher<T>, options: PaginateOptions): AsyncGenerator<Page<T>> {
  const total = options.limit ?? Number.POSITIVE_INFINITY;
  const pageSize = Math.min(Math.max(1, options.pageSize ?? maxPageSize), maxPageSize);
  if (!(total > 0)) return;
  let remaining = total;
  let cursor: string | undefined;
  while (remaining > 0) {
    const request: { cursor?: string; limit: number } = { limit: Math.min(remaining, pageSize) };
    if (cursor !== undefined) request.cursor = cursor;
    const page = await fetchPage(request);
    // A server returning more than asked must not make us print more than the caller's limit.
    const items = page.items.length > remaining ? page.items.slice(0, remaining) : page.items;
    remaining -= items.length;
    yield { items, nextCursor: page.nextCursor };
    if (page.nextCursor === null || items.length === 0) return;
    cursor = page.nextCursor;
  }
}
