/**
 * Moves an experiment's storage between the states of its intent log (see `StorageState`):
 * pending --(tree made)--> ready --(delete asked)--> deleting --(tree removed)--> row gone.
 * Every step is idempotent, so the reconciler can repeat whatever a crash interrupted.
 */
import type { Kysely } from 'kysely';
import type { AuditEntry } from '../audit/record.ts';
import { recordAudit } from '../audit/record.ts';
import type { ServiceContext } from '../context.ts';
import type { Database } from '../db/tables.ts';
import { AppError } from '../errors/app-error.ts';
import { refreshPermissions } from './experiment-permissions.ts';
import {
  createExperimentTree,
  pathsOf,
  removeExperimentTree,
  TreeNotEmptyError,
  treeHoldsFiles,
} from './experiment-tree.ts';
import type { StoredExperiment } from './lookup.ts';
import {
  changeStorageState,
  countCatalogedFiles,
  deleteExperimentRow,
  lockStorageState,
  unfinishedWork,
} from './store.ts';

/** Makes the tree of a `pending` experiment, then marks it ready. */
export async function finishCreation(context: ServiceContext, record: StoredExperiment): Promise<void> {
  await createExperimentTree(pathsOf(context, record));
  await refreshPermissions(context, record);
  await changeStorageState(context.db, record.id, ['pending'], 'ready');
}

/**
 * Marks a `ready` (or `pending`) experiment `deleting`, unless a DAQ, upload or job of it has not ended:
 * work that would write into a tree being removed (and whose records the deletion would take with the
 * experiment's). Run in one transaction holding the experiment's row, so no new work starts in between
 * (`requireAcceptingWork`).
 */
export async function beginDeletion(db: Kysely<Database>, record: StoredExperiment): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const state = await lockStorageState(trx, record.id, true);
    if (state === 'deleting') {
      throw new AppError('invalid_transition', `experiment "${record.name}" is already being deleted`, {
        experiment: record.name,
      });
    }
    if (state === undefined) throw new AppError('experiment_not_found', `no experiment "${record.name}"`);
    const work = await unfinishedWork(trx, record.id);
    const running = [
      ...work.daqs.map((id) => `DAQ ${id}`),
      ...work.uploads.map((id) => `upload ${id}`),
      ...work.jobs.map((id) => `job ${id}`),
    ];
    if (running.length > 0) {
      throw new AppError(
        'experiment_busy',
        `experiment "${record.name}" has work that has not ended (${running.join(', ')}): stop it first`,
        { experiment: record.name, ...work },
      );
    }
    await changeStorageState(trx, record.id, ['ready', 'pending'], 'deleting');
  });
}

/** Whether the experiment still holds files: cataloged ones, or any in its tree besides partial copies. */
export async function holdsFiles(context: ServiceContext, record: StoredExperiment): Promise<boolean> {
  return (
    (await countCatalogedFiles(context.db, record.id)) > 0 || (await treeHoldsFiles(pathsOf(context, record)))
  );
}

/** Gives up a `pending` experiment whose tree could not be made: `deleting` now, for `finishDeletion`. */
export async function abandonCreation(
  db: Kysely<Database>,
  record: Pick<StoredExperiment, 'id'>,
): Promise<void> {
  await changeStorageState(db, record.id, ['pending'], 'deleting');
}

/**
 * Refuses new work (a DAQ, an upload, a job) for an experiment being deleted. Call it inside the
 * transaction that records the work: it holds the experiment's row until that ends (see `beginDeletion`).
 */
export async function requireAcceptingWork(
  trx: Kysely<Database>,
  experiment: Pick<StoredExperiment, 'id' | 'name'>,
): Promise<void> {
  const state = await lockStorageState(trx, experiment.id, false);
  if (state === undefined) throw new AppError('experiment_not_found', `no experiment "${experiment.name}"`);
  if (state === 'deleting') {
    throw new AppError('experiment_deleting', `experiment "${experiment.name}" is being deleted`, {
      experiment: experiment.name,
    });
  }
}

/**
 * Removes the tree of a `deleting` experiment, then the row (with its audit record, in one transaction).
 * If files appeared meanwhile the experiment goes back to `ready` and nothing is deleted.
 */
export async function finishDeletion(
  context: ServiceContext,
  record: StoredExperiment,
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
