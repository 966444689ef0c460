import type { Dirent, Stats } from 'node:fs';
import { lstat, opendir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { isPartialName } from '../storage/partial-names.ts';

export interface SourceFile {
  absolutePath: string;
  /** POSIX path relative to the directory taken. */
  relativePath: string;
  size: number;
  mtimeMs: number;
}

export interface ListOptions {
  /**
   * Called with each directory's POSIX path relative to the root ('' for the root) before it is read, so a
   * watcher set up here misses nothing created in it after the listing.
   */
  onDirectory?(relativePath: string): void;
}

/** Stats of one directory's files in flight at once: a scan of 10,000 files is bound by these round trips. */
const statsAtOnce = 32;

/**
 * The files under a directory, in a stable order. Hidden entries (`.name`) and partial transfers are
 * skipped; symbolic links are not followed, so a link cannot pull in files from outside the directory.
 */
export async function listSourceFiles(root: string, options: ListOptions = {}): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  const walk = async (directory: string) => {
    options.onDirectory?.(toPosix(relative(root, directory)));
    const entries: Dirent[] = [];
    for await (const entry of await opendir(directory)) {
      if (!isHiddenName(entry.name)) entries.push(entry);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const regular = entries.filter((entry) => entry.isFile());
    const stats = new Map<string, Stats | undefined>();
    for (let start = 0; start < regular.length; start += statsAtOnce) {
      const batch = regular.slice(start, start + statsAtOnce);
      const results = await Promise.all(
        batch.map((entry) => lstat(join(directory, entry.name)).catch(() => undefined)),
      );
      for (const [index, entry] of batch.entries()) stats.set(entry.name, results[index]);
    }
    for (const entry of entries) {
      const absolutePath = join(directory, entry.name);
      if (entry.isDirectory()) await walk(absolutePath);
      // Removed since the listing: not a file any more.
      else {
        const stat = stats.get(entry.name);
        if (stat?.isFile()) files.push(sourceFile(root, absolutePath, stat));
      }
    }
  };
  await walk(root);
  return files;
}

/** True for names a listing leaves out: hidden entries and copies in progress. */
export function isHiddenName(name: string): boolean {
  return name.startsWith('.') || isPartialName(name);
}

/** The `SourceFile` of a regular file whose stats are known. */
export function sourceFile(root: string, absolutePath: string, info: Stats): SourceFile {
  return {
    absolutePath,
    relativePath: toPosix(relative(root, absolutePath)),
    size: info.size,
    mtimeMs: info.mtimeMs,
  };
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}
