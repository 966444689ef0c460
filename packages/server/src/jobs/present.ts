import type { Kysely } from 'kysely';
import type { JobProcessRow } from '../db/job-tables.ts';
import { type DialectProfile, decodeJson } from '../db/profile.ts';
import type { Database } from '../db/tables.ts';
import type { Job } from './schemas.ts';
import * as store from './store.ts';

function seconds(start: string | null, end: string | null): number | null {
  if (start === null || end === null) return null;
  return Math.round(Date.parse(end) - Date.parse(start)) / 1000;
}

function presentProcess(row: JobProcessRow) {
  return {
    childProcessNumber: row.number,
    command: row.command,
    workingDir: row.working_dir,
    status: row.status,
    startTime: row.start_time,
    endTime: row.end_time,
    runTime: seconds(row.start_time, row.end_time),
    exitStatus: row.exit_status,
    stdOut: row.std_out,
    stdErr: row.std_err,
    errorMessage: row.error_message,
  };
}

/** Job records with their stages and child processes, in two queries for any number of jobs. */
export async function presentJobs(
  db: Kysely<Database>,
  profile: DialectProfile,
  jobs: store.JobRecord[],
): Promise<Job[]> {
  // A pending job has no stages or processes yet (only a running job writes them, and none goes back to
  // pending): a job just submitted is presented without reading them.
  const ids = jobs.filter((job) => job.status !== 'pending').map((job) => job.id);
  const [stages, processes] = await Promise.all([store.stagesOf(db, ids), store.processesOf(db, ids)]);
  return jobs.map((job) => {
    const args = decodeJson<Record<string, string>>(profile, job.arguments);
    const variables = decodeJson<Record<string, string>>(profile, job.variables);
    const jobStages: Job['stages'] = {};
    for (const stage of stages) {
      if (stage.job_id !== job.id) continue;
      jobStages[stage.stage_key] = {
        status: stage.status,
        startTime: stage.start_time,
        endTime: stage.end_time,
        errorMessage: stage.error_message,
        childProcesses: processes
          .filter((p) => p.job_id === job.id && p.stage_key === stage.stage_key)
          .sort((a, b) => a.number - b.number)
          .map(presentProcess),
      };
    }
    return {
      ...args,
      ...variables,
      id: job.id,
      owner: job.owner,
      workflowName: job.workflow_name,
      workflowRevision: job.workflow_revision,
      status: job.status,
      stage: job.stage,
      submissionTime: job.submission_time,
      startTime: job.start_time,
      endTime: job.end_time,
      runTime: seconds(job.start_time, job.end_time),
      errorMessage: job.error_message,
      experimentName: job.experiment_name,
      filePath: job.file_path ?? args.filePath ?? null,
      arguments: args,
      variables,
      submittedBy: job.submitted_by_name,
      resubmittedFrom: job.resubmitted_from,
      fromStage: job.from_stage,
      stopRequested: job.stop_requested === 1,
      stages: jobStages,
    };
  });
}
