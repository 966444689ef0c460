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
    private readonly now: () => number = Date.now,
  ) {}

  /** The files of this scan that have settled and are neither taken nor failed in their version. */
  settled<F extends ScannedFile>(files: readonly F[]): SettledFile<F>[] {
    const ready: SettledFile<F>[] = [];
    const { settleMs, skip, newerThanMs, destDirectory } = this.rules;
    const now = this.now();
    for (const file of files) {
      if (skip(file.relativePath)) continue;
      if (newerThanMs !== undefined && file.mtimeMs < newerThanMs) continue;
      const path = destDirectory ? `${destDirectory}/${file.relativePath}` : file.relativePath;
      if (this.taken.get(path) === catalogVersion(file.size, file.mtimeMs)) continue;
      const version = `${file.size}:${file.mtimeMs}`;
      const observed = this.seen.get(path);
      if (observed?.version !== version) {
        this.seen.set(path, { version, since: now });
        if (settleMs > 0) continue;
      } else if (now - observed.since < settleMs) {
        continue;
      }
      if (this.failed.get(path) === version) continue;
      ready.push({ file, path, version });
    }
    return ready;
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
