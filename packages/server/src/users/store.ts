import type { Kysely } from 'kysely';
import type { DialectProfile } from '../db/profile.ts';
import { containsText } from '../db/search.ts';
import type { Database, NewUserRow, UserRow, UserUpdate } from '../db/tables.ts';

export async function insertUser(db: Kysely<Database>, values: NewUserRow): Promise<UserRow> {
  return db.insertInto('users').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function updateUser(db: Kysely<Database>, id: number, values: UserUpdate): Promise<UserRow> {
  return db.updateTable('users').set(values).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

export async function countActiveAdmins(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('is_admin', '=', 1)
    .where('disabled_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listUsers(
  db: Kysely<Database>,
  profile: DialectProfile,
  filter: { search?: string; onlyUserId?: number; afterName?: string; limit: number },
): Promise<UserRow[]> {
  let query = db
    .selectFrom('users')
    .selectAll()
    .orderBy('username')
    .limit(filter.limit + 1);
  if (filter.onlyUserId !== undefined) query = query.where('id', '=', filter.onlyUserId);
  if (filter.afterName !== undefined) query = query.where('username', '>', filter.afterName);
  if (filter.search) {
    const text = filter.search;
    query = query.where((eb) =>
      eb.or(['username', 'email', 'display_name'].map((column) => containsText(profile, column, text))),
    );
  }
  return query.execute();
}

/** Station names managed by each of the given users. */
export async function managedStationsOf(
  db: Kysely<Database>,
  userIds: number[],
): Promise<Map<number, string[]>> {
  const result = new Map<number, string[]>();
  if (userIds.length === 0) return result;
  const rows = await db
    .selectFrom('station_managers as m')
    .innerJoin('stations as s', 's.id', 'm.station_id')
    .select(['m.user_id', 's.name'])
    .where('m.user_id', 'in', userIds)
    .orderBy('s.name')
    .execute();
  for (const row of rows) result.set(row.user_id, [...(result.get(row.user_id) ?? []), row.name]);
  return result;
}
