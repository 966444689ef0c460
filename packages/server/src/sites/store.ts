import type { Kysely } from 'kysely';
import type { Database, SiteRow, SitesTable } from '../db/tables.ts';

export type SiteValues = Omit<SitesTable, 'id' | 'created_at' | 'updated_at'>;

export async function insertSite(db: Kysely<Database>, values: SiteValues, now: string): Promise<SiteRow> {
  return db
    .insertInto('sites')
    .values({ ...values, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateSite(
  db: Kysely<Database>,
  id: number,
  values: Partial<SiteValues>,
  now: string,
): Promise<SiteRow> {
  return db
    .updateTable('sites')
    .set({ ...values, updated_at: now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteSite(db: Kysely<Database>, id: number): Promise<void> {
  await db.deleteFrom('sites').where('id', '=', id).execute();
}

export async function listSites(
  db: Kysely<Database>,
  filter: { afterName?: string; limit: number },
): Promise<SiteRow[]> {
  let query = db
    .selectFrom('sites')
    .selectAll()
    .orderBy('name')
    .limit(filter.limit + 1);
  if (filter.afterName !== undefined) query = query.where('name', '>', filter.afterName);
  return query.execute();
}
