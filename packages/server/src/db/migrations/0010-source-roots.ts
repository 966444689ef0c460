/**
 * Where a station's uploads and DAQs may read: its source roots (the detector and beamline directories
 * that admins list), the unix account reads are checked as, and for each upload and DAQ the account it was
 * started to read as. Numbered 0010; 0009 belongs to parallel work (station accounts for workflows).
 */
import type { Kysely } from 'kysely';
import type { Migration } from './migration.ts';

export function sourceRoots(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('station_source_roots')
        .addColumn('station_id', 'integer', (c) => c.notNull().references('stations.id').onDelete('cascade'))
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('station_source_roots_pk', ['station_id', 'path'])
        .execute();
      await db.schema.alterTable('stations').addColumn('source_account', 'text').execute();
      // Null: started by an admin, read with the server's own rights (never below its protected paths).
      await db.schema.alterTable('uploads').addColumn('source_account', 'text').execute();
      await db.schema.alterTable('daqs').addColumn('source_account', 'text').execute();
    },
  };
}
