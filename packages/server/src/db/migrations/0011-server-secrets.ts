/**
 * Secrets every API process must share, such as the key that signs download links. Kept in the database,
 * not in a data directory, so that several api hosts on one PostgreSQL agree on it without copying a file,
 * and a rotation (one UPDATE) reaches all of them at once: each reads the key when it signs or checks a link.
 */
import type { Kysely } from 'kysely';
import type { Migration } from './migration.ts';

export function serverSecrets(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('server_secrets')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
