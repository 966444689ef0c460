/**
 * Up to `limit` takes at a time: a take of a small file waits mostly on fsyncs and libuv's thread pool, so
 * one at a time leaves the disk and the cores half idle (docs/benchmarks.md, "DAQ end to end").
 */

/** Files of one scan a DAQ (server or agent) takes at once. */
export const takesAtOnce = 4;

/**
 * Runs `take` over `items`, at most `limit` at once, in order of start. `take` returns false (or throws)
 * to start no more (storage full, stopping); the takes already running finish first, then the first error
 * is thrown.
 *
 * @example
 * await takeConcurrently(settled, 4, async (file) => { await ingest(file); return !isStopping(); });
 */
export async function takeConcurrently<T>(
  items: readonly T[],
  limit: number,
  take: (item: T) => Promise<boolean>,
): Promise<void> {
  let next = 0;
  let halted = false;
  const lane = async () => {
    while (!halted && next < items.length) {
      const item = items[next++] as T;
      try {
        if (!(await take(item))) halted = true;
      } catch (error) {
        halted = true;
        throw error;
      }
    }
  };
  // Settled, not all: a failing lane must not leave the others running unawaited.
  const lanes = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, lane));
  const failed = lanes.find((lane) => lane.status === 'rejected');
  if (failed) throw failed.reason;
}
