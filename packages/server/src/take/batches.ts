/**
 * Which files are taken together: small files in batches (one pass of fsyncs, one catalog transaction),
 * each large file alone. The DAQ monitor's take pool (take-pool.ts) and uploads (`inBatches`) cut alike.
 */

/**
 * Files below this size are taken in batches of up to `filesPerBatch` (one pass of fsyncs, one transaction);
 * the copy holds only a few of a batch in memory at once (transfer/small-copy.ts).
 */
export const batchFileBytes = 1024 * 1024;
export const filesPerBatch = 64;

/**
 * `items` in takes, in order: runs of up to `filesPerBatch` small files together, each larger file alone.
 *
 * @example
 * for (const batch of inBatches(files, (file) => file.size)) await takeFiles(context, batch.map(request));
 */
export function* inBatches<T>(items: Iterable<T>, sizeOf: (item: T) => number): Generator<T[]> {
  let batch: T[] = [];
  for (const item of items) {
    if (sizeOf(item) >= batchFileBytes) {
      if (batch.length > 0) yield batch;
      batch = [];
      yield [item];
      continue;
    }
    batch.push(item);
    if (batch.length === filesPerBatch) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
