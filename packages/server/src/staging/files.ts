/**
 * Where a DAQ agent's files wait while they are sent: `<experiment>/system/daq-staging/<daq>/<staging id>`,
 * on the same file system as `data/`, so taking a complete, verified file is a rename. The bytes the
 * server holds of a file are its staging file's size, so a sender that lost its connection resumes there.
 */
import { lstat, opendir, rm, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceContext } from '../context.ts';
import { type ExperimentRecord, findExperimentByName } from '../experiments/lookup.ts';
import { pathsOf } from '../storage/experiment-tree.ts';
import { deleteStaging } from './rows.ts';
import { daqStillRuns, deleteStagingOfDaq, stagingOfEndedDaqs } from './store.ts';

export function stagingDirectory(
  context: ServiceContext,
  experiment: ExperimentRecord,
  daqId: number,
): string {
  return join(pathsOf(context, experiment).systemDirectory, 'daq-staging', String(daqId));
}

export function stagingPath(
  context: ServiceContext,
  experiment: ExperimentRecord,
  daqId: number,
  stagingId: number,
): string {
  return join(stagingDirectory(context, experiment, daqId), String(stagingId));
}

/**
 * Removes the staging files (and rows) of DAQs that ended. Files first, rows after: a crash in between
 * leaves rows whose files are gone, which the next run removes.
 */
export async function removeStagingOfEndedDaqs(context: ServiceContext): Promise<void> {
  const rows = await stagingOfEndedDaqs(context.db);
  if (rows.length === 0) return;
  const experiments = new Map<string, ExperimentRecord | undefined>();
  for (const row of rows) {
    if (!experiments.has(row.experiment_name))
      experiments.set(row.experiment_name, await findExperimentByName(context.db, row.experiment_name));
    const experiment = experiments.get(row.experiment_name);
    if (experiment === undefined) continue;
    await rm(stagingPath(context, experiment, row.daq_id, row.id), { force: true });
    await rmdir(stagingDirectory(context, experiment, row.daq_id)).catch(() => undefined);
  }
  await deleteStaging(
    context.db,
    rows.map((row) => row.id),
  );
  context.logger.info({ files: rows.length }, 'removed the staging files of ended DAQs');
}

/**
 * Removes everything a DAQ that just ended staged (its directory, then its rows). What a crash between the
 * end and this leaves, `removeStagingOfEndedDaqs` finds later by the rows.
 */
export async function removeDaqStaging(
  context: ServiceContext,
  experiment: ExperimentRecord,
  daqId: number,
): Promise<void> {
  await rm(stagingDirectory(context, experiment, daqId), { recursive: true, force: true });
  await deleteStagingOfDaq(context.db, daqId);
}

/**
 * Removes from one experiment the staging files of DAQs that no longer run (ended, or gone), rows or not:
 * the end of a DAQ removes them, but a crash in between, or a request still writing when the DAQ ended,
 * leaves some behind, and `removeStagingOfEndedDaqs` only runs when an agent claims. A DAQ never runs
 * again once ended, so nothing of it is ever read again. The staging files of a pending or running DAQ are
 * kept however old they are: its agent resumes from the bytes held. Returns the paths removed.
 *
 * Only `daq-staging/<daq id>/<staging id>` regular files are touched (never a symlink, never another name).
 *
 * @example
 * const removed = await removeStagingOfStoppedDaqs(context, experiment);
 */
export async function removeStagingOfStoppedDaqs(
  context: ServiceContext,
  experiment: ExperimentRecord,
): Promise<string[]> {
  const root = join(pathsOf(context, experiment).systemDirectory, 'daq-staging');
  const removed: string[] = [];
  // A symlink put in its place is not followed: what it points to is not staging.
  if (!(await lstat(root).catch(() => undefined))?.isDirectory()) return removed;
  for (const daqDirectory of await numberedEntries(root, 'directory')) {
    // Beyond the ids a DAQ can have (a 32-bit integer column): not a DAQ's, left alone.
    if (Number(daqDirectory) > 2_147_483_647) continue;
    if (await daqStillRuns(context.db, Number(daqDirectory))) continue;
    const directory = join(root, daqDirectory);
    for (const name of await numberedEntries(directory, 'file')) {
      if (await removeIfThere(join(directory, name))) removed.push(join(directory, name));
    }
    // Files first, rows after (as above); the directory goes when empty, and a stranger's file keeps it.
    await deleteStagingOfDaq(context.db, Number(daqDirectory));
    await rmdir(directory).catch(() => undefined);
  }
  return removed;
}

/** Another api process sweeping at the same time may have removed it first: then it is not counted here. */
async function removeIfThere(path: string): Promise<boolean> {
  return unlink(path).then(
    () => true,
    (error: unknown) => {
      if (isCode(error, 'ENOENT')) return false;
      throw error;
    },
  );
}

/**
 * Names made of digits only, of entries of that type. Symlinks are neither; where the listing gives no
 * type (some NFS servers), `lstat`, which does not follow links either, tells.
 */
async function numberedEntries(directory: string, type: 'directory' | 'file'): Promise<string[]> {
  const handle = await opendir(directory).catch((error: unknown) => {
    if (isCode(error, 'ENOENT') || isCode(error, 'ENOTDIR')) return undefined;
    throw error;
  });
  const names: string[] = [];
  if (handle === undefined) return names;
  for await (const entry of handle) {
    if (!/^\d+$/.test(entry.name)) continue;
    const untyped = !entry.isDirectory() && !entry.isFile() && !entry.isSymbolicLink();
    const stats = untyped ? await lstat(join(directory, entry.name)).catch(() => undefined) : entry;
    if (type === 'directory' ? stats?.isDirectory() : stats?.isFile()) names.push(entry.name);
  }
  return names;
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
