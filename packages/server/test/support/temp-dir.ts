import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  readonly path: string;
  /** Removes the directory and everything in it; safe to call twice. */
  remove(): Promise<void>;
}

/**
 * A fresh directory under the system temp dir, for one test's files.
 *
 * @example
 * const storage = await tempDir('photon-dm-storage-');
 * after(() => storage.remove());
 */
export async function tempDir(prefix: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  // maxRetries: a just-killed child process may still be closing files inside.
  return { path, remove: () => rm(path, { recursive: true, force: true, maxRetries: 3 }) };
}
