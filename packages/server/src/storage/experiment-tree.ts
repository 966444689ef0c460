/**
 * An experiment's storage tree: `<storageRoot>/<station>/<experiment>/{data,analysis,system}`.
 *
 * The filesystem side only. Which trees should exist is the database's business (see reconcile.ts).
 */
import { constants } from 'node:fs';
import { access, mkdir, open, opendir, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import type { ServiceContext } from '../context.ts';
import { isCode } from '../errors/error-code.ts';
import { isPartialName } from './partial-names.ts';

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

/** The tree of an experiment (by its station's and its own name) under this app's storage root. */
export function pathsOf(
  context: ServiceContext,
  experiment: { station_name: string; name: string },
): ExperimentPaths {
  return experimentPaths(context.settings.storageRoot, experiment.station_name, experiment.name);
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

/**
 * Files the service keeps for itself, which go with the experiment's records when it is deleted: temp files
 * of verified copies (`.<name>.dm-partial-<random>`) and DAQ agents' staging files (`system/daq-staging/`),
 * which interrupted transfers leave and nothing ever shows or catalogs, and the logs of its jobs
 * (`system/jobs/`), whose records the deletion removes. Once no DAQ, upload or job of the experiment runs,
 * they are not content.
 */
function isServiceFile(paths: ExperimentPaths, path: string): boolean {
  const under = (directory: string) => path.startsWith(join(paths.systemDirectory, directory) + sep);
  return isPartialName(basename(path)) || under('daq-staging') || under('jobs');
}

/** True when anything other than directories and the service's own files lies anywhere in the tree. */
export async function treeHoldsFiles(paths: ExperimentPaths): Promise<boolean> {
  return (await firstContentFile(paths, paths.storageDirectory)) !== undefined;
}

/** The first file under `directory` that is not one of the service's own, if any. */
async function firstContentFile(paths: ExperimentPaths, directory: string): Promise<string | undefined> {
  const { files, directories } = await sortEntries(paths, directory);
  if (files[0] !== undefined) return files[0];
  for (const child of directories) {
    const found = await firstContentFile(paths, child);
    if (found !== undefined) return found;
  }
  return undefined;
}

export class TreeNotEmptyError extends Error {
  constructor(readonly directory: string) {
    super(`${directory} is not empty`);
  }
}

/**
 * Removes the tree with `rmdir`, which refuses non-empty directories: a file that arrived after the
 * emptiness check is never deleted by accident. The service's own files are removed first: the caller has
 * made sure no DAQ, upload or job of the experiment runs (lifecycle.ts, `beginDeletion`). Missing directories are fine (a
 * retry after a crash).
 */
export async function removeExperimentTree(paths: ExperimentPaths): Promise<void> {
  // Checked whole first, so a file found late does not leave the service's files removed and the rest kept.
  const content = await firstContentFile(paths, paths.storageDirectory);
  if (content !== undefined) throw new TreeNotEmptyError(dirname(content));
  const removeEmptyTree = async (directory: string): Promise<void> => {
    const { files, serviceFiles, directories } = await sortEntries(paths, directory);
    if (files.length > 0) throw new TreeNotEmptyError(directory);
    for (const path of serviceFiles) await rm(path, { force: true });
    for (const child of directories) await removeEmptyTree(child);
    try {
      await rmdir(directory);
    } catch (error) {
      if (isMissing(error)) return;
      if (isCode(error, 'ENOTEMPTY') || isCode(error, 'EEXIST')) throw new TreeNotEmptyError(directory);
      throw error;
    }
  };
  for (const name of subdirectoryNames) await removeEmptyTree(join(paths.storageDirectory, name));
  await removeEmptyTree(paths.storageDirectory);
  await fsyncDirectory(dirname(paths.storageDirectory)).catch((error: unknown) => {
    if (!isMissing(error)) throw error;
  });
}

/**
 * A directory's entries by kind (none when it does not exist), read as a stream: the first file that is not
 * one of the service's own ends the reading (it is all the callers need to know), so a million files are never listed.
 */
async function sortEntries(paths: ExperimentPaths, directory: string) {
  const sorted = { files: [] as string[], serviceFiles: [] as string[], directories: [] as string[] };
  let handle: Awaited<ReturnType<typeof opendir>>;
  try {
    handle = await opendir(directory);
  } catch (error) {
    if (isMissing(error)) return sorted;
    throw error;
  }
  for await (const entry of handle) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) sorted.directories.push(path);
    else if (isServiceFile(paths, path)) sorted.serviceFiles.push(path);
    else {
      sorted.files.push(path);
      break; // which closes the handle
    }
  }
  return sorted;
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
