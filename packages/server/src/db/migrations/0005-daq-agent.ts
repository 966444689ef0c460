/**
 * DAQs run by a DAQ agent on a beamline machine (`dm daq-agent`), and the staging of the files it sends
 * over HTTP. Numbered 0005; 0004, 0006 and 0007 belong to parallel work.
 */
import type { Kysely } from 'kysely';
import type { DialectProfile } from '../profile.ts';
import { addIdColumn, type Migration } from './migration.ts';

export function daqAgent(profile: DialectProfile): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('daqs')
        .addColumn('mode', 'text', (c) => c.notNull().defaultTo('server'))
        .execute();
      await db.schema.alterTable('daqs').addColumn('agent_name', 'text').execute();

      // One row per file version being sent: (daq, path, size, mtime). The bytes the server holds are the
      // staging file's own size, so nothing here changes while the body streams in.
      await addIdColumn(profile, db.schema.createTable('daq_staging'))
        .addColumn('daq_id', 'integer', (c) => c.notNull().references('daqs.id').onDelete('cascade'))
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('mtime', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('daq_staging_version', ['daq_id', 'path', 'size', 'mtime'])
        .execute();
    },
  };
}
