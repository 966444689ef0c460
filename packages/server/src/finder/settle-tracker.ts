/**
 * Which files of a monitored directory are ready to take: the rules the server's DAQ monitor and the DAQ
 * agent share, with no I/O, so both decide alike.
 *
 * Glossary:
 * - scan: one listing of the monitored directory (size and mtime of every file).
 * - version: a file's size and mtime as a scan saw them; a new version restarts the settle time.
 * - settled: unchanged for the settle time, so a detector still writing a 30 GB file is never taken
 *   half-written.
 * - taken: in storage and the catalog with this size and mtime (the catalog's `mtime` is ISO-8601 with
 *   millisecond precision, hence `catalogVersion`).
 * - failed: taking this version failed; it is tried again only once the file changes.
 */

/** What a scan knows about one file (`listSourceFiles` gives more; only these are used). */
export interface ScannedFile {
  /** POSIX path relative to the monitored directory. */
  relativePath: string;
  size: number;
  mtimeMs: number;
}

export interface SettledFile<F extends ScannedFile> {
  file: F;
  /** The file's path in the experiment: under the DAQ's destination directory. */
  path: string;
  version: string;
}

/**
 * - ignored: skipped by a pattern, or older than the DAQ with `--new-only`.
 * - settling: seen in this version less than the settle time ago.
 * - ready: settled, and neither taken nor failed in this version.
 */
export type SightingState = 'ignored' | 'taken' | 'failed' | 'settling' | 'ready';

export interface Sighting<F extends ScannedFile> extends SettledFile<F> {
  state: SightingState;
}

export interface SettleRules {
  settleMs: number;
  skip: (relativePath: string) => boolean;
  /** `--new-only`: files last changed before this time (ms) are left alone. */
  newerThanMs?: number | undefined;
  /** Under the experiment's data directory; '' for the data directory itself. */
  destDirectory: string;
}

/**
 * The key the catalog can answer: size and mtime as the catalog stores them.
 *
 * @example
 * catalogVersion(12, 1700000000000.5) // '12:2023-11-14T22:13:20.000Z'
 */
export function catalogVersion(size: number, mtime: number | string): string {
  return `${size}:${typeof mtime === 'string' ? mtime : new Date(mtime).toISOString()}`;
}

/**
 * @example
 * const tracker = new SettleTracker({ settleMs: 5000, skip: compileSkipPatterns(['*.tmp']), destDirectory: '' });
 * for (const { file, path } of tracker.settled(await listSourceFiles(directory))) {
 *   await take(file, path);
 *   tracker.markTaken(path, file.size, file.mtimeMs);
 * }
 */
export class SettleTracker {
  private readonly seen = new Map<string, { version: string; since: number }>();
  private readonly failed = new Map<string, string>();
  private readonly taken = new Map<string, string>();

  constructor(
    private readonly rules: SettleRules,
    // Real time since a sighting (the detector writes in real time), on a clock no wall-clock step moves.
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The files of this scan that have settled and are neither taken nor failed in their version. */
  settled<F extends ScannedFile>(files: readonly F[]): SettledFile<F>[] {
    const ready: SettledFile<F>[] = [];
    for (const file of files) {
      const sighting = this.sight(file);
      if (sighting.state === 'ready') ready.push(sighting);
    }
    return ready;
  }

  /**
   * One sighting of one file (a scan's, or a watch hint's): what it is now. `settling` files must be seen
   * again after the settle time (the monitor keeps them as pending and looks at them again).
   */
  sight<F extends ScannedFile>(file: F): Sighting<F> {
    const { settleMs, skip, newerThanMs, destDirectory } = this.rules;
    const path = destDirectory ? `${destDirectory}/${file.relativePath}` : file.relativePath;
    const version = `${file.size}:${file.mtimeMs}`;
    if (skip(file.relativePath)) return { state: 'ignored', file, path, version };
    if (newerThanMs !== undefined && file.mtimeMs < newerThanMs)
      return { state: 'ignored', file, path, version };
    if (this.taken.get(path) === catalogVersion(file.size, file.mtimeMs)) {
      return { state: 'taken', file, path, version };
    }
    const now = this.now();
    const observed = this.seen.get(path);
    if (observed?.version !== version) {
      this.seen.set(path, { version, since: now });
      if (settleMs > 0) return { state: 'settling', file, path, version };
    } else if (now - observed.since < settleMs) {
      return { state: 'settling', file, path, version };
    }
    if (this.failed.get(path) === version) return { state: 'failed', file, path, version };
    return { state: 'ready', file, path, version };
  }

  /** A file that is gone: forget its sightings, so a file of the same name later starts afresh. */
  forget(path: string): void {
    this.seen.delete(path);
  }

  /** In storage and the catalog with this size and mtime: not offered again until it changes. */
  markTaken(path: string, size: number, mtime: number | string): void {
    this.taken.set(path, catalogVersion(size, mtime));
    this.seen.delete(path);
    this.failed.delete(path);
  }

  /** Taking this version failed (and was reported): tried again only once the file changes. */
  markFailed(path: string, version: string): void {
    this.failed.set(path, version);
  }

  /** How many files are remembered as taken (for logs). */
  get takenCount(): number {
    return this.taken.size;
  }
}
