/**
 * DAQs (directory monitors) and the processing requests they record. Released: never edit.
 */
import { type Kysely, sql } from 'kysely';
import type { DialectProfile } from '../profile.ts';
import { addIdColumn, type Migration } from './migration.ts';

export function daqs(profile: DialectProfile): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const json = sql.raw(profile.jsonColumnType);
      await addIdColumn(profile, db.schema.createTable('daqs'))
        .addColumn('experiment_id', 'integer', (c) =>
          c.notNull().references('experiments.id').onDelete('cascade'),
        )
        .addColumn('data_directory', 'text', (c) => c.notNull())
        .addColumn('dest_directory', 'text', (c) => c.notNull())
        .addColumn('skip_patterns', json, (c) => c.notNull())
        .addColumn('settle_ms', 'integer', (c) => c.notNull())
        .addColumn('new_only', 'integer', (c) => c.notNull())
        .addColumn('overwrite', 'integer', (c) => c.notNull())
        .addColumn('workflow', 'text')
        .addColumn('workflow_args', json, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('stop_at', 'text')
        .addColumn('n_processing_errors', 'integer', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('errors', json, (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_expires_at', 'text')
        .addColumn('submitted_at', 'text', (c) => c.notNull())
        .addColumn('start_time', 'text')
        .addColumn('end_time', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('daqs_status').on('daqs').columns(['status', 'id']).execute();
      // The catalog is the DAQ's record of what it took: counted by origin.
      await db.schema.createIndex('files_origin').on('files').columns(['origin_type', 'origin_id']).execute();

      await addIdColumn(profile, db.schema.createTable('processing_requests'))
        .addColumn('experiment_id', 'integer', (c) =>
          c.notNull().references('experiments.id').onDelete('cascade'),
        )
        .addColumn('file_path', 'text', (c) => c.notNull())
        .addColumn('workflow', 'text', (c) => c.notNull())
        .addColumn('workflow_args', json, (c) => c.notNull())
        .addColumn('origin_type', 'text', (c) => c.notNull())
        .addColumn('origin_id', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('processing_requests_once', ['origin_type', 'origin_id', 'file_path'])
        .execute();
    },
  };
}
