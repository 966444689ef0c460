/** The SQL behind the policy: which stations a user manages. */
import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.ts';

export async function managesStation(
  db: Kysely<Database>,
  userId: number,
  stationId: number,
): Promise<boolean> {
  const row = await db
    .selectFrom('station_managers')
    .select('user_id')
    .where('station_id', '=', stationId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function managesAny(db: Kysely<Database>, userId: number): Promise<boolean> {
  const row = await db
    .selectFrom('station_managers')
    .select('user_id')
    .where('user_id', '=', userId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export async function stationIdsManagedBy(db: Kysely<Database>, userId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('station_managers')
    .select('station_id')
    .where('user_id', '=', userId)
    .execute();
  return rows.map((r) => r.station_id);
}
