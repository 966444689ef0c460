/**
 * Jobs as rows. Every status change is guarded by the status it leaves (and, for a running job, by the lease
 * owner), so two processes can never both move one job.
 */
import type { Kysely } from 'kysely';
import { mayMove, statusesBefore } from '../claims/transitions.ts';
import type { JobProcessRow, JobRow, JobStageRow, JobStatus, StageStatus } from '../db/job-tables.ts';
import { profileOf } from '../db/profile.ts';
import type { Database } from '../db/tables.ts';
import { jobTransitions } from './transitions.ts';

export type JobRecord = JobRow & {
  experiment_name: string | null;
  submitted_by_name: string;
  workflow_revision: number;
};

function jobsWithNames(db: Kysely<Database>) {
  return db
    .selectFrom('jobs')
    .leftJoin('experiments', 'experiments.id', 'jobs.experiment_id')
    .innerJoin('users', 'users.id', 'jobs.submitted_by')
    .innerJoin('workflow_revisions', 'workflow_revisions.id', 'jobs.workflow_revision_id')
    .selectAll('jobs')
    .select([
      'experiments.name as experiment_name',
      'users.username as submitted_by_name',
      'workflow_revisions.revision as workflow_revision',
    ]);
}

export async function findJob(db: Kysely<Database>, id: number): Promise<JobRecord | undefined> {
  return await jobsWithNames(db).where('jobs.id', '=', id).executeTakeFirst();
}

export interface JobFilter {
  /** Undefined: every job (admins). Otherwise jobs submitted by `userId` or of these experiments. */
  visibleTo?: { userId: number; experimentIds: number[] };
  status?: JobStatus;
  ended?: boolean;
  workflow?: string;
  owner?: string;
  experimentId?: number;
  beforeId?: number;
  limit: number;
}

export async function listJobs(db: Kysely<Database>, filter: JobFilter): Promise<JobRecord[]> {
  let query = jobsWithNames(db);
  const visible = filter.visibleTo;
  if (visible) {
    query = query.where((eb) =>
      visible.experimentIds.length === 0
        ? eb('jobs.submitted_by', '=', visible.userId)
        : eb.or([
            eb('jobs.submitted_by', '=', visible.userId),
            eb('jobs.experiment_id', 'in', visible.experimentIds),
          ]),
    );
  }
  if (filter.status) query = query.where('jobs.status', '=', filter.status);
  if (filter.ended) query = query.where('jobs.status', 'in', ['done', 'failed', 'aborted']);
  if (filter.workflow) query = query.where('jobs.workflow_name', '=', filter.workflow);
  if (filter.owner) query = query.where('jobs.owner', '=', filter.owner);
  if (filter.experimentId !== undefined) query = query.where('jobs.experiment_id', '=', filter.experimentId);
  if (filter.beforeId !== undefined) query = query.where('jobs.id', '<', filter.beforeId);
  return await query.orderBy('jobs.id', 'desc').limit(filter.limit).execute();
}

export async function insertJob(
  trx: Kysely<Database>,
  values: Omit<JobRow, 'id' | 'arguments' | 'variables'> & { arguments: string; variables: string },
): Promise<number> {
  const row = await trx.insertInto('jobs').values(values).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export async function stagesOf(db: Kysely<Database>, jobIds: number[]): Promise<JobStageRow[]> {
  if (jobIds.length === 0) return [];
  return await db.selectFrom('job_stages').selectAll().where('job_id', 'in', jobIds).execute();
}

export async function processesOf(
  db: Kysely<Database>,
  jobIds: number[],
  stageKey?: string,
): Promise<JobProcessRow[]> {
  if (jobIds.length === 0) return [];
  let query = db.selectFrom('job_processes').selectAll().where('job_id', 'in', jobIds);
  if (stageKey !== undefined) query = query.where('stage_key', '=', stageKey);
  return await query.orderBy('start_time').orderBy('stage_key').orderBy('number').execute();
}

/** Ends a job that has not ended; false when it had (another process, or a stop, came first). */
export async function endJob(
  db: Kysely<Database>,
  id: number,
  from: JobStatus,
  to: 'done' | 'failed' | 'aborted',
  now: string,
  errorMessage: string | null,
  leaseOwner?: string,
): Promise<boolean> {
  if (!mayMove(jobTransitions, from, to)) throw new Error(`a job does not move from ${from} to ${to}`);
  let query = db
    .updateTable('jobs')
    .set({ status: to, end_time: now, updated_at: now, error_message: errorMessage, lease_expires_at: null })
    .where('id', '=', id)
    .where('status', '=', from);
  if (leaseOwner !== undefined) query = query.where('lease_owner', '=', leaseOwner);
  return (await query.executeTakeFirst()).numUpdatedRows > 0n;
}

export async function requestStop(db: Kysely<Database>, id: number, now: string): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ stop_requested: 1, updated_at: now })
    .where('id', '=', id)
    .where('status', 'in', statusesBefore(jobTransitions, 'aborted'))
    .execute();
}

/** Renews this process' leases; answers which jobs it still holds and which of them were asked to stop. */
export async function renewLeases(
  db: Kysely<Database>,
  owner: string,
  ids: number[],
  until: string,
): Promise<{ id: number; stop_requested: number }[]> {
  if (ids.length === 0) return [];
  // On PostgreSQL the renewal locks no row it would wait for. A renewal of many jobs that waited for one
  // job's row (locked by the transaction ending that job, which then waits for the events' advisory lock)
  // while holding another (whose ending transaction holds that advisory lock) closed a deadlock, and
  // PostgreSQL failed one job's end to break it. A row skipped here is being changed by its own worker or
  // a stop request: still held (the select below reads it), and renewed on the next round.
  let renewable = db
    .selectFrom('jobs')
    .select('id')
    .where('id', 'in', ids)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'running');
  if (profileOf(db as Kysely<unknown>).supportsSkipLocked) renewable = renewable.forUpdate().skipLocked();
  await db.updateTable('jobs').set({ lease_expires_at: until }).where('id', 'in', renewable).execute();
  return await db
    .selectFrom('jobs')
    .select(['id', 'stop_requested'])
    .where('id', 'in', ids)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'running')
    .execute();
}

export async function setJobStage(
  db: Kysely<Database>,
  id: number,
  stage: string,
  variables: string,
  now: string,
): Promise<void> {
  await db.updateTable('jobs').set({ stage, variables, updated_at: now }).where('id', '=', id).execute();
}

export async function upsertStage(
  db: Kysely<Database>,
  row: Omit<JobStageRow, 'captured'> & { captured: string },
): Promise<void> {
  await db
    .insertInto('job_stages')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['job_id', 'stage_key']).doUpdateSet({
        status: row.status,
        captured: row.captured,
        error_message: row.error_message,
        start_time: row.start_time,
        end_time: row.end_time,
      }),
    )
    .execute();
}

export async function insertProcess(db: Kysely<Database>, row: JobProcessRow): Promise<void> {
  await db.insertInto('job_processes').values(row).execute();
}

export async function updateProcess(
  db: Kysely<Database>,
  key: { job_id: number; stage_key: string; number: number },
  values: Partial<
    Pick<
      JobProcessRow,
      'status' | 'pid' | 'exit_status' | 'std_out' | 'std_err' | 'error_message' | 'end_time'
    >
  >,
): Promise<void> {
  await db
    .updateTable('job_processes')
    .set(values)
    .where('job_id', '=', key.job_id)
    .where('stage_key', '=', key.stage_key)
    .where('number', '=', key.number)
    .execute();
}

/** Marks what a lost worker left running as failed, so the stage's next attempt starts clean. */
export async function failLostProcesses(
  db: Kysely<Database>,
  jobId: number,
  now: string,
  message: string,
): Promise<JobProcessRow[]> {
  const lost = await db
    .selectFrom('job_processes')
    .selectAll()
    .where('job_id', '=', jobId)
    .where('status', '=', 'running')
    .execute();
  await db
    .updateTable('job_processes')
    .set({ status: 'failed' satisfies StageStatus, end_time: now, error_message: message })
    .where('job_id', '=', jobId)
    .where('status', '=', 'running')
    .execute();
  return lost;
}

export async function releaseJobLeases(
  db: Kysely<Database>,
  owner: string,
  ids: number[],
  now: string,
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('jobs')
    .set({ lease_expires_at: now })
    .where('id', 'in', ids)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'running')
    .execute();
}
