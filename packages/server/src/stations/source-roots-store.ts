import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.ts';

export interface SourceRootRecord {
  path: string;
  created_by: string;
  created_at: string;
}

export async function sourceRootsOf(db: Kysely<Database>, stationId: number): Promise<SourceRootRecord[]> {
  return db
    .selectFrom('station_source_roots')
    .select(['path', 'created_by', 'created_at'])
    .where('station_id', '=', stationId)
    .orderBy('path')
    .execute();
}

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

/** The account a station's sources are read as: its own, else the site's unprivileged `stageAccount`. */
export async function sourceAccountOf(
  db: Kysely<Database>,
  stationId: number,
): Promise<string | null | undefined> {
  const row = await db
    .selectFrom('stations')
    .select('source_account')
    .where('id', '=', stationId)
    .executeTakeFirst();
  return row?.source_account;
}
