/**
 * The live events of a DAQ (docs/api.md, "Live events"): `daq.status` in the transaction of each status
 * change, and `daq.progress` with its counters at most once a second while files come in.
 */
import type { Kysely } from 'kysely';
import type { ServiceContext } from '../context.ts';
import type { DaqStatus, Database } from '../db/tables.ts';
import { type DaqRecord, findDaq } from './records.ts';
import * as store from './store.ts';

/** What the DAQ has taken, from the catalog (as `GET /daqs/{id}` counts it). */
async function counters(db: Kysely<Database>, daqId: number, errors: number) {
  const { files, bytes } = (await store.takenBy(db, [daqId])).get(daqId) ?? { files: 0, bytes: 0 };
  return { nFiles: files + errors, nProcessedFiles: files, nProcessingErrors: errors, nBytes: bytes };
}

/** Inside the transaction of the change. */
export async function publishDaqStatus(
  context: ServiceContext,
  trx: Kysely<Database>,
  daq: { id: number; experiment_id: number; n_processing_errors: number },
  status: DaqStatus,
  previousStatus: string | null,
): Promise<void> {
  const payload = status === 'pending' ? {} : await counters(trx, daq.id, daq.n_processing_errors);
  await context.events.publish(trx, {
    type: 'daq.status',
    experimentId: daq.experiment_id,
    subjectId: daq.id,
    payload: { status, previousStatus, ...payload },
  });
}

/** Ends a pending or running DAQ and says so, in one transaction; false if it had already ended. */
export async function endDaqWithEvent(
  context: ServiceContext,
  daq: DaqRecord,
  status: 'done' | 'failed' | 'aborted',
): Promise<boolean> {
  return context.db.transaction().execute(async (trx) => {
    const current = await findDaq(trx, daq.id);
    if (!current || !(await store.endDaq(trx, daq.id, status, context.now()))) return false;
    await publishDaqStatus(context, trx, current, status, current.status);
    return true;
  });
}

/**
 * For a running monitor: call `changed()` when a file was taken and `publishIfDue` after each scan; a
 * `daq.progress` event goes out when something changed and a second has passed since the last one.
 */
export function daqProgressEvents(context: ServiceContext, daq: { id: number; experiment_id: number }) {
  let dirty = false;
  let lastErrors: number | undefined;
  let lastAt = Number.NEGATIVE_INFINITY;
  return {
    changed() {
      dirty = true;
    },
    async publishIfDue(errors: number, lastError: string | null): Promise<void> {
      if ((!dirty && errors === lastErrors) || performance.now() - lastAt < 1_000) return;
      dirty = false;
      lastErrors = errors;
      lastAt = performance.now();
      await context.events.publish(context.db, {
        type: 'daq.progress',
        experimentId: daq.experiment_id,
        subjectId: daq.id,
        payload: { status: 'running', ...(await counters(context.db, daq.id, errors)), lastError },
      });
    },
  };
}
