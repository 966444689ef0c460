/**
 * Reading experiments: what other concepts need of experiments/ (a record by name or id, the experiments a
 * user may see). It holds its own SQL, as experiments' read interface: other folders read experiments here,
 * never through store.ts, which keeps the SQL of the changes experiments/ makes.
 */

import type { Kysely } from 'kysely';
import { readsExperiment } from '../authorization/experiment-readers.ts';
import type { Database, ExperimentRow } from '../db/tables.ts';

export interface ExperimentRecord extends ExperimentRow {
  station_name: string;
  type_name: string | null;
  /**
   * From the catalog's `file_totals` (null before the first file; PostgreSQL returns bigints as strings).
   * Optional: code that reads experiments without this join (storage permissions) still has a record.
   */
  file_count?: number | string | null;
  byte_count?: number | string | null;
}

export function selectExperiments(db: Kysely<Database>) {
  return db
    .selectFrom('experiments as e')
    .innerJoin('stations as s', 's.id', 'e.station_id')
    .leftJoin('experiment_types as t', 't.id', 'e.type_id')
    .leftJoin('file_totals as ft', 'ft.experiment_id', 'e.id')
    .selectAll('e')
    .select(['s.name as station_name', 't.name as type_name', 'ft.file_count', 'ft.byte_count']);
}

export async function findExperimentByName(
  db: Kysely<Database>,
  name: string,
): Promise<ExperimentRecord | undefined> {
  return selectExperiments(db).where('e.name', '=', name).executeTakeFirst();
}

export async function findExperimentById(
  db: Kysely<Database>,
  id: number,
): Promise<ExperimentRecord | undefined> {
  return selectExperiments(db).where('e.id', '=', id).executeTakeFirst();
}

/** Ids of the experiments a user belongs to or whose station they manage. */
export async function visibleExperimentIds(db: Kysely<Database>, userId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('experiments as e')
    .select('e.id')
    .where((eb) => readsExperiment(eb, userId))
    .execute();
  return rows.map((r) => r.id);
}
