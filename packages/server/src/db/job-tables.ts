/**
 * The workflow engine's tables, as Kysely sees them.
 *
 * Glossary:
 * - workflow: a named sequence of stages, identified by (owner, name); `owner` is a name space (a user or a
 *   service account such as `s25idcuser`), not necessarily a Photon DM login.
 * - workflow revision: the definition as one upsert left it. Revisions are never deleted, so a job always
 *   knows exactly what it ran.
 * - job: one run of a workflow revision, optionally tied to an experiment and one of its files.
 * - stage: one step of a job (a key of the workflow's `stages`), run in the sorted order of the keys.
 * - child process: one run of a stage's command; a repeated stage has one per run, a retried one one per
 *   attempt, a parallel one one per file.
 * - share key: whose turn it is. Pending jobs are claimed so that each share key (a DAQ, an upload, or the
 *   user who started them) gets its turn, so a DAQ's thousand files cannot starve someone else's job.
 */
import type { ColumnType, Generated, Selectable } from 'kysely';

/** Why a revision may run as its account: the author's own, a station's list, an admin's leave for root. */
export type RunAsGrant = 'own' | 'station' | 'root';

export type JobStatus = 'pending' | 'running' | 'done' | 'failed' | 'aborted';
export type StageStatus = 'running' | 'done' | 'failed' | 'skipped' | 'aborted';

export interface WorkflowsTable {
  id: Generated<number>;
  owner: string;
  name: string;
  revision: number;
  created_by: string;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export interface WorkflowRevisionsTable {
  id: Generated<number>;
  workflow_id: number;
  revision: number;
  definition: ColumnType<unknown, string, string>;
  /**
   * The unix account stages run as; null: none was named, so the configured stage account (DM_STAGE_ACCOUNT),
   * or the server's own in `none` mode (workflows/run-as.ts).
   */
  run_as: string | null;
  /** Why run_as was allowed at upsert, checked again at run time: see workflows/run-as.ts. */
  run_as_grant: RunAsGrant | null;
  /** For grant 'station': the station whose list named the account. */
  run_as_station_id: number | null;
  created_by: string;
  created_at: string;
}

export interface JobsTable {
  id: Generated<number>;
  workflow_revision_id: number;
  owner: string;
  workflow_name: string;
  experiment_id: number | null;
  /** Absolute, in storage. */
  file_path: string | null;
  arguments: ColumnType<unknown, string, string>;
  variables: ColumnType<unknown, string, string>;
  status: JobStatus;
  stage: string | null;
  error_message: string | null;
  submitted_by: number;
  share_key: string;
  site: string;
  resubmitted_from: number | null;
  from_stage: string | null;
  stop_requested: number;
  lease_owner: string | null;
  lease_expires_at: string | null;
  submission_time: string;
  start_time: string | null;
  end_time: string | null;
  updated_at: string;
}

export interface JobStagesTable {
  job_id: number;
  stage_key: string;
  status: StageStatus;
  /** Variables this stage captured from its output. */
  captured: ColumnType<unknown, string, string>;
  error_message: string | null;
  start_time: string | null;
  end_time: string | null;
}

export interface JobProcessesTable {
  job_id: number;
  stage_key: string;
  number: number;
  command: string;
  working_dir: string;
  status: StageStatus;
  pid: number | null;
  log_file: string;
  exit_status: number | null;
  std_out: string;
  std_err: string;
  error_message: string | null;
  start_time: string;
  end_time: string | null;
}

export type WorkflowRow = Selectable<WorkflowsTable>;
export type WorkflowRevisionRow = Selectable<WorkflowRevisionsTable>;
export type JobRow = Selectable<JobsTable>;
export type JobStageRow = Selectable<JobStagesTable>;
export type JobProcessRow = Selectable<JobProcessesTable>;
