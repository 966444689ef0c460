/**
 * Which unix accounts a station's workflows may run as (a list admins keep), and why each workflow revision
 * runs as its account, so that the worker can check again at run time that the reason still holds.
 */
import type { Kysely } from 'kysely';
import type { Migration } from './migration.ts';

export function stationAccounts(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('station_accounts')
        .addColumn('station_id', 'integer', (c) => c.notNull().references('stations.id').onDelete('cascade'))
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('added_by', 'text', (c) => c.notNull())
        .addColumn('added_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('station_accounts_pk', ['station_id', 'account'])
        .execute();
      // Which stations list an account: asked for every workflow scope and run-as check.
      await db.schema
        .createIndex('station_accounts_account')
        .on('station_accounts')
        .columns(['account', 'station_id'])
        .execute();
      // 'own' (the author's unix account), 'station' (on run_as_station_id's list), 'root' (an admin's
      // leave), null (no account named: the configured stage account, or the server's own in `none` mode).
      await db.schema.alterTable('workflow_revisions').addColumn('run_as_grant', 'text').execute();
      await db.schema.alterTable('workflow_revisions').addColumn('run_as_station_id', 'integer').execute();
    },
  };
}
