/**
 * Live events of jobs (docs/api.md, "Live events"), written in the transaction of the change they report,
 * so a client waiting for a job's end through the event stream cannot miss it. Readers of the job's
 * experiment and the person who started it see them.
 */
import type { Kysely } from 'kysely';
import type { ServiceContext } from '../context.ts';
import type { JobStatus, StageStatus } from '../db/job-tables.ts';
import type { Database } from '../db/tables.ts';

export interface JobIdentity {
  id: number;
  experiment_id: number | null;
  submitted_by: number;
  workflow_name: string;
  owner: string;
}

export async function publishJobStatus(
  context: ServiceContext,
  db: Kysely<Database>,
  job: JobIdentity,
  change: {
    status: JobStatus;
    previousStatus: JobStatus | null;
    stage?: string | null;
    errorMessage?: string | null;
  },
): Promise<void> {
  await context.events.publish(db, {
    type: 'job.status',
    experimentId: job.experiment_id,
    userId: job.submitted_by,
    subjectId: job.id,
    payload: {
      jobId: job.id,
      workflowName: job.workflow_name,
      owner: job.owner,
      status: change.status,
      previousStatus: change.previousStatus,
      stage: change.stage ?? null,
      errorMessage: change.errorMessage ?? null,
    },
  });
}

export async function publishStageStatus(
  context: ServiceContext,
  db: Kysely<Database>,
  job: JobIdentity,
  stage: string,
  status: StageStatus,
  errorMessage: string | null,
): Promise<void> {
  await context.events.publish(db, {
    type: 'job.stage',
    experimentId: job.experiment_id,
    userId: job.submitted_by,
    subjectId: job.id,
    payload: { jobId: job.id, stage, status, errorMessage },
  });
}
