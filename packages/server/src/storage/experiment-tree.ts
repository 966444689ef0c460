/**
 * An experiment's storage tree: `<storageRoot>/<station>/<experiment>/{data,analysis,system}`.
 *
 * The filesystem side only. Which trees should exist is the database's business (see reconcile.ts).
 */
import { constants } from 'node:fs';
import { access, mkdir, open, opendir, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface ExperimentPaths {
  storageDirectory: string;
  dataDirectory: string;
  analysisDirectory: string;
  systemDirectory: string;
}

export const subdirectoryNames = ['data', 'analysis', 'system'] as const;

/**
 * Names are validated at the API boundary (no separators, no leading dot), so joining cannot escape the root;
 * the check here guards against a caller that skipped validation.
 */
export function experimentPaths(
  storageRoot: string,
  stationName: string,
  experimentName: string,
): ExperimentPaths {
  for (const name of [stationName, experimentName]) {
    if (
      name === '' ||
      name.includes('/') ||
      name.includes('\\') ||
      name.startsWith('.') ||
      name.includes('\0')
    ) {
      throw new Error(`refusing unsafe directory name ${JSON.stringify(name)}`);
    }
  }
  const storageDirectory = join(storageRoot, stationName, experimentName);
  return {
    storageDirectory,
    dataDirectory: join(storageDirectory, 'data'),
    analysisDirectory: join(storageDirectory, 'analysis'),
    systemDirectory: join(storageDirectory, 'system'),
  };
}

/**
 * Creates the tree (idempotent) and makes the new directory entries durable. Until ACLs arrive (data
 * acquisition issue), experiment directories are private to the service account (0700) and the station
 * directory may be traversed but not listed (0711), so experiment names do not leak to other local users.
 */
export async function createExperimentTree(paths: ExperimentPaths): Promise<void> {
  const stationDirectory = dirname(paths.storageDirectory);
  await mkdir(dirname(stationDirectory), { recursive: true, mode: 0o711 });
  await mkdir(stationDirectory, { recursive: true, mode: 0o711 });
  await mkdir(paths.storageDirectory, { recursive: true, mode: 0o700 });
  for (const name of subdirectoryNames)
    await mkdir(join(paths.storageDirectory, name), { recursive: true, mode: 0o700 });
  // A directory entry is durable only once its parent directory is fsynced; without this a power cut
  // after "ready" is committed could leave a ready experiment without its directories.
  await fsyncDirectory(paths.storageDirectory);
  await fsyncDirectory(stationDirectory);
  await fsyncDirectory(dirname(stationDirectory));
}

/**
 * Makes sure the storage root exists and is writable before the API serves, so a missing mount or wrong
 * owner stops the start with a clear message instead of failing the first experiment.
 */
export async function prepareStorageRoot(storageRoot: string): Promise<void> {
  try {
    await mkdir(storageRoot, { recursive: true, mode: 0o711 });
    await access(storageRoot, constants.W_OK | constants.X_OK);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`storage root ${storageRoot} is not usable: ${reason}`);
  }
}

/** True when anything other than directories lies anywhere in the tree. */
export async function treeHoldsFiles(directory: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof opendir>>;
  try {
    handle = await opendir(directory);
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
  for await (const entry of handle) {
    if (!entry.isDirectory()) return true;
    if (await treeHoldsFiles(join(directory, entry.name))) return true;
  }
  return false;
}

export class TreeNotEmptyError extends Error {
  constructor(readonly directory: string) {
    super(`${directory} is not empty`);
  }
}

/**
 * Removes the tree with `rmdir`, which refuses non-empty directories: a file that arrived after the
 * emptiness check is never deleted by accident. Missing directories are fine (a retry after a crash).
 */
export async function removeExperimentTree(paths: ExperimentPaths): Promise<void> {
  for (const name of subdirectoryNames) await removeEmptyTree(join(paths.storageDirectory, name));
  await removeEmptyTree(paths.storageDirectory);
  await fsyncDirectory(dirname(paths.storageDirectory)).catch((error: unknown) => {
    if (!isMissing(error)) throw error;
  });
}

async function removeEmptyTree(directory: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof opendir>>;
  try {
    handle = await opendir(directory);
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  const children: string[] = [];
  for await (const entry of handle) {
    if (!entry.isDirectory()) throw new TreeNotEmptyError(directory);
    children.push(join(directory, entry.name));
  }
  for (const child of children) await removeEmptyTree(child);
  try {
    await rmdir(directory);
  } catch (error) {
    if (isMissing(error)) return;
    if (isCode(error, 'ENOTEMPTY') || isCode(error, 'EEXIST')) throw new TreeNotEmptyError(directory);
    throw error;
  }
}

async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Nothing there: the path, or a directory on the way to it, does not exist (ENOTDIR: a file is in the way). */
function isMissing(error: unknown): boolean {
  return isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR');
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
