/**
 * The unix accounts each station's workflows may run as (table station_accounts, migration 0009).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.ts';
import { accountsQuery, type StationAccountRow } from './lookup.ts';

export async function accountsOfStation(
  db: Kysely<Database>,
  stationId: number,
): Promise<StationAccountRow[]> {
  return await accountsQuery(db).where('a.station_id', '=', stationId).orderBy('a.account').execute();
}

/** Idempotent: returns whether a row was added. */
export async function addAccount(
  db: Kysely<Database>,
  values: { stationId: number; account: string; by: string; now: string },
): Promise<boolean> {
  const result = await db
    .insertInto('station_accounts')
    .values({
      station_id: values.stationId,
      account: values.account,
      added_by: values.by,
      added_at: values.now,
    })
    .onConflict((oc) => oc.columns(['station_id', 'account']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function removeAccount(
  db: Kysely<Database>,
  stationId: number,
  account: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('station_accounts')
    .where('station_id', '=', stationId)
    .where('account', '=', account)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}
