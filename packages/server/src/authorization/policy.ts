/**
 * Who may do what. Admins do everything; a station's managers run that station's experiments and their
 * members; an experiment's PI and users read it. Each rule is a question about the data, asked by services.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.ts';
import { AppError } from '../errors/app-error.ts';
import type { Principal } from './principal.ts';
import { managesAny, managesStation, stationIdsManagedBy } from './store.ts';

export function requireAdmin(principal: Principal, what: string): void {
  if (!principal.isAdmin) throw new AppError('forbidden', `only admins may ${what}`);
}

export async function isStationManager(
  db: Kysely<Database>,
  principal: Principal,
  stationId: number,
): Promise<boolean> {
  if (principal.isAdmin) return true;
  return managesStation(db, principal.userId, stationId);
}

export async function managesAnyStation(db: Kysely<Database>, principal: Principal): Promise<boolean> {
  return managesAny(db, principal.userId);
}

/** Names of the stations the principal manages (all of them are implied for admins; callers check that). */
export async function managedStationIds(db: Kysely<Database>, principal: Principal): Promise<number[]> {
  return stationIdsManagedBy(db, principal.userId);
}
