import { systemActorName } from '../auth/principal.ts';
import type { ServiceContext } from '../context.ts';
import { experimentsInStorageState } from '../experiments/store.ts';
import { finishCreation, finishDeletion } from './lifecycle.ts';
import { sweepPartialFiles } from './partial-sweep.ts';

export interface ReconcileReport {
  created: string[];
  deleted: string[];
  failed: { name: string; error: string }[];
  /** Temp files of interrupted copies removed by the age-based sweep (0 when it did not run). */
  partialFilesRemoved: number;
}

export interface ReconcileOptions {
  /** Whether to sweep old temp files this time (default true); see `partialSweepIntervalMs`. */
  sweepPartialFiles?: boolean;
}

/**
 * Finishes what a crash (or an unavailable disk) left half done: experiments still `pending` get their
 * tree, experiments still `deleting` lose it and their row. Runs at start before the API serves, and then
 * periodically. Safe to run in several processes at once: every step is idempotent and guarded. Old temp
 * files are swept first, so a leftover one no longer blocks the deletion of its experiment.
 */
export async function reconcileStorage(
  context: ServiceContext,
  options: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const report: ReconcileReport = { created: [], deleted: [], failed: [], partialFilesRemoved: 0 };
  if (options.sweepPartialFiles ?? true) {
    report.partialFilesRemoved = (await sweepPartialFiles(context)).removed;
  }
  for (const record of await experimentsInStorageState(context.db, ['pending', 'deleting'])) {
    try {
      if (record.storage_state === 'pending') {
        await finishCreation(context, record);
        report.created.push(record.name);
      } else {
        await finishDeletion(
          context,
          record,
          { actor: systemActorName, requestId: null },
          {
            action: 'experiment.delete',
            targetType: 'experiment',
            targetName: record.name,
            stationName: record.station_name,
            experimentName: record.name,
            details: { finishedBy: 'storage reconciliation' },
          },
        );
        report.deleted.push(record.name);
      }
    } catch (error) {
      report.failed.push({
        name: record.name,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  if (report.created.length + report.deleted.length + report.failed.length > 0) {
    context.logger.warn({ ...report }, 'storage reconciliation finished interrupted work');
  }
  return report;
}

/**
 * How often the periodic reconciler also sweeps temp files: a quarter of their maximum age, so a leftover
 * is gone between 1 and 1.25 times that age, while a storage root of millions of files is walked a few
 * times an hour rather than every minute. The first sweep runs a minute after start, not during it.
 *
 * @example
 * partialSweepIntervalMs(loadSettings()) // 900000 (15 minutes, for the default age of 60)
 */
export function partialSweepIntervalMs(settings: { partialFileMaxAgeMinutes: number }): number {
  return (settings.partialFileMaxAgeMinutes * 60_000) / 4;
}
