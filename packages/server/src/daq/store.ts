import type { Kysely } from 'kysely';
import { statusesBefore } from '../claims/transitions.ts';
import type { DaqRow, DaqStatus, Database } from '../db/tables.ts';
import { type DaqRecord, selectDaqs } from './records.ts';
import { daqTransitions } from './transitions.ts';

export async function insertDaq(
  db: Kysely<Database>,
  values: Omit<
    DaqRow,
    | 'id'
    | 'status'
    | 'n_processing_errors'
    | 'last_error'
    | 'errors'
    | 'lease_owner'
    | 'lease_expires_at'
    | 'start_time'
    | 'end_time'
    | 'source_account'
  > & { source_account?: string | null },
): Promise<number> {
  const row = await db
    .insertInto('daqs')
    .values({
      ...values,
      skip_patterns: values.skip_patterns as string,
      workflow_args: values.workflow_args as string,
      status: 'pending',
      n_processing_errors: 0,
      errors: '[]',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function listDaqs(
  db: Kysely<Database>,
  filter: {
    experimentIds?: number[];
    experimentName?: string;
    status?: DaqStatus;
    beforeId?: number;
    limit: number;
  },
): Promise<DaqRecord[]> {
  let query = selectDaqs(db)
    .orderBy('d.id', 'desc')
    .limit(filter.limit + 1);
  if (filter.experimentIds !== undefined) {
    if (filter.experimentIds.length === 0) return [];
    query = query.where('d.experiment_id', 'in', filter.experimentIds);
  }
  if (filter.experimentName !== undefined) query = query.where('e.name', '=', filter.experimentName);
  if (filter.status !== undefined) query = query.where('d.status', '=', filter.status);
  if (filter.beforeId !== undefined) query = query.where('d.id', '<', filter.beforeId);
  return query.execute();
}

/** Ends a DAQ that is pending or running (by its owner at `stop_at`, or by a person). */
export async function endDaq(
  db: Kysely<Database>,
  id: number,
  status: 'done' | 'failed' | 'aborted',
  now: string,
): Promise<boolean> {
  const result = await db
    .updateTable('daqs')
    .set({ status, end_time: now, lease_owner: null, lease_expires_at: null, updated_at: now })
    .where('id', '=', id)
    .where('status', 'in', statusesBefore(daqTransitions, status))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** What a DAQ took, counted from the catalog itself, so the figures survive any crash exactly. */
export async function takenBy(
  db: Kysely<Database>,
  daqIds: number[],
): Promise<Map<number, { files: number; bytes: number }>> {
  const result = new Map<number, { files: number; bytes: number }>();
  if (daqIds.length === 0) return result;
  const rows = await db
    .selectFrom('files')
    .select((eb) => [
      'origin_id',
      eb.fn.countAll<number>().as('files'),
      eb.fn.sum<number>('size').as('bytes'),
    ])
    .where('origin_type', '=', 'daq')
    .where('origin_id', 'in', daqIds)
    .groupBy('origin_id')
    .execute();
  for (const row of rows) {
    // Never null: the query asks for these DAQs' ids.
    if (row.origin_id !== null)
      result.set(row.origin_id, { files: Number(row.files), bytes: Number(row.bytes ?? 0) });
  }
  return result;
}
