/**
 * The unix accounts each station's workflows may run as (table station_accounts, migration 0009).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.ts';

export interface StationAccountRow {
  stationId: number;
  stationName: string;
  account: string;
  addedBy: string;
  addedAt: string;
}

function accountsQuery(db: Kysely<Database>) {
  return db
    .selectFrom('station_accounts as a')
    .innerJoin('stations as s', 's.id', 'a.station_id')
    .select([
      'a.station_id as stationId',
      's.name as stationName',
      'a.account',
      'a.added_by as addedBy',
      'a.added_at as addedAt',
    ]);
}

export async function accountsOfStation(
  db: Kysely<Database>,
  stationId: number,
): Promise<StationAccountRow[]> {
  return await accountsQuery(db).where('a.station_id', '=', stationId).orderBy('a.account').execute();
}

/** The stations whose lists hold the account, by name. */
export async function stationsListing(db: Kysely<Database>, account: string): Promise<StationAccountRow[]> {
  return await accountsQuery(db).where('a.account', '=', account).orderBy('s.name').execute();
}

/** The accounts on the lists of the given stations (the owners a station manager's scope reaches). */
export async function accountsOfStations(db: Kysely<Database>, stationIds: number[]): Promise<string[]> {
  if (stationIds.length === 0) return [];
  const rows = await db
    .selectFrom('station_accounts')
    .select('account')
    .distinct()
    .where('station_id', 'in', stationIds)
    .execute();
  return rows.map((row) => row.account);
}

export async function isListed(db: Kysely<Database>, stationId: number, account: string): Promise<boolean> {
  const row = await db
    .selectFrom('station_accounts')
    .select('account')
    .where('station_id', '=', stationId)
    .where('account', '=', account)
    .executeTakeFirst();
  return row !== undefined;
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
