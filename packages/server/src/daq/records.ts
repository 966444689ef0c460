/**
 * A DAQ's record as other concepts use it: the agent API finds a DAQ, lists the ones an agent may claim,
 * renews its lease and reads the files it took. It holds its own SQL, as daq's narrow interface: other
 * folders use DAQ records here, never through store.ts, which keeps the SQL of creating, listing and
 * ending DAQs.
 */
import type { Kysely } from 'kysely';
import type { DaqRow, Database } from '../db/tables.ts';

export interface DaqRecord extends DaqRow {
  experiment_name: string;
}

/** The base of every read of DAQ records, here and in store.ts. */
export function selectDaqs(db: Kysely<Database>) {
  return db
    .selectFrom('daqs as d')
    .innerJoin('experiments as e', 'e.id', 'd.experiment_id')
    .selectAll('d')
    .select('e.name as experiment_name');
}

export async function findDaq(db: Kysely<Database>, id: number): Promise<DaqRecord | undefined> {
  return selectDaqs(db).where('d.id', '=', id).executeTakeFirst();
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
