/**
 * The takes of one DAQ, apart from finding files: settled files wait in a queue and up to `limit` are taken
 * at once, while the monitor keeps looking for new ones. A path is queued or in flight at most once, so a
 * file offered again by a hint or a rescan while it is being taken is not taken twice.
 *
 * Large files hash on two threads each (transfer/verified-copy.ts), so fewer of them run at once: on 2
 * cores, 4 large takes would only share the cores and spread the page cache thin.
 */
import { availableParallelism } from 'node:os';
import type { ScannedFile, SettledFile } from '../finder/settle-tracker.ts';

/**
 * Takes (single files or batches) a DAQ, server or agent, runs at once: a take waits mostly on fsyncs and
 * libuv's thread pool, so one at a time leaves the disk and the cores half idle (docs/benchmarks.md).
 */
export const takesAtOnce = 4;

/** Large files taken at once: each hashes on two threads (MD5 in a worker), so one per two cores. */
export function largeTakesAtOnce(): number {
  return Math.max(1, Math.floor(availableParallelism() / 2));
}

/** What a take says about the rest of the queue. */
export type TakeOutcome = 'done' | 'retry-later';

export interface TakePoolOptions<F extends ScannedFile> {
  limit: number;
  /** Files of at least `largeBytes` run at most `largeLimit` at once. */
  largeBytes: number;
  largeLimit: number;
  /**
   * Takes one file. `retry-later` (storage full) puts it back at the head of the queue and starts nothing
   * more for `retryMs`. Must not throw.
   */
  take(settled: SettledFile<F>): Promise<TakeOutcome>;
  /**
   * Takes several small files (below `batchBytes`, up to `maxBatch` of them) as one take, one outcome per
   * file in order: a detector's frames then share their fsyncs and one catalog transaction. Without it every
   * file goes through `take`. Must not throw.
   */
  takeBatch?(batch: SettledFile<F>[]): Promise<TakeOutcome[]>;
  batchBytes?: number;
  maxBatch?: number;
  retryMs: number;
}

/**
 * @example
 * const pool = new TakePool({ limit: 4, largeBytes: 64 << 20, largeLimit: 1, retryMs: 1000, take });
 * for (const settled of tracker.settled(files)) pool.offer(settled);
 * await pool.close(); // waits for the takes in flight, drops the queue
 */
export class TakePool<F extends ScannedFile> {
  private queue: SettledFile<F>[] = [];
  private readonly known = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private readonly runningPaths = new Set<string>();
  private largeRunning = 0;
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: TakePoolOptions<F>) {}

  /** Queues a settled file unless its path is already queued or being taken. */
  offer(settled: SettledFile<F>): void {
    if (this.closed || this.known.has(settled.path)) return;
    this.known.add(settled.path);
    this.queue.push(settled);
    this.pump();
  }

  /** Files queued or being taken. */
  get size(): number {
    return this.known.size;
  }

  /** Whether this path is being taken right now (not merely queued). */
  isRunning(path: string): boolean {
    return this.runningPaths.has(path);
  }

  /** Starts no more takes, drops the queue and waits for the takes in flight. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const settled of this.queue) this.known.delete(settled.path);
    this.queue = [];
    while (this.running.size > 0) await Promise.all(this.running);
  }

  private pump(): void {
    const wait = this.pausedUntil - performance.now();
    if (wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, wait);
      return;
    }
    while (!this.closed && this.running.size < this.options.limit) {
      const next = this.nextTakes();
      if (next === undefined) return;
      this.start(next);
    }
  }

  /** The next file the limits allow, or a batch of small files when batches are taken; undefined if none. */
  private nextTakes(): SettledFile<F>[] | undefined {
    const { largeBytes, largeLimit, takeBatch, batchBytes = 0, maxBatch = 1 } = this.options;
    const index = this.queue.findIndex((s) => s.file.size < largeBytes || this.largeRunning < largeLimit);
    if (index < 0) return undefined;
    const first = this.queue[index] as SettledFile<F>;
    if (takeBatch === undefined || first.file.size >= batchBytes) return this.queue.splice(index, 1);
    const batch: SettledFile<F>[] = [];
    this.queue = this.queue.filter((settled) => {
      const joins = batch.length < maxBatch && settled.file.size < batchBytes;
      if (joins) batch.push(settled);
      return !joins;
    });
    return batch;
  }

  private start(takes: SettledFile<F>[]): void {
    const { largeBytes, retryMs, takeBatch } = this.options;
    const large = takes.filter((settled) => settled.file.size >= largeBytes).length;
    this.largeRunning += large;
    for (const settled of takes) this.runningPaths.add(settled.path);
    // A take that throws anyway counts as done: its file is offered again only by a later sighting.
    const outcomes =
      takes.length === 1 || takeBatch === undefined
        ? this.options.take(takes[0] as SettledFile<F>).then((outcome) => [outcome])
        : takeBatch(takes);
    const running: Promise<void> = outcomes
      .catch((): TakeOutcome[] => takes.map(() => 'done'))
      .then((outcomes) => {
        this.running.delete(running);
        this.largeRunning -= large;
        const retry = takes.filter((_, index) => outcomes[index] === 'retry-later' && !this.closed);
        for (const settled of takes) {
          this.runningPaths.delete(settled.path);
          if (!retry.includes(settled)) this.known.delete(settled.path);
        }
        if (retry.length > 0) {
          this.queue.unshift(...retry);
          this.pausedUntil = performance.now() + retryMs;
        }
        this.pump();
      });
    this.running.add(running);
  }
}
