/**
 * Workflows (with every revision kept) and processing jobs, their stages and child processes.
 */
import { type Kysely, sql } from 'kysely';
import type { DialectProfile } from '../profile.ts';
import { addIdColumn, type Migration } from './migration.ts';

export function workflowsJobs(profile: DialectProfile): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const json = sql.raw(profile.jsonColumnType);
      await addIdColumn(profile, db.schema.createTable('workflows'))
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('deleted_at', 'text')
        .addUniqueConstraint('workflows_owner_name', ['owner', 'name'])
        .execute();

      // Never deleted: a job names the exact revision it ran, also after the workflow is changed or deleted.
      await addIdColumn(profile, db.schema.createTable('workflow_revisions'))
        .addColumn('workflow_id', 'integer', (c) => c.notNull().references('workflows.id'))
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('definition', json, (c) => c.notNull())
        .addColumn('run_as', 'text')
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('workflow_revisions_once', ['workflow_id', 'revision'])
        .execute();

      await addIdColumn(profile, db.schema.createTable('jobs'))
        .addColumn('workflow_revision_id', 'integer', (c) => c.notNull().references('workflow_revisions.id'))
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('workflow_name', 'text', (c) => c.notNull())
        .addColumn('experiment_id', 'integer', (c) => c.references('experiments.id').onDelete('cascade'))
        .addColumn('file_path', 'text')
        .addColumn('arguments', json, (c) => c.notNull())
        .addColumn('variables', json, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('stage', 'text')
        .addColumn('error_message', 'text')
        .addColumn('submitted_by', 'integer', (c) => c.notNull().references('users.id'))
        .addColumn('share_key', 'text', (c) => c.notNull())
        .addColumn('site', 'text', (c) => c.notNull())
        .addColumn('resubmitted_from', 'integer')
        .addColumn('from_stage', 'text')
        .addColumn('stop_requested', 'integer', (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_expires_at', 'text')
        .addColumn('submission_time', 'text', (c) => c.notNull())
        .addColumn('start_time', 'text')
        .addColumn('end_time', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('jobs_status').on('jobs').columns(['status', 'id']).execute();
      await db.schema.createIndex('jobs_experiment').on('jobs').columns(['experiment_id', 'id']).execute();
      await db.schema.createIndex('jobs_submitted_by').on('jobs').columns(['submitted_by', 'id']).execute();
      await db.schema.createIndex('jobs_end_time').on('jobs').columns(['end_time']).execute();
      // Fair share: the oldest pending job of each share key, and how many each has running.
      await db.schema.createIndex('jobs_share').on('jobs').columns(['status', 'share_key', 'id']).execute();
      // Fair share's tie-break: when each share key last had a job started.
      await db.schema
        .createIndex('jobs_share_started')
        .on('jobs')
        .columns(['share_key', 'start_time'])
        .execute();

      await db.schema
        .createTable('job_stages')
        .addColumn('job_id', 'integer', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
        .addColumn('stage_key', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('captured', json, (c) => c.notNull())
        .addColumn('error_message', 'text')
        .addColumn('start_time', 'text')
        .addColumn('end_time', 'text')
        .addPrimaryKeyConstraint('job_stages_pk', ['job_id', 'stage_key'])
        .execute();

      await db.schema
        .createTable('job_processes')
        .addColumn('job_id', 'integer', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
        .addColumn('stage_key', 'text', (c) => c.notNull())
        .addColumn('number', 'integer', (c) => c.notNull())
        .addColumn('command', 'text', (c) => c.notNull())
        .addColumn('working_dir', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('pid', 'integer')
        .addColumn('log_file', 'text', (c) => c.notNull())
        .addColumn('exit_status', 'integer')
        .addColumn('std_out', 'text', (c) => c.notNull())
        .addColumn('std_err', 'text', (c) => c.notNull())
        .addColumn('error_message', 'text')
        .addColumn('start_time', 'text', (c) => c.notNull())
        .addColumn('end_time', 'text')
        .addPrimaryKeyConstraint('job_processes_pk', ['job_id', 'stage_key', 'number'])
        .execute();

      // DAQs recorded these until the engine existed; now each becomes a job, once.
      await db.schema.alterTable('processing_requests').addColumn('job_id', 'integer').execute();
      await db.schema.alterTable('processing_requests').addColumn('error', 'text').execute();
      await db.schema
        .createIndex('processing_requests_status')
        .on('processing_requests')
        .columns(['status', 'id'])
        .execute();
    },
  };
}
