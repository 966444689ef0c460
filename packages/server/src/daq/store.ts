import type { Kysely } from 'kysely';
import { statusesBefore } from '../claims/transitions.ts';
import type { DaqRow, DaqStatus, Database } from '../db/tables.ts';
import { daqTransitions } from './transitions.ts';

export interface DaqRecord extends DaqRow {
  experiment_name: string;
}

function selectDaqs(db: Kysely<Database>) {
  return db
    .selectFrom('daqs as d')
    .innerJoin('experiments as e', 'e.id', 'd.experiment_id')
    .selectAll('d')
    .select('e.name as experiment_name');
}

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

export async function findDaq(db: Kysely<Database>, id: number): Promise<DaqRecord | undefined> {
  return selectDaqs(db).where('d.id', '=', id).executeTakeFirst();
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

/** Renews the lease and saves the error state; false once the DAQ was stopped or taken over. */
export async function renewDaq(
  db: Kysely<Database>,
  id: number,
  owner: string,
  state: { n_processing_errors: number; last_error: string | null; errors: string },
  now: string,
  leaseUntil: string,
): Promise<boolean> {
  const result = await db
    .updateTable('daqs')
    .set({ ...state, lease_expires_at: leaseUntil, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
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

/** The agent DAQs an agent of this name could claim, with their station (for the staff check). */
export async function agentDaqCandidates(
  db: Kysely<Database>,
  agentName: string,
): Promise<{ id: number; experiment_id: number; station_id: number; station_name: string }[]> {
  return db
    .selectFrom('daqs as d')
    .innerJoin('experiments as e', 'e.id', 'd.experiment_id')
    .innerJoin('stations as s', 's.id', 'e.station_id')
    .select(['d.id', 'd.experiment_id', 'e.station_id', 's.name as station_name'])
    .where('d.mode', '=', 'agent')
    .where('d.agent_name', '=', agentName)
    .where('d.status', 'in', ['pending', 'running'])
    .execute();
}

/** What the catalog holds from this DAQ: an agent that claims it starts from this. */
export async function filesTakenBy(
  db: Kysely<Database>,
  daqId: number,
): Promise<{ path: string; size: number; mtime: string }[]> {
  return db
    .selectFrom('files')
    .select(['path', 'size', 'mtime'])
    .where('origin_type', '=', 'daq')
    .where('origin_id', '=', daqId)
    .execute();
}
