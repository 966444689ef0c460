/**
 * Writes a running job's progress: each stage and child process as it starts and ends. A stage's end, the
 * variables it captured and the job's `stage` are one transaction, so a worker that dies between stages
 * leaves a job that resumes exactly after the last finished stage. That transaction also starts the next
 * stage, or ends the job (execute-job.ts): on PostgreSQL every transaction is a few round trips, and one
 * per step between two processes is what the engine's throughput is made of.
 */
import type { Kysely } from 'kysely';
import type { ServiceContext } from '../context.ts';
import type { StageStatus } from '../db/job-tables.ts';
import { encodeJson } from '../db/profile.ts';
import type { Database } from '../db/tables.ts';
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

/** How a stage ended, as written to its row, the job's variables and a live event. */
export interface StageEnd {
  key: string;
  startTime: string;
  status: StageStatus;
  message: string | null;
  captured: Record<string, string>;
}

/** More of the job's own writes, done in the transaction of a stage's start or end (job-level events). */
export type AlsoInTransaction = (trx: Kysely<Database>) => Promise<void>;

export interface StageRecorder {
  /**
   * Records the stage as running; `also` (the job's own event, published before the stage's) commits with
   * it. Answers its start time.
   */
  stageStarted(key: string, also?: AlsoInTransaction): Promise<string>;
  /**
   * Records the stage's end and, in the same transaction, the start of `next`: one commit between two
   * stages, and a crash leaves either the first stage running or it done and the next one started.
   * Answers the next stage's start time.
   */
  stageEndedNextStarted(end: StageEnd, next: string): Promise<string>;
  /**
   * Writes a stage's end inside the caller's transaction (the job's end, so both commit together); its
   * event is `publishStageEnd`, for the caller to publish after its own rows.
   */
  writeStageEnd(trx: Kysely<Database>, end: StageEnd): Promise<void>;
  publishStageEnd(trx: Kysely<Database>, end: StageEnd): Promise<void>;
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
  // Rows first, events last: on PostgreSQL an event holds the event log's lock until commit (db/event-log.ts).
  const writeStart = async (trx: Kysely<Database>, key: string, now: string) => {
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
  };
  const publishStart = (trx: Kysely<Database>, key: string) =>
    publishStageStatus(context, trx, job.job, key, 'running', null);
  /** `jobRow`: whether the job's stage and variables are written here (not when the next start does). */
  const writeEnd = async (trx: Kysely<Database>, end: StageEnd, now: string, jobRow: boolean) => {
    Object.assign(job.variables, end.captured);
    await store.upsertStage(trx, {
      job_id: jobId,
      stage_key: end.key,
      status: end.status,
      captured: encodeJson(end.captured),
      error_message: end.message,
      start_time: end.startTime,
      end_time: now,
    });
    if (jobRow) await store.setJobStage(trx, jobId, end.key, encodeJson(job.variables), now);
  };
  const publishEnd = (trx: Kysely<Database>, end: StageEnd) =>
    publishStageStatus(context, trx, job.job, end.key, end.status, end.message);
  return {
    async stageStarted(key, also) {
      const now = context.now();
      await db.transaction().execute(async (trx) => {
        await writeStart(trx, key, now);
        await also?.(trx);
        await publishStart(trx, key);
      });
      return now;
    },
    async stageEndedNextStarted(end, next) {
      const now = context.now();
      await db.transaction().execute(async (trx) => {
        await writeEnd(trx, end, now, false);
        await writeStart(trx, next, now);
        await publishEnd(trx, end);
        await publishStart(trx, next);
      });
      return now;
    },
    async writeStageEnd(trx, end) {
      await writeEnd(trx, end, context.now(), true);
    },
    async publishStageEnd(trx, end) {
      await publishEnd(trx, end);
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
