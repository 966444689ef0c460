/**
 * The event log behind `GET /api/v1/events`: append-only, written in the transaction of the change each
 * event reports, read by id. Unreleased while on the events branch; once on main, never edit.
 */
import { type Kysely, sql } from 'kysely';
import type { DialectProfile } from '../profile.ts';
import { addIdColumn, type Migration } from './migration.ts';

export function events(profile: DialectProfile): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const json = sql.raw(profile.jsonColumnType);
      await addIdColumn(profile, db.schema.createTable('events'))
        .addColumn('type', 'text', (c) => c.notNull())
        // An experiment's events go with it; readers of the experiment see them.
        .addColumn('experiment_id', 'integer', (c) => c.references('experiments.id').onDelete('cascade'))
        // The person the event concerns (a job's submitter), who sees it even without the experiment.
        .addColumn('user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
        // Text, so that subjects with non-numeric ids (APS job ids are UUIDs) fit as well as DAQ ids.
        .addColumn('subject_id', 'text')
        .addColumn('payload', json, (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      // Retention deletes by age, oldest first; streams read by id (the primary key).
      await db.schema.createIndex('events_created_at').on('events').column('created_at').execute();
    },
  };
}
