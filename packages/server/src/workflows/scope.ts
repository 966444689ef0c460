/**
 * Whose workflows someone may write, read and run. A workflow's `owner` is a name space: a Photon DM user,
 * or a unix account on a station's run-as list (a beamline account such as `s8iduser`).
 * - write (upsert, delete): admins every owner; a station manager themselves and the accounts on the lists
 *   of the stations they manage; anyone else only themselves. Never an admin's name unless one is admin.
 * - read (show, list): what they may write, plus the workflows owned by the accounts of every station where
 *   they are a member of an experiment (how a beamline's standard workflows serve its users).
 * - run (start a job, per file, from a DAQ, resubmit): what they may write, plus, on an experiment they may
 *   read, the workflows owned by the accounts of that experiment's station.
 * A workflow outside someone's read scope does not exist for them: 404 workflow_not_found, never 403.
 */
import type { Kysely } from 'kysely';
import type { Principal } from '../authorization/principal.ts';
import type { Database } from '../db/tables.ts';
import { accountsOfStations, isListed } from '../stations/lookup.ts';

/** Who asks: a signed-in user, or the user who started a DAQ whose files start jobs. */
export type Asker = Pick<Principal, 'userId' | 'username' | 'isAdmin'>;

/** Owner names a scope reaches, or every owner (admins). */
export type Owners = 'all' | Set<string>;

async function adminNames(db: Kysely<Database>, names: string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const rows = await db
    .selectFrom('users')
    .select('username')
    .where('username', 'in', names)
    .where('is_admin', '=', 1)
    .execute();
  return new Set(rows.map((row) => row.username));
}

/** The owners besides themselves, minus admins' names: a station list must not open an admin's workflows. */
async function ownersOf(db: Kysely<Database>, asker: Asker, stationIds: number[]): Promise<Set<string>> {
  const accounts = (await accountsOfStations(db, stationIds)).filter((name) => name !== asker.username);
  const admins = await adminNames(db, accounts);
  return new Set([asker.username, ...accounts.filter((name) => !admins.has(name))]);
}

async function managedStations(db: Kysely<Database>, userId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('station_managers')
    .select('station_id')
    .where('user_id', '=', userId)
    .execute();
  return rows.map((row) => row.station_id);
}

async function memberStations(db: Kysely<Database>, userId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('experiment_members as m')
    .innerJoin('experiments as e', 'e.id', 'm.experiment_id')
    .select('e.station_id')
    .distinct()
    .where('m.user_id', '=', userId)
    .execute();
  return rows.map((row) => row.station_id);
}

export async function writableOwners(db: Kysely<Database>, asker: Asker): Promise<Owners> {
  if (asker.isAdmin) return 'all';
  return await ownersOf(db, asker, await managedStations(db, asker.userId));
}

export async function readableOwners(db: Kysely<Database>, asker: Asker): Promise<Owners> {
  if (asker.isAdmin) return 'all';
  const stations = new Set([
    ...(await managedStations(db, asker.userId)),
    ...(await memberStations(db, asker.userId)),
  ]);
  return await ownersOf(db, asker, [...stations]);
}

export function reaches(owners: Owners, owner: string): boolean {
  return owners === 'all' || owners.has(owner);
}

export async function mayWrite(db: Kysely<Database>, asker: Asker, owner: string): Promise<boolean> {
  return reaches(await writableOwners(db, asker), owner);
}

export async function mayRead(db: Kysely<Database>, asker: Asker, owner: string): Promise<boolean> {
  return reaches(await readableOwners(db, asker), owner);
}

/**
 * Whether a job of the owner's workflow may start; the caller has checked that the asker may read the
 * experiment (or, for a DAQ, that the DAQ belongs to it).
 */
export async function mayRun(
  db: Kysely<Database>,
  asker: Asker,
  owner: string,
  experiment: { station_id: number } | null,
): Promise<boolean> {
  if (await mayWrite(db, asker, owner)) return true;
  if (experiment === null || !(await isListed(db, experiment.station_id, owner))) return false;
  return !(await adminNames(db, [owner])).has(owner);
}
