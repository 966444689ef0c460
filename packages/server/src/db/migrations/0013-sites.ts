/**
 * Compute sites: where workflow stages may run besides the server's own host (a Slurm or PBS cluster, an SSH
 * host, a Globus Compute endpoint, an IRI facility API). How to reach a site and its batch defaults are JSON
 * (their fields differ by kind and are never queried); its secrets (tokens, client secrets) are one value
 * encrypted with a key kept outside the database (sites/secret-box.ts), so a dump alone reveals none.
 */
import type { Kysely } from 'kysely';
import type { DialectProfile } from '../profile.ts';
import { addIdColumn, type Migration } from './migration.ts';

export function sites(profile: DialectProfile): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await addIdColumn(profile, db.schema.createTable('sites'))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('connection', 'text', (c) => c.notNull())
        .addColumn('defaults', 'text', (c) => c.notNull())
        .addColumn('encrypted_secrets', 'text')
        .addColumn('work_dir', 'text')
        .addColumn('staging', 'text', (c) => c.notNull())
        .addColumn('remote_storage_root', 'text')
        .addColumn('max_running', 'integer')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
