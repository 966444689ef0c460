/**
 * Watch hints for a DAQ: one non-recursive `fs.watch` (inotify on Linux) per directory of the monitored tree,
 * reporting the paths that something happened to, so the monitor looks at a new file within a tick instead of
 * at its next full scan. Hints only: events can be lost (inotify's queue overflows silently through libuv,
 * watches run out, network file systems report nothing written by other hosts), so the monitor's periodic
 * rescan stays the safety net and nothing here decides whether a file is taken.
 *
 * Not Node's `recursive: true`: on Linux, Node 20 implements it in JavaScript with a stat poller per file,
 * which a directory of 10,000 files cannot afford.
 */
import { type FSWatcher, watch } from 'node:fs';
import { join } from 'node:path';
import { isHiddenName } from './source-files.ts';

export interface DirectoryWatcherOptions {
  /** A path (POSIX, relative to the root) that was created, changed, renamed or removed. */
  onHint(relativePath: string): void;
  /** Hints from a directory stopped (its watch failed or ran out): only rescans see it from now on. */
  onLost(relativeDirectory: string, error: unknown): void;
}

export interface DirectoryWatcher {
  /** Starts watching one directory of the tree (POSIX, relative to the root; '' for the root). */
  watch(relativeDirectory: string): void;
  /** Stops watching a directory that is gone (a rescan no longer finds it). */
  unwatch(relativeDirectory: string): void;
  watched(): string[];
  close(): void;
}

/**
 * @example
 * const watcher = createDirectoryWatcher('/detector', { onHint: (path) => candidates.add(path), onLost });
 * await listSourceFiles('/detector', { onDirectory: (directory) => watcher.watch(directory) });
 * // ... later
 * watcher.close();
 */
export function createDirectoryWatcher(root: string, options: DirectoryWatcherOptions): DirectoryWatcher {
  const watchers = new Map<string, FSWatcher>();
  let closed = false;

  const unwatch = (directory: string) => {
    watchers.get(directory)?.close();
    watchers.delete(directory);
  };

  return {
    watch(directory) {
      if (closed || watchers.has(directory)) return;
      let watcher: FSWatcher;
      try {
        watcher = watch(join(root, directory), { persistent: false, encoding: 'utf8' });
      } catch (error) {
        // ENOSPC (no inotify watches left), EMFILE, or the directory went away: the rescan covers it.
        options.onLost(directory, error);
        return;
      }
      watcher.on('change', (_event, name) => {
        if (typeof name !== 'string' || name === '' || isHiddenName(name)) return;
        options.onHint(directory ? `${directory}/${name}` : name);
      });
      watcher.on('error', (error) => {
        unwatch(directory);
        options.onLost(directory, error);
      });
      watchers.set(directory, watcher);
    },
    unwatch,
    watched: () => [...watchers.keys()],
    close() {
      closed = true;
      for (const directory of [...watchers.keys()]) unwatch(directory);
    },
  };
}
