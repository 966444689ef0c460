/**
 * Accounts, stations, experiments and the audit log. Released: never edit, add a new numbered migration.
 */
import { type Kysely, sql } from 'kysely';
import type { DialectProfile } from '../profile.ts';
import { addIdColumn, type Migration } from './migration.ts';

export function foundation(profile: DialectProfile): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await addIdColumn(profile, db.schema.createTable('users'))
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('email', 'text')
        .addColumn('display_name', 'text')
        .addColumn('unix_account', 'text')
        .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('password_hash', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('disabled_at', 'text')
        .execute();

      await addIdColumn(profile, db.schema.createTable('api_tokens'))
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text')
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema.createIndex('api_tokens_user').on('api_tokens').column('user_id').execute();

      await addIdColumn(profile, db.schema.createTable('stations'))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('station_managers')
        .addColumn('station_id', 'integer', (c) => c.notNull().references('stations.id').onDelete('cascade'))
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('station_managers_pk', ['station_id', 'user_id'])
        .execute();
      await db.schema.createIndex('station_managers_user').on('station_managers').column('user_id').execute();

      await addIdColumn(profile, db.schema.createTable('experiment_types'))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await addIdColumn(profile, db.schema.createTable('experiments'))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('station_id', 'integer', (c) => c.notNull().references('stations.id'))
        .addColumn('type_id', 'integer', (c) => c.references('experiment_types.id'))
        .addColumn('description', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('start_date', 'text')
        .addColumn('end_date', 'text')
        .addColumn('storage_state', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('experiments_station').on('experiments').column('station_id').execute();
      await db.schema
        .createIndex('experiments_storage_state')
        .on('experiments')
        .column('storage_state')
        .execute();

      await db.schema
        .createTable('experiment_members')
        .addColumn('experiment_id', 'integer', (c) =>
          c.notNull().references('experiments.id').onDelete('cascade'),
        )
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('experiment_members_pk', ['experiment_id', 'user_id'])
        .execute();
      await db.schema
        .createIndex('experiment_members_user')
        .on('experiment_members')
        .column('user_id')
        .execute();

      await addIdColumn(profile, db.schema.createTable('audit_events'))
        .addColumn('occurred_at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target_type', 'text', (c) => c.notNull())
        .addColumn('target_name', 'text', (c) => c.notNull())
        .addColumn('station_name', 'text')
        .addColumn('experiment_name', 'text')
        .addColumn('details', sql.raw(profile.jsonColumnType), (c) => c.notNull())
        .addColumn('request_id', 'text')
        .execute();
      await db.schema
        .createIndex('audit_events_experiment')
        .on('audit_events')
        .columns(['experiment_name', 'id'])
        .execute();
      await db.schema.createIndex('audit_events_actor').on('audit_events').columns(['actor', 'id']).execute();
    },
  };
}
