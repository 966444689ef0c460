/**
 * Finding a station by name: what other concepts need of stations/. It holds its own SQL, as stations' read
 * interface: other folders read stations here, never through store.ts, which keeps the SQL of their changes.
 */
import type { Kysely } from 'kysely';
import type { Database, StationRow } from '../db/tables.ts';

export async function findStationByName(db: Kysely<Database>, name: string): Promise<StationRow | undefined> {
  return db.selectFrom('stations').selectAll().where('name', '=', name).executeTakeFirst();
}
