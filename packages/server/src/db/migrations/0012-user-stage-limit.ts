/**
 * The per-user limit admins set on stage processes (`dm user update --max-stage-processes`): the most
 * processes one parallel stage of a job this user submitted runs at once. Null: the site's limit alone.
 */
import type { Kysely } from 'kysely';
import type { Migration } from './migration.ts';

export function userStageLimit(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('users').addColumn('max_stage_processes', 'integer').execute();
    },
  };
}
