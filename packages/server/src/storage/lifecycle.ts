/**
 * Moves an experiment's storage between the states of its intent log (see `StorageState`):
 * pending --(tree made)--> ready --(delete asked)--> deleting --(tree removed)--> row gone.
 * Every step is idempotent, so the reconciler can repeat whatever a crash interrupted.
 */
import type { AuditEntry } from '../audit/store.ts';
import { recordAudit } from '../audit/store.ts';
import type { ServiceContext } from '../context.ts';
import { AppError } from '../errors/app-error.ts';
import { changeStorageState, deleteExperimentRow, type ExperimentRecord } from '../experiments/store.ts';
import { refreshPermissions } from './experiment-permissions.ts';
import {
  createExperimentTree,
  experimentPaths,
  removeExperimentTree,
  TreeNotEmptyError,
} from './experiment-tree.ts';

export function pathsOf(context: ServiceContext, record: Pick<ExperimentRecord, 'station_name' | 'name'>) {
  return experimentPaths(context.settings.storageRoot, record.station_name, record.name);
}

/** Makes the tree of a `pending` experiment, then marks it ready. */
export async function finishCreation(context: ServiceContext, record: ExperimentRecord): Promise<void> {
  await createExperimentTree(pathsOf(context, record));
  await refreshPermissions(context, record);
  await changeStorageState(context.db, record.id, ['pending'], 'ready');
}

/**
 * Removes the tree of a `deleting` experiment, then the row (with its audit record, in one transaction).
 * If files appeared meanwhile the experiment goes back to `ready` and nothing is deleted.
 */
export async function finishDeletion(
  context: ServiceContext,
  record: ExperimentRecord,
  who: { actor: string; requestId: string | null },
  audit: AuditEntry,
): Promise<void> {
  try {
    await removeExperimentTree(pathsOf(context, record));
  } catch (error) {
    if (!(error instanceof TreeNotEmptyError)) throw error;
    await changeStorageState(context.db, record.id, ['deleting'], 'ready');
    throw new AppError(
      'experiment_not_empty',
      `experiment "${record.name}" still holds files in ${error.directory}`,
      {
        experiment: record.name,
      },
    );
  }
  await context.db.transaction().execute(async (trx) => {
    if (await deleteExperimentRow(trx, record.id, 'deleting')) {
      await recordAudit(trx, { ...who, now: context.now() }, audit);
    }
  });
}

export function storageUnavailable(name: string, error: unknown): AppError {
  const reason = error instanceof Error ? error.message : String(error);
  return new AppError('storage_unavailable', `the storage of "${name}" is not usable: ${reason}`, {
    experiment: name,
  });
}
