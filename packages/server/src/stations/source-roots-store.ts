import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.ts';

/** Idempotent: adding a root twice leaves one row. Returns whether a row was added. */
export async function addSourceRoot(
  db: Kysely<Database>,
  values: { stationId: number; path: string; createdBy: string; now: string },
): Promise<boolean> {
  const result = await db
    .insertInto('station_source_roots')
    .values({
      station_id: values.stationId,
      path: values.path,
      created_by: values.createdBy,
      created_at: values.now,
    })
    .onConflict((oc) => oc.columns(['station_id', 'path']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function removeSourceRoot(
  db: Kysely<Database>,
  stationId: number,
  path: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('station_source_roots')
    .where('station_id', '=', stationId)
    .where('path', '=', path)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function setSourceAccount(
  db: Kysely<Database>,
  stationId: number,
  account: string | null,
  now: string,
): Promise<void> {
  await db
    .updateTable('stations')
    .set({ source_account: account, updated_at: now })
    .where('id', '=', stationId)
    .execute();
}
