/**
 * Loads something from the API for a view: `data` once loaded, `error` if the call failed, `reload()` to ask
 * again (after a change, or when a live event says it moved). A newer load wins over an older one still
 * under way, so a fast typist never sees the results of an earlier search replace those of a later one.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

export function useResource<T>(load: () => Promise<T>, deps: readonly unknown[]): Resource<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const latest = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps decide when to load again
  const stableLoad = useCallback(load, deps);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `generation` is how reload() asks again
  useEffect(() => {
    const call = ++latest.current;
    setLoading(true);
    stableLoad().then(
      (value) => {
        if (call !== latest.current) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (failure: unknown) => {
        if (call !== latest.current) return;
        setError(failure);
        setLoading(false);
      },
    );
  }, [stableLoad, generation]);

  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  return { data, error, loading, reload };
}
