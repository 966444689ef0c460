/**
 * Who may do what. Admins do everything; a station's managers run that station's experiments and their
 * members; an experiment's PI and users read it. Each rule is a question about the data, asked by services.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.ts';
import { AppError } from '../errors/app-error.ts';
import type { Principal } from './principal.ts';

export function requireAdmin(principal: Principal, what: string): void {
  if (!principal.isAdmin) throw new AppError('forbidden', `only admins may ${what}`);
}

export async function isStationManager(
  db: Kysely<Database>,
  principal: Principal,
  stationId: number,
): Promise<boolean> {
  if (principal.isAdmin) return true;
  const row = await db
    .selectFrom('station_managers')
    .select('user_id')
    .where('station_id', '=', stationId)
    .where('user_id', '=', principal.userId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function managesAnyStation(db: Kysely<Database>, principal: Principal): Promise<boolean> {
  const row = await db
    .selectFrom('station_managers')
    .select('user_id')
    .where('user_id', '=', principal.userId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Names of the stations the principal manages (all of them are implied for admins; callers check that). */
export async function managedStationIds(db: Kysely<Database>, principal: Principal): Promise<number[]> {
  const rows = await db
    .selectFrom('station_managers')
    .select('station_id')
    .where('user_id', '=', principal.userId)
    .execute();
  return rows.map((r) => r.station_id);
}
