import type { Page } from '@photon-dm/client';
import { useCallback, useEffect, useRef, useState } from 'react';

export interface PagedList<T> {
  items: T[];
  error: unknown;
  loading: boolean;
  hasMore: boolean;
  loadMore(): void;
  /** Starts again from the first page (after a change). */
  reload(): void;
}

/**
 * A list read page by page through the API's cursor ("Load more"). A change of `deps` starts again; an
 * answer for an older `deps` is dropped, so a fast typist never sees an earlier filter's rows.
 */
export function usePagedList<T>(
  fetchPage: (cursor?: string) => Promise<Page<T>>,
  deps: readonly unknown[],
): PagedList<T> {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const latest = useRef(0);
  const fetcher = useRef(fetchPage);
  fetcher.current = fetchPage;

  const load = useCallback(async (call: number, after: string | undefined) => {
    setLoading(true);
    try {
      const page = await fetcher.current(after);
      if (call !== latest.current) return;
      setItems((previous) => (after === undefined ? page.items : [...previous, ...page.items]));
      setCursor(page.nextCursor);
      setError(undefined);
    } catch (failure) {
      if (call === latest.current) setError(failure);
    } finally {
      if (call === latest.current) setLoading(false);
    }
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps and reload() decide when to start again
  useEffect(() => {
    void load(++latest.current, undefined);
  }, [...deps, generation]);

  return {
    items,
    error,
    loading,
    hasMore: cursor !== null,
    loadMore: () => {
      if (cursor !== null) void load(latest.current, cursor);
    },
    reload: () => setGeneration((n) => n + 1),
  };
}
