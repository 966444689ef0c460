/**
 * The files of a search, loaded a page at a time through the API's cursors as the user scrolls: the browser
 * never asks for (or holds the rows of) 100,000 files at once. A new search starts again from the first
 * page; `refresh()` reloads from the top as many rows as are loaded now, so new files show up in place
 * without the user losing the rows they scrolled to.
 */
import type { CatalogFile, FileListQuery, PhotonClient } from '@photon-dm/client';
import { useCallback, useEffect, useRef, useState } from 'react';

export const filePageSize = 500;
/** The API's largest page. */
const maxPageSize = 1000;

export interface FilePages {
  items: CatalogFile[];
  /** More pages after the loaded ones. */
  hasMore: boolean;
  loading: boolean;
  error: unknown;
  loadMore(): void;
  /** Reloads in place; false when too many rows are loaded to reload at once (the caller offers a reload). */
  refresh(): boolean;
  /** Starts again from the first page. */
  restart(): void;
}

interface State {
  items: CatalogFile[];
  nextCursor: string | null;
  loading: boolean;
  error: unknown;
}

const initial: State = { items: [], nextCursor: null, loading: true, error: undefined };

export function useFilePages(
  client: PhotonClient,
  experiment: string,
  query: Omit<FileListQuery, 'limit' | 'cursor'>,
): FilePages {
  const [state, setState] = useState<State>(initial);
  const current = useRef(state);
  current.current = state;
  // Only the latest request may write: a page for an old search must never land in the new one's list.
  const latest = useRef(0);
  const searchKey = JSON.stringify([experiment, query]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: searchKey stands for experiment and query
  const load = useCallback(
    async (cursor: string | undefined, limit: number, replace: boolean) => {
      const call = ++latest.current;
      setState((previous) => ({ ...previous, loading: true }));
      try {
        const page = await client.files.list(experiment, { ...query, limit, ...(cursor && { cursor }) });
        if (call !== latest.current) return;
        setState((previous) => ({
          items: replace ? page.items : [...previous.items, ...page.items],
          nextCursor: page.nextCursor,
          loading: false,
          error: undefined,
        }));
      } catch (error) {
        if (call !== latest.current) return;
        setState((previous) => ({ ...previous, loading: false, error }));
      }
    },
    [client, searchKey],
  );

  useEffect(() => {
    setState(initial);
    void load(undefined, filePageSize, true);
  }, [load]);

  const loadMore = useCallback(() => {
    const { loading, nextCursor } = current.current;
    if (!loading && nextCursor !== null) void load(nextCursor, filePageSize, false);
  }, [load]);

  const refresh = useCallback(() => {
    const loaded = current.current.items.length;
    if (loaded > maxPageSize) return false;
    void load(undefined, Math.max(filePageSize, loaded), true);
    return true;
  }, [load]);

  const restart = useCallback(() => void load(undefined, filePageSize, true), [load]);

  return {
    items: state.items,
    hasMore: state.nextCursor !== null,
    loading: state.loading,
    error: state.error,
    loadMore,
    refresh,
    restart,
  };
}
