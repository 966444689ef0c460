/**
 * Experiments as storage sees them: what other concepts need of storage/ (the experiments whose trees are
 * in a given state). It holds its own SQL, as storage's read interface: other folders read storage states
 * here, never through store.ts, which keeps the SQL of changing them.
 */
import type { Kysely } from 'kysely';
import type { Database, ExperimentRow, StorageState } from '../db/tables.ts';

/** An experiment as storage reads it: its row and the names its tree lies under. */
export interface StoredExperiment extends ExperimentRow {
  station_name: string;
  type_name: string | null;
}

/** The base of every read of stored experiments, here and in store.ts. */
export function selectStoredExperiments(db: Kysely<Database>) {
  return db
    .selectFrom('experiments as e')
    .innerJoin('stations as s', 's.id', 'e.station_id')
    .leftJoin('experiment_types as t', 't.id', 'e.type_id')
    .selectAll('e')
    .select(['s.name as station_name', 't.name as type_name']);
}

export async function experimentsInStorageState(
  db: Kysely<Database>,
  states: StorageState[],
): Promise<StoredExperiment[]> {
  return selectStoredExperiments(db).where('e.storage_state', 'in', states).orderBy('e.id').execute();
}
