import type { Kysely } from 'kysely';
import type { Database, StationRow } from '../db/tables.ts';

export async function insertStation(
  db: Kysely<Database>,
  values: { name: string; description: string | null; now: string },
): Promise<StationRow> {
  return db
    .insertInto('stations')
    .values({
      name: values.name,
      description: values.description,
      created_at: values.now,
      updated_at: values.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateStationDescription(
  db: Kysely<Database>,
  id: number,
  description: string | null,
  now: string,
): Promise<StationRow> {
  return db
    .updateTable('stations')
    .set({ description, updated_at: now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listStations(
  db: Kysely<Database>,
  filter: { afterName?: string; limit: number },
): Promise<StationRow[]> {
  let query = db
    .selectFrom('stations')
    .selectAll()
    .orderBy('name')
    .limit(filter.limit + 1);
  if (filter.afterName !== undefined) query = query.where('name', '>', filter.afterName);
  return query.execute();
}

export async function managersOf(db: Kysely<Database>, stationIds: number[]): Promise<Map<number, string[]>> {
  const result = new Map<number, string[]>();
  if (stationIds.length === 0) return result;
  const rows = await db
    .selectFrom('station_managers as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.station_id', 'u.username'])
    .where('m.station_id', 'in', stationIds)
    .orderBy('u.username')
    .execute();
  for (const row of rows) result.set(row.station_id, [...(result.get(row.station_id) ?? []), row.username]);
  return result;
}

/** Idempotent: adding a manager twice leaves one row. Returns whether a row was added. */
export async function addManager(
  db: Kysely<Database>,
  stationId: number,
  userId: number,
  now: string,
): Promise<boolean> {
  const result = await db
    .insertInto('station_managers')
    .values({ station_id: stationId, user_id: userId, created_at: now })
    .onConflict((oc) => oc.columns(['station_id', 'user_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function removeManager(
  db: Kysely<Database>,
  stationId: number,
  userId: number,
): Promise<boolean> {
  const result = await db
    .deleteFrom('station_managers')
    .where('station_id', '=', stationId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}
