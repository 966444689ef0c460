/** SQL of clearing staging rows (one per file version a DAQ agent is sending) of DAQs that ended. */
import type { Kysely } from 'kysely';
import type { DaqStagingRow, Database } from '../db/tables.ts';

export async function deleteStagingOfDaq(db: Kysely<Database>, daqId: number): Promise<void> {
  await db.deleteFrom('daq_staging').where('daq_id', '=', daqId).execute();
}

/** Staging rows of DAQs that ended: what they held will never be committed. */
export async function stagingOfEndedDaqs(
  db: Kysely<Database>,
): Promise<(DaqStagingRow & { experiment_name: string })[]> {
  return db
    .selectFrom('daq_staging as s')
    .innerJoin('daqs as d', 'd.id', 's.daq_id')
    .innerJoin('experiments as e', 'e.id', 'd.experiment_id')
    .selectAll('s')
    .select('e.name as experiment_name')
    .where('d.status', 'not in', ['pending', 'running'])
    .execute();
}

/**
 * Whether this DAQ (of an experiment that exists) is pending or running: its agent may still resume from
 * the bytes staged, so its staging files are kept.
 */
export async function daqStillRuns(db: Kysely<Database>, daqId: number): Promise<boolean> {
  const row = await db
    .selectFrom('daqs as d')
    .innerJoin('experiments as e', 'e.id', 'd.experiment_id')
    .select('d.status')
    .where('d.id', '=', daqId)
    .executeTakeFirst();
  return row !== undefined && (row.status === 'pending' || row.status === 'running');
}
