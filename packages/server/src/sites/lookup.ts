/**
 * Reading sites: what other concepts need of sites/ (a site by name, to check a stage may run there). It
 * holds its own SQL, as sites' read interface; store.ts keeps the SQL of the changes sites/ makes.
 */
import type { Kysely } from 'kysely';
import type { Database, SiteRow } from '../db/tables.ts';

/** The site every stage runs at unless it names another: the host of the jobs role. Never a row. */
export const localSiteName = 'local';

export async function findSiteByName(db: Kysely<Database>, name: string): Promise<SiteRow | undefined> {
  return db.selectFrom('sites').selectAll().where('name', '=', name).executeTakeFirst();
}
