/**
 * Usage reports count files by the day they were cataloged: an index on the creation time that also carries
 * the experiment and the size answers them without reading the table (GROUP BY over an index range).
 */
import type { Kysely } from 'kysely';
import type { Migration } from './migration.ts';

export function usage(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex('files_created')
        .on('files')
        .columns(['created_at', 'experiment_id', 'size'])
        .execute();
    },
  };
}
