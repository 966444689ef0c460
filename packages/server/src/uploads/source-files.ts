import { opendir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { isPartialName } from '../transfer/verified-copy.ts';

export interface SourceFile {
  absolutePath: string;
  /** POSIX path relative to the directory taken. */
  relativePath: string;
  size: number;
  mtimeMs: number;
}

/**
 * The files under a directory, in a stable order. Hidden entries (`.name`) and partial transfers are
 * skipped; symbolic links are not followed, so a link cannot pull in files from outside the directory.
 */
export async function listSourceFiles(root: string): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  const walk = async (directory: string) => {
    const entries = [];
    for await (const entry of await opendir(directory)) entries.push(entry);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.') || isPartialName(entry.name)) continue;
      const absolutePath = join(directory, entry.name);
      if (entry.isDirectory()) await walk(absolutePath);
      else if (entry.isFile()) {
        const info = await stat(absolutePath);
        files.push({
          absolutePath,
          relativePath: relative(root, absolutePath).split(sep).join('/'),
          size: info.size,
          mtimeMs: info.mtimeMs,
        });
      }
    }
  };
  await walk(root);
  return files;
}
