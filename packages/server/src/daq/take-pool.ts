/**
 * The takes of one DAQ, apart from finding files: settled files wait in a queue and up to `limit` are taken
 * at once, while the monitor keeps looking for new ones. A path is queued or in flight at most once, so a
 * file offered again by a hint or a rescan while it is being taken is not taken twice.
 *
 * Large files hash on two threads each (transfer/verified-copy.ts), so fewer of them run at once: on 2
 * cores, 4 large takes would only share the cores and spread the page cache thin.
 */
import type { ScannedFile, SettledFile } from './settle-tracker.ts';

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
    const { limit, largeBytes, largeLimit, retryMs } = this.options;
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, wait);
      return;
    }
    while (!this.closed && this.running.size < limit) {
      const index = this.queue.findIndex((s) => s.file.size < largeBytes || this.largeRunning < largeLimit);
      if (index < 0) return;
      const [settled] = this.queue.splice(index, 1) as [SettledFile<F>];
      const large = settled.file.size >= largeBytes;
      if (large) this.largeRunning++;
      this.runningPaths.add(settled.path);
      // A take that throws anyway counts as done: its file is offered again only by a later sighting.
      const outcome = this.options.take(settled).catch((): TakeOutcome => 'done');
      const running: Promise<void> = outcome.then((outcome) => {
        this.running.delete(running);
        this.runningPaths.delete(settled.path);
        if (large) this.largeRunning--;
        if (outcome === 'retry-later' && !this.closed) {
          this.queue.unshift(settled);
          this.pausedUntil = Date.now() + retryMs;
        } else {
          this.known.delete(settled.path);
        }
        this.pump();
      });
      this.running.add(running);
    }
  }
}
