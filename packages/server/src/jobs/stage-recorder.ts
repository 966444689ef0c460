/**
 * Writes a running job's progress: each stage and child process as it starts and ends. A stage's end, the
 * variables it captured and the job's `stage` are one transaction, so a worker that dies between stages
 * leaves a job that resumes exactly after the last finished stage.
 */
import type { ServiceContext } from '../context.ts';
import type { StageStatus } from '../db/job-tables.ts';
import { encodeJson } from '../db/profile.ts';
import type { JobContext } from './job-context.ts';
import { publishStageStatus } from './job-events.ts';
import * as store from './store.ts';

export interface ProcessEnd {
  status: StageStatus;
  message: string | null;
  exitStatus?: number | null;
  stdOut?: string;
  stdErr?: string;
}

export interface StageRecorder {
  stageStarted(key: string): Promise<string>;
  stageEnded(
    key: string,
    startTime: string,
    status: StageStatus,
    message: string | null,
    captured: Record<string, string>,
  ): Promise<void>;
  processStarted(
    key: string,
    number: number,
    spec: { command: string; workingDir: string; logFile: string },
  ): Promise<string>;
  processSpawned(key: string, number: number, pid: number): void;
  processEnded(key: string, number: number, startTime: string, end: ProcessEnd): Promise<void>;
  /** Waits for writes started without waiting (the pid of a process). */
  settle(): Promise<void>;
}

export function createStageRecorder(context: ServiceContext, job: JobContext): StageRecorder {
  const { db } = context;
  const jobId = job.job.id;
  const pending = new Set<Promise<unknown>>();
  return {
    async stageStarted(key) {
      const now = context.now();
      await db.transaction().execute(async (trx) => {
        await store.setJobStage(trx, jobId, key, encodeJson(job.variables), now);
        await store.upsertStage(trx, {
          job_id: jobId,
          stage_key: key,
          status: 'running',
          captured: encodeJson({}),
          error_message: null,
          start_time: now,
          end_time: null,
        });
        await publishStageStatus(context, trx, job.job, key, 'running', null);
      });
      return now;
    },
    async stageEnded(key, startTime, status, message, captured) {
      const now = context.now();
      Object.assign(job.variables, captured);
      await db.transaction().execute(async (trx) => {
        await store.upsertStage(trx, {
          job_id: jobId,
          stage_key: key,
          status,
          captured: encodeJson(captured),
          error_message: message,
          start_time: startTime,
          end_time: now,
        });
        await store.setJobStage(trx, jobId, key, encodeJson(job.variables), now);
        await publishStageStatus(context, trx, job.job, key, status, message);
      });
    },
    async processStarted(key, number, spec) {
      const now = context.now();
      await store.insertProcess(db, {
        job_id: jobId,
        stage_key: key,
        number,
        command: spec.command,
        working_dir: spec.workingDir,
        status: 'running',
        pid: null,
        log_file: spec.logFile,
        exit_status: null,
        std_out: '',
        std_err: '',
        error_message: null,
        start_time: now,
        end_time: null,
      });
      return now;
    },
    processSpawned(key, number, pid) {
      // Recorded so that a worker taking over after a crash can end the orphaned process group.
      const write = store
        .updateProcess(db, { job_id: jobId, stage_key: key, number }, { pid })
        .catch((error: unknown) => context.logger.warn({ err: error, jobId }, 'recording a pid failed'));
      pending.add(write);
      void write.finally(() => pending.delete(write));
    },
    async processEnded(key, number, _startTime, end) {
      await Promise.all(pending);
      await store.updateProcess(
        db,
        { job_id: jobId, stage_key: key, number },
        {
          status: end.status,
          error_message: end.message,
          exit_status: end.exitStatus ?? null,
          std_out: end.stdOut ?? '',
          std_err: end.stdErr ?? '',
          end_time: context.now(),
        },
      );
    },
    async settle() {
      await Promise.all(pending);
    },
  };
}
