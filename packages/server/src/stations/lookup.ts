/**
 * Reading stations: what other concepts need of stations/ (a station by name, the unix accounts each
 * station's workflows may run as, where its data may come from and as which account). It holds its own SQL,
 * as stations' read interface: other folders read stations here, never through store.ts, accounts-store.ts
 * or source-roots-store.ts, which keep the SQL of the changes stations/ makes.
 */
import type { Kysely } from 'kysely';
import type { Database, StationRow } from '../db/tables.ts';

export async function findStationByName(db: Kysely<Database>, name: string): Promise<StationRow | undefined> {
  return db.selectFrom('stations').selectAll().where('name', '=', name).executeTakeFirst();
}

export interface StationAccountRow {
  stationId: number;
  stationName: string;
  account: string;
  addedBy: string;
  addedAt: string;
}

/** The base of every read of station accounts, here and in accounts-store.ts. */
export function accountsQuery(db: Kysely<Database>) {
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
