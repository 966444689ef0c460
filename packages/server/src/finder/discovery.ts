/**
 * How a DAQ finds files: full rescans of the monitored tree now and then (the safety net, and all there is
 * when watching is off), and in between a quick look at the paths watch hints named and at the files still
 * settling. Only sightings decide (settle-tracker.ts); a hint just says where to look, so a lost hint delays
 * a file until the next rescan and never loses it.
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { createDirectoryWatcher, type DirectoryWatcher } from './directory-watcher.ts';
import type { SettledFile, SettleTracker } from './settle-tracker.ts';
import { listSourceFiles, type SourceFile, sourceFile } from './source-files.ts';

export interface DiscoveryOptions {
  root: string;
  tracker: SettleTracker;
  /** Watch the tree for hints (inotify); off, only rescans find files. */
  watch: boolean;
  /** A path being taken right now: a new sighting of it is looked at again after the take. */
  isBusy(path: string): boolean;
  /** A hint arrived (the monitor may look sooner). */
  onHint?(): void;
  onLost(relativeDirectory: string, error: unknown): void;
}

/** Stats in flight at once when looking at hinted and settling paths. */
const statsAtOnce = 32;

/**
 * @example
 * const discovery = new Discovery({ root, tracker, watch: true, isBusy: (p) => false, onLost });
 * for (const settled of await discovery.rescan()) pool.offer(settled);
 * // every tick:
 * for (const settled of await discovery.look()) pool.offer(settled);
 */
export class Discovery {
  /** Paths (relative to the root) to look at on the next `look`. */
  private pending = new Set<string>();
  private directories = new Set<string>();
  private readonly watcher: DirectoryWatcher | undefined;

  constructor(private readonly options: DiscoveryOptions) {
    this.watcher = options.watch
      ? createDirectoryWatcher(options.root, {
          onHint: (path) => {
            this.pending.add(path);
            options.onHint?.();
          },
          onLost: options.onLost,
        })
      : undefined;
  }

  /** Paths waiting to be looked at (hinted, or settling). */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Every file of the tree: the settled ones; those still settling are looked at again by `look`. */
  async rescan(): Promise<SettledFile<SourceFile>[]> {
    const found = new Set<string>();
    const files = await listSourceFiles(this.options.root, {
      onDirectory: (directory) => {
        found.add(directory);
        this.watcher?.watch(directory);
      },
    });
    for (const directory of this.directories) if (!found.has(directory)) this.watcher?.unwatch(directory);
    this.directories = found;
    return this.sight(files);
  }

  /** The hinted paths and the files still settling (a new directory is listed whole and watched). */
  async look(): Promise<SettledFile<SourceFile>[]> {
    if (this.pending.size === 0) return [];
    const paths = [...this.pending];
    this.pending = new Set();
    const files: SourceFile[] = [];
    for (let start = 0; start < paths.length; start += statsAtOnce) {
      const batch = paths.slice(start, start + statsAtOnce);
      const found = await Promise.all(batch.map((path) => this.filesAt(path)));
      for (const list of found) files.push(...list);
    }
    return this.sight(files);
  }

  close(): void {
    this.watcher?.close();
  }

  /** The file at a hinted path, or the files under it if it is a directory not known yet. */
  private async filesAt(relativePath: string): Promise<SourceFile[]> {
    const absolutePath = join(this.options.root, relativePath);
    // lstat: a symbolic link is neither a file nor a directory here, so it is never followed.
    const info = await lstat(absolutePath).catch(() => undefined);
    if (info?.isFile()) return [sourceFile(this.options.root, absolutePath, info)];
    if (!info?.isDirectory() || this.directories.has(relativePath)) return [];
    const inside = await listSourceFiles(absolutePath, {
      onDirectory: (directory) => {
        const path = directory ? `${relativePath}/${directory}` : relativePath;
        this.directories.add(path);
        this.watcher?.watch(path);
      },
    }).catch(() => []);
    return inside.map((file) => ({ ...file, relativePath: `${relativePath}/${file.relativePath}` }));
  }

  private sight(files: readonly SourceFile[]): SettledFile<SourceFile>[] {
    const ready: SettledFile<SourceFile>[] = [];
    for (const file of files) {
      const sighting = this.options.tracker.sight(file);
      const { state } = sighting;
      switch (state) {
        case 'settling':
          this.pending.add(file.relativePath);
          break;
        case 'ready':
          // Being taken: perhaps a newer version; look again once the take has ended.
          if (this.options.isBusy(sighting.path)) this.pending.add(file.relativePath);
          else ready.push(sighting);
          break;
        case 'ignored':
        case 'taken':
        case 'failed':
          break;
        default: {
          const never: never = state;
          throw new Error(`unknown sighting ${never}`);
        }
      }
    }
    return ready;
  }
}

/** What a monitor's loop calls: find files (a rescan, or a look at hints and settling files), stop watching. */
export interface Finder {
  find(rescan: boolean): Promise<void>;
  close(): void;
}

/**
 * A Discovery that offers every settled file to a take pool, as the server's monitor and the DAQ agent both
 * run it. A directory that cannot be read is told to `onUnreadable` (the DAQ's lastError); the next call
 * tries again.
 *
 * @example
 * const finder = discoveryFeeding(pool, { root, tracker, watch: true, logger, onUnreadable: (m) => (lastError = m) });
 * await finder.find(true); // a rescan; then finder.find(false) every tick
 */
export function discoveryFeeding(
  pool: { offer(settled: SettledFile<SourceFile>): void; isRunning(path: string): boolean },
  options: Pick<DiscoveryOptions, 'root' | 'tracker' | 'watch'> & {
    logger: { warn(object: object, message: string): void };
    onUnreadable(message: string): void;
  },
): Finder {
  const discovery = new Discovery({
    root: options.root,
    tracker: options.tracker,
    watch: options.watch,
    isBusy: (path) => pool.isRunning(path),
    onLost: (directory, error) =>
      options.logger.warn(
        { directory, err: error },
        'not watching a directory; the periodic rescan still finds its files',
      ),
  });
  return {
    async find(rescan) {
      try {
        for (const settled of rescan ? await discovery.rescan() : await discovery.look()) pool.offer(settled);
      } catch (error) {
        options.onUnreadable(
          `cannot read ${options.root}: ${error instanceof Error ? error.message : error}`,
        );
      }
    },
    close: () => discovery.close(),
  };
}
