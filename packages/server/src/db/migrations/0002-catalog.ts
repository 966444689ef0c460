/**
 * The file catalog and uploads. Released: never edit, add a new numbered migration.
 */
import { type Kysely, sql } from 'kysely';
import type { DialectProfile } from '../profile.ts';
import { addIdColumn, type Migration } from './migration.ts';

export function catalog(profile: DialectProfile): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await addIdColumn(profile, db.schema.createTable('uploads'))
        .addColumn('experiment_id', 'integer', (c) =>
          c.notNull().references('experiments.id').onDelete('cascade'),
        )
        .addColumn('data_directory', 'text', (c) => c.notNull())
        .addColumn('dest_directory', 'text', (c) => c.notNull())
        .addColumn('reprocess', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('n_files', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('n_processed_files', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('n_skipped_files', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('n_processing_errors', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('n_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('n_processed_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', 'text')
        .addColumn('errors', sql.raw(profile.jsonColumnType), (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_expires_at', 'text')
        .addColumn('submitted_at', 'text', (c) => c.notNull())
        .addColumn('start_time', 'text')
        .addColumn('end_time', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('uploads_status').on('uploads').columns(['status', 'id']).execute();
      await db.schema
        .createIndex('uploads_experiment')
        .on('uploads')
        .columns(['experiment_id', 'id'])
        .execute();

      await addIdColumn(profile, db.schema.createTable('files'))
        .addColumn('experiment_id', 'integer', (c) => c.notNull().references('experiments.id'))
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('mtime', 'text', (c) => c.notNull())
        .addColumn('md5', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('source', 'text')
        .addColumn('origin_type', 'text', (c) => c.notNull())
        .addColumn('origin_id', 'integer')
        .addColumn('transfer_ms', 'integer')
        .addColumn('metadata', sql.raw(profile.jsonColumnType), (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('files_experiment_path', ['experiment_id', 'path'])
        .execute();
      await db.schema
        .createIndex('files_experiment_size')
        .on('files')
        .columns(['experiment_id', 'size', 'id'])
        .execute();
      await db.schema
        .createIndex('files_experiment_mtime')
        .on('files')
        .columns(['experiment_id', 'mtime', 'id'])
        .execute();
      if (profile.name === 'postgres') {
        // For containment searches (`metadata @> '{"key": value}'`); metadata-query.ts does not emit them yet
        // (docs/benchmarks.md, catalog at 1M records).
        await sql`create index files_metadata on files using gin (metadata jsonb_path_ops)`.execute(db);
      }
    },
  };
}
