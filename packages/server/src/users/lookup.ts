/**
 * Finding users: what other concepts need of users/ (an account by name or id, a user's stage-process
 * limit). It holds its own SQL, as users' read interface: other folders read accounts here, never through
 * store.ts, which keeps the SQL of the changes users/ makes.
 */
import type { Kysely } from 'kysely';
import type { Database, UserRow } from '../db/tables.ts';

export async function findUserByName(db: Kysely<Database>, username: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
}

export async function findUserById(db: Kysely<Database>, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findUsersByName(db: Kysely<Database>, usernames: string[]): Promise<UserRow[]> {
  if (usernames.length === 0) return [];
  return db.selectFrom('users').selectAll().where('username', 'in', usernames).execute();
}

/** The limit admins set on a user's stage processes; null when none (the site's limit alone). */
export async function findStageProcessLimit(db: Kysely<Database>, id: number): Promise<number | null> {
  const row = await db
    .selectFrom('users')
    .select('max_stage_processes')
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.max_stage_processes ?? null;
}
