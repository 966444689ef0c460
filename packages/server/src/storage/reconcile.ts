import { systemActorName } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import { finishCreation, finishDeletion } from './lifecycle.ts';
import { experimentsInStorageState } from './lookup.ts';

export interface ReconcileReport {
  created: string[];
  deleted: string[];
  failed: { name: string; error: string }[];
}

/**
 * Finishes what a crash (or an unavailable disk) left half done: experiments still `pending` get their
 * tree, experiments still `deleting` lose it and their row. Runs at start before the API serves, and then
 * periodically. Safe to run in several processes at once: every step is idempotent and guarded. Temp
 * files of interrupted copies are swept by age on a slower cadence (partial-sweep.ts).
 */
export async function reconcileStorage(context: ServiceContext): Promise<ReconcileReport> {
  const report: ReconcileReport = { created: [], deleted: [], failed: [] };
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
