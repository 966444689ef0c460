/**
 * The server's own files, which no upload, DAQ or source root may reach, whoever asks: the storage root
 * (every experiment's data), the data directory (database, download-link secret, job logs), the config
 * file and a SQLite database kept elsewhere. Paths are compared after `realpath`, so a symbolic link to one
 * of them is caught too.
 */
import { readlink, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Settings } from '../settings/settings.ts';

export interface ProtectedPath {
  /** The real path (symbolic links resolved as far as it exists). */
  path: string;
  /** What it is, for the message: `the storage root`, `the server's data directory`, ... */
  what: string;
}

/**
 * @example
 * const paths = await protectedPaths(settings);
 * overlapping('/', paths)?.what; // "the storage root": `/` contains it
 */
export async function protectedPaths(
  settings: Pick<Settings, 'storageRoot' | 'dataDir' | 'configFile' | 'databaseUrl'>,
): Promise<ProtectedPath[]> {
  const named: ProtectedPath[] = [
    { path: settings.storageRoot, what: 'the storage root' },
    { path: settings.dataDir, what: "the server's data directory" },
  ];
  if (settings.configFile)
    named.push({ path: resolve(settings.configFile), what: "the server's config file" });
  if (settings.databaseUrl.startsWith('sqlite:')) {
    // The WAL, shared-memory and journal files beside it hold the same data.
    const database = resolve(settings.databaseUrl.slice('sqlite:'.length));
    for (const suffix of ['', '-wal', '-shm', '-journal'])
      named.push({ path: `${database}${suffix}`, what: "the server's database" });
  }
  return Promise.all(
    named.map(async ({ path, what }) => ({ path: await realPathAsFarAsExists(path), what })),
  );
}

/** The protected path that `path` is, is inside, or contains; undefined when it overlaps none. */
export function overlapping(path: string, paths: readonly ProtectedPath[]): ProtectedPath | undefined {
  return paths.find((p) => isSameOrBelow(path, p.path) || isSameOrBelow(p.path, path));
}

/**
 * Whether `path` is `root` or below it (both absolute and normalized).
 *
 * @example
 * isSameOrBelow('/detector/8id/run1', '/detector/8id'); // true
 * isSameOrBelow('/detector/8id-old', '/detector/8id'); // false: a sibling, not a child
 */
export function isSameOrBelow(path: string, root: string): boolean {
  const rest = relative(root, path);
  return rest === '' || !(rest === '..' || rest.startsWith('../') || isAbsolute(rest));
}

/**
 * The real path of `path`, or, when it does not exist (yet), the real path of its deepest existing
 * ancestor followed by the rest: a database file not created yet still protects where it will be. A
 * dangling symbolic link on the way counts where it points, so creating its target later moves nothing.
 */
export async function realPathAsFarAsExists(path: string, depth = 0): Promise<string> {
  const absolute = resolve(path);
  try {
    return await realpath(absolute);
  } catch {
    const parent = dirname(absolute);
    if (parent === absolute || depth > 40) return absolute;
    const here = join(await realPathAsFarAsExists(parent, depth + 1), basename(absolute));
    const target = await readlink(here).catch(() => undefined);
    return target === undefined ? here : realPathAsFarAsExists(resolve(dirname(here), target), depth + 1);
  }
}
