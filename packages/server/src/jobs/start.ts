/**
 * Creating jobs: by hand, one per cataloged file, from a DAQ's processing requests, or as a resubmission.
 * Every way goes through `insertJobs`, so the same checks hold for all.
 */
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { ServiceContext } from '../context.ts';
import { encodeJson } from '../db/profile.ts';
import type { Database } from '../db/tables.ts';
import { AppError, type FieldProblem, validationFailed } from '../errors/app-error.ts';
import type { ExperimentRecord } from '../experiments/lookup.ts';
import { pathsOf } from '../storage/experiment-tree.ts';
import { requireAcceptingWork } from '../storage/lifecycle.ts';
import type { WorkflowRecord } from '../workflows/lookup.ts';
import { argumentProblems } from '../workflows/shell-command.ts';
import { recordFieldNames } from './job-context.ts';
import { publishJobStatus } from './job-events.ts';
import { localSite } from './runner.ts';
import { checkStageSites } from './stage-sites.ts';
import * as store from './store.ts';

export interface NewJob {
  workflow: WorkflowRecord;
  experiment: ExperimentRecord | null;
  /** Relative to the experiment's data directory. */
  filePath: string | null;
  arguments: Record<string, string>;
  variables?: Record<string, string>;
  submittedBy: number;
  shareKey: string;
  resubmittedFrom?: number;
  fromStage?: string;
}

/** Reserved variables a job defines itself, which an argument may therefore not set. */
function definedReserved(job: Pick<NewJob, 'experiment' | 'filePath'>): string[] {
  const always = ['id', 'owner', 'workflowName', 'stage'];
  const experiment = job.experiment
    ? ['experimentName', 'dataDirectory', 'analysisDirectory', 'storageDirectory']
    : [];
  const file = job.filePath !== null ? ['filePath', 'fileName'] : [];
  return [...always, ...experiment, ...file];
}

/** Every argument problem at once; `filePath` may be passed APS-style when the job has no cataloged file. */
export function checkArguments(job: Pick<NewJob, 'experiment' | 'filePath' | 'arguments'>): void {
  const defined = new Set(definedReserved(job));
  const fields = new Set<string>(recordFieldNames);
  const problems: FieldProblem[] = argumentProblems(job.arguments, 'arguments');
  for (const name of Object.keys(job.arguments)) {
    if (defined.has(name))
      problems.push({
        field: `arguments/${name}`,
        message: `"${name}" is a reserved variable this job defines`,
      });
    else if (fields.has(name) && name !== 'filePath')
      problems.push({ field: `arguments/${name}`, message: `"${name}" is the name of a job record field` });
  }
  if (problems.length > 0) throw validationFailed(problems);
}

export async function insertJobs(
  context: ServiceContext,
  trx: Kysely<Database>,
  jobs: NewJob[],
): Promise<number[]> {
  const now = context.now();
  const ids: number[] = [];
  for (const job of jobs) checkArguments(job);
  const experiments = new Map(
    jobs.flatMap((job) => (job.experiment ? [[job.experiment.id, job.experiment]] : [])),
  );
  for (const experiment of experiments.values()) await requireAcceptingWork(trx, experiment);
  const workflows = new Map(jobs.map((job) => [job.workflow.revision_id, job.workflow]));
  for (const workflow of workflows.values()) await checkStageSites(context, trx, workflow);
  for (const job of jobs) {
    const row = {
      workflow_revision_id: job.workflow.revision_id,
      owner: job.workflow.owner,
      workflow_name: job.workflow.name,
      experiment_id: job.experiment?.id ?? null,
      file_path:
        job.experiment && job.filePath !== null
          ? join(pathsOf(context, job.experiment).dataDirectory, job.filePath)
          : null,
      arguments: encodeJson(job.arguments),
      variables: encodeJson(job.variables ?? {}),
      status: 'pending',
      stage: null,
      error_message: null,
      submitted_by: job.submittedBy,
      share_key: job.shareKey,
      site: localSite,
      resubmitted_from: job.resubmittedFrom ?? null,
      from_stage: job.fromStage ?? null,
      stop_requested: 0,
      lease_owner: null,
      lease_expires_at: null,
      submission_time: now,
      start_time: null,
      end_time: null,
      updated_at: now,
    } as const;
    const id = await store.insertJob(trx, row);
    await publishJobStatus(context, trx, { ...row, id }, { status: 'pending', previousStatus: null });
    ids.push(id);
  }
  return ids;
}

export function jobNotFound(id: number): AppError {
  return new AppError('job_not_found', `no job ${id}`, { id });
}
