/** The SQL of server secrets (table `server_secrets`, see db/tables.ts). */
import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.ts';

export const downloadKeyName = 'download-link-key';

export async function findSecret(db: Kysely<Database>, name: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('server_secrets')
    .select('value')
    .where('name', '=', name)
    .executeTakeFirst();
  return row?.value;
}

/** Stores the first value only: processes starting together on one database all keep the winner's. */
export async function insertSecretOnce(db: Kysely<Database>, name: string, value: string, now: string) {
  await db
    .insertInto('server_secrets')
    .values({ name, value, updated_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
}

export async function replaceSecret(db: Kysely<Database>, name: string, value: string, now: string) {
  await db
    .insertInto('server_secrets')
    .values({ name, value, updated_at: now })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value, updated_at: now }))
    .execute();
}
