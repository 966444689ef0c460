/**
 * What a running job knows: where it writes its logs, where its stages run, and the value of every `$name`.
 */
import { join } from 'node:path';
import type { ServiceContext } from '../context.ts';
import { decodeJson } from '../db/profile.ts';
import { findExperimentById } from '../experiments/lookup.ts';
import type { StageSwitch } from '../settings/settings.ts';
import { pathsOf } from '../storage/experiment-tree.ts';
import type { PermissionSupport } from '../storage/permissions.ts';
import type { WorkflowDefinition } from '../workflows/definition.ts';
import type { JobRecord } from './store.ts';

export interface JobContext {
  job: JobRecord;
  definition: WorkflowDefinition;
  runAs: string | null;
  /** Reserved variables this job defines (`id`, `owner`, ... and, with an experiment or a file, more). */
  reserved: Record<string, string>;
  arguments: Record<string, string>;
  /** Captured from stage output so far; saved with the job after each stage. */
  variables: Record<string, string>;
  logDirectory: string;
  defaultWorkingDir: string;
  /** How stages become their unix account (settings.stageSwitch). */
  stageSwitch: StageSwitch;
  /** How the storage shares files, for the logs: ACL entries, or the experiment's group. */
  permissions: PermissionSupport;
}

/** Names of job record fields: an argument may not take one, since arguments are also spread in the record. */
export const recordFieldNames = [
  'id',
  'owner',
  'workflowName',
  'workflowRevision',
  'status',
  'stage',
  'submissionTime',
  'startTime',
  'endTime',
  'runTime',
  'errorMessage',
  'experimentName',
  'filePath',
  'arguments',
  'variables',
  'submittedBy',
  'resubmittedFrom',
  'fromStage',
  'stopRequested',
  'stages',
] as const;

/** The reserved variables a job defines, besides `stage` which changes as it runs. */
export async function reservedVariables(
  context: ServiceContext,
  job: Pick<JobRecord, 'id' | 'owner' | 'workflow_name' | 'experiment_id' | 'file_path'>,
): Promise<{ values: Record<string, string>; logDirectory: string; defaultWorkingDir: string }> {
  const values: Record<string, string> = {
    id: String(job.id),
    owner: job.owner,
    workflowName: job.workflow_name,
  };
  let logDirectory = join(context.settings.dataDir, 'jobs', String(job.id));
  let defaultWorkingDir = logDirectory;
  if (job.experiment_id !== null) {
    const experiment = await findExperimentById(context.db, job.experiment_id);
    if (experiment) {
      const paths = pathsOf(context, experiment);
      Object.assign(values, {
        experimentName: experiment.name,
        dataDirectory: paths.dataDirectory,
        analysisDirectory: paths.analysisDirectory,
        storageDirectory: paths.storageDirectory,
      });
      logDirectory = join(paths.systemDirectory, 'jobs', String(job.id));
      defaultWorkingDir = paths.analysisDirectory;
    }
  }
  if (job.file_path !== null) {
    values.filePath = job.file_path;
    values.fileName = job.file_path.slice(job.file_path.lastIndexOf('/') + 1);
  }
  return { values, logDirectory, defaultWorkingDir };
}

export async function loadJobContext(
  context: ServiceContext,
  job: JobRecord,
  definition: WorkflowDefinition,
  runAs: string | null,
): Promise<JobContext> {
  const reserved = await reservedVariables(context, job);
  return {
    job,
    definition,
    runAs,
    reserved: reserved.values,
    arguments: decodeJson<Record<string, string>>(context.profile, job.arguments),
    variables: decodeJson<Record<string, string>>(context.profile, job.variables),
    logDirectory: reserved.logDirectory,
    defaultWorkingDir: reserved.defaultWorkingDir,
    stageSwitch: context.settings.stageSwitch,
    permissions: context.permissions,
  };
}

/**
 * `$name` lookup: the reserved variables first (a job's id cannot be overridden), then captured variables
 * (later news wins), then the job's arguments. APS jobs pass `filePath:...` as an argument when no file is
 * cataloged; that works because a reserved variable the job does not define is looked up like any other.
 */
export function variableLookup(job: JobContext, stage: string, overrides: Record<string, string> = {}) {
  return (name: string): string | undefined =>
    overrides[name] ??
    (name === 'stage' ? stage : undefined) ??
    job.reserved[name] ??
    job.variables[name] ??
    job.arguments[name];
}

/**
 * The environment of a stage: a clean one. The server's own environment holds secrets (database URL,
 * admin password) that a workflow's commands must never see.
 */
export function stageEnvironment(
  account: { name: string; home: string } | undefined,
  job: JobContext,
  stage: string,
  extra: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  env.PATH ??= '/usr/local/bin:/usr/bin:/bin';
  if (account) Object.assign(env, { HOME: account.home, USER: account.name, LOGNAME: account.name });
  else if (process.env.HOME) env.HOME = process.env.HOME;
  return { ...env, DM_JOB_ID: String(job.job.id), DM_JOB_STAGE: stage, ...extra };
}
