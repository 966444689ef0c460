import { useCallback, useEffect, useRef } from 'react';

/**
 * `action` at most once per `intervalMs`: a DAQ taking a thousand files a minute sends a thousand events,
 * and the page needs to read its totals again once in a while, not a thousand times.
 */
export function useThrottled(action: () => void, intervalMs: number): () => void {
  const latest = useRef(action);
  latest.current = action;
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      latest.current();
    }, intervalMs);
  }, [intervalMs]);
}
