/**
 * Where a DAQ agent's files wait while they are sent: `<experiment>/system/daq-staging/<daq>/<staging id>`,
 * on the same file system as `data/`, so taking a complete, verified file is a rename. The bytes the
 * server holds of a file are its staging file's size, so a sender that lost its connection resumes there.
 */
import { rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceContext } from '../context.ts';
import { type ExperimentRecord, findExperimentByName } from '../experiments/store.ts';
import { pathsOf } from '../storage/lifecycle.ts';
import { deleteStaging, deleteStagingOfDaq, stagingOfEndedDaqs } from './staging-store.ts';

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
