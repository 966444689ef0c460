/**
 * Runs a claimed job's stages in the sorted order of their keys, from where it stands: a resubmitted job
 * starts at its `fromStage`; a job taken over from a lost worker skips the stages that finished and gives
 * the interrupted one its next attempt (the lost attempt counts against `retries`).
 */
import type { Kysely } from 'kysely';
import { isDeadLocalOwner } from '../claims/leases.ts';
import type { ServiceContext } from '../context.ts';
import { decodeJson } from '../db/profile.ts';
import type { Database } from '../db/tables.ts';
import { defined } from '../errors/defined.ts';
import { stageKeys, type WorkflowDefinition } from '../workflows/definition.ts';
import { stageLimitsForJob } from '../workflows/limits.ts';
import { findRevisionById } from '../workflows/lookup.ts';
import type { OutputMatcher } from '../workflows/output-variables.ts';
import { accountForJob } from '../workflows/run-as.ts';
import { killProcessGroup } from './child-process.ts';
import type { ClaimedJob } from './claim.ts';
import { loadJobContext } from './job-context.ts';
import { publishJobStatus } from './job-events.ts';
import { isDirectory, runStage } from './run-stage.ts';
import { createStageRecorder, type StageEnd, type StageRecorder } from './stage-recorder.ts';
import type { JobRecord } from './store.ts';
import * as store from './store.ts';

export interface ExecuteOptions {
  owner: string;
  matcher: OutputMatcher;
  signal: AbortSignal;
  /** Aborted when this worker no longer holds the job's lease: then it must not write the job's end. */
  leaseLost: AbortSignal;
  /** The workflow revisions this worker has read (the runner's). */
  revisions: RevisionCache;
}

export type RevisionCache = Map<number, NonNullable<Awaited<ReturnType<typeof findRevisionById>>>>;

/** Runs the job; an unexpected error (the database gone at the wrong moment) fails the job, saying why. */
export async function executeJob(
  context: ServiceContext,
  claimed: ClaimedJob,
  options: ExecuteOptions,
): Promise<void> {
  try {
    await runClaimedJob(context, claimed, options);
  } catch (error) {
    context.logger.error({ err: error, jobId: claimed.id }, 'running a job failed');
    if (options.leaseLost.aborted) return;
    const message = `internal error: ${error instanceof Error ? error.message : String(error)}`;
    await context.db
      .transaction()
      .execute(async (trx) => {
        const job = await store.findJob(trx, claimed.id);
        if (
          !job ||
          !(await store.endJob(trx, job.id, 'running', 'failed', context.now(), message, options.owner))
        )
          return;
        await publishJobStatus(context, trx, job, {
          status: 'failed',
          previousStatus: 'running',
          errorMessage: message,
        });
      })
      .catch((second: unknown) =>
        // The lease then expires and the job is taken over, by this worker or another.
        context.logger.error({ err: second, jobId: claimed.id }, 'recording a failed job failed'),
      );
  }
}

async function runClaimedJob(
  context: ServiceContext,
  claimed: ClaimedJob,
  options: ExecuteOptions,
): Promise<void> {
  const log = context.logger.child({ jobId: claimed.id });
  const job = await store.findJob(context.db, claimed.id);
  if (!job) return;
  // The job's move to running is announced in the transaction of its first write: the first stage's start,
  // or its end when it fails before any stage. A job taken over was announced by its first worker.
  let announced = claimed.takenOver;
  const announce = async (trx: Kysely<Database>) => {
    if (announced) return;
    await publishJobStatus(context, trx, job, { status: 'running', previousStatus: 'pending' });
    announced = true;
  };
  let stage = job.stage;
  let recorder: StageRecorder | undefined;
  const end = async (status: 'done' | 'failed' | 'aborted', message: string | null, last?: StageEnd) => {
    if (options.leaseLost.aborted) return;
    const ended = await context.db.transaction().execute(async (trx) => {
      if (last) await recorder?.writeStageEnd(trx, last);
      const now = context.now();
      const won = await store.endJob(trx, job.id, 'running', status, now, message, options.owner);
      // Events after the rows (they hold the event log's lock until commit), in the order they happened.
      await announce(trx);
      if (last) await recorder?.publishStageEnd(trx, last);
      if (won)
        await publishJobStatus(context, trx, job, {
          status,
          previousStatus: 'running',
          stage,
          errorMessage: message,
        });
      return won;
    });
    if (ended) log.info({ status, message }, 'job ended');
  };
  const revision = await findRevision(context, job.workflow_revision_id, options.revisions);
  if (!revision) return await end('failed', `workflow revision ${job.workflow_revision_id} is missing`);
  const definition = decodeJson<WorkflowDefinition>(context.profile, revision.definition);

  let recovered: Recovered = { processes: new Map(), lost: new Map() };
  if (claimed.takenOver) recovered = await recoverLostStage(context, job.id, claimed.previousOwner);

  // Checked before every job, not only at upsert: a station list or the settings may have changed since.
  const runAs = await accountForJob(context, revision);
  if (!runAs.ok) return await end('failed', runAs.message);
  const account = runAs.account;
  const jobContext = await loadJobContext(context, job, definition, account?.name ?? null);
  // Another account cannot enter the service's own directories: without an experiment, its home it is.
  if (account && job.experiment_id === null)
    jobContext.defaultWorkingDir = (await isDirectory(account.home)) ? account.home : '/';
  const limits = await stageLimitsForJob(context.db, context.settings, job.submitted_by);
  recorder = createStageRecorder(context, jobContext);
  const finished = await finishedStages(context, job, claimed);
  const keys = stageKeys(definition);
  const first = job.from_stage === null ? 0 : Math.max(0, keys.indexOf(job.from_stage));
  const toRun = keys.slice(first).filter((key) => !finished.has(key));
  if (toRun.length === 0) return await end('done', null);
  if (options.signal.aborted) return await end('aborted', 'stopped');
  let startTime = await recorder.stageStarted(defined(toRun[0], 'a stage to run'), announce);
  for (const [index, key] of toRun.entries()) {
    stage = key;
    const outcome = await runStage({
      job: jobContext,
      key,
      stage: defined(definition.stages[key], `stage ${key}`),
      account,
      matcher: options.matcher,
      recorder,
      signal: options.signal,
      previousProcesses: recovered.processes.get(key) ?? 0,
      lostAttempts: recovered.lost.get(key) ?? 0,
      limits,
    });
    await recorder.settle();
    if (options.leaseLost.aborted) return;
    const ended = { key, startTime, message: null, captured: {} };
    switch (outcome.status) {
      case 'done':
      case 'skipped': {
        const captured = outcome.status === 'done' ? outcome.captured : {};
        const last: StageEnd = { ...ended, status: outcome.status, captured };
        const next = toRun[index + 1];
        if (next === undefined) return await end('done', null, last);
        if (options.signal.aborted) return await end('aborted', 'stopped', last);
        startTime = await recorder.stageEndedNextStarted(last, next);
        break;
      }
      case 'failed':
        return await end('failed', `stage ${key} failed: ${outcome.message}`, {
          ...ended,
          status: 'failed',
          message: outcome.message,
        });
      case 'aborted':
        return await end('aborted', `stopped during stage ${key}`, {
          ...ended,
          status: 'aborted',
          message: 'stopped',
        });
      default: {
        const never: never = outcome;
        throw new Error(`unknown stage outcome ${JSON.stringify(never)}`);
      }
    }
  }
}

/**
 * The stages a job has finished. A job claimed from pending has none: only a running job writes stage
 * rows, and no job goes back to pending.
 */
async function finishedStages(context: ServiceContext, job: JobRecord, claimed: ClaimedJob) {
  if (!claimed.takenOver) return new Set<string>();
  return new Set(
    (await store.stagesOf(context.db, [job.id]))
      .filter((row) => row.status === 'done' || row.status === 'skipped')
      .map((row) => row.stage_key),
  );
}

/** A workflow revision, never changed once written: each is read once per worker. */
async function findRevision(context: ServiceContext, id: number, revisions: RevisionCache) {
  const known = revisions.get(id);
  if (known) return known;
  const revision = await findRevisionById(context.db, id);
  if (revision) {
    if (revisions.size >= 100) revisions.clear();
    revisions.set(id, revision);
  }
  return revision;
}

interface Recovered {
  /** The highest child process number of each stage, so numbering goes on. */
  processes: Map<string, number>;
  /** Processes per stage that were running when the worker was lost. */
  lost: Map<string, number>;
}

/**
 * The stage a lost worker was running: its processes are failed, and killed when that worker ran on this
 * host (they were in their own process group and outlived it).
 */
async function recoverLostStage(
  context: ServiceContext,
  jobId: number,
  previousOwner: string | null,
): Promise<Recovered> {
  const lost = await store.failLostProcesses(
    context.db,
    jobId,
    context.now(),
    'the worker running it was lost',
  );
  if (isDeadLocalOwner(previousOwner))
    for (const process of lost)
      if (process.pid) await killProcessGroup(process.pid, context.settings.stageSwitch);
  const recovered: Recovered = { processes: new Map(), lost: new Map() };
  for (const process of lost)
    recovered.lost.set(process.stage_key, (recovered.lost.get(process.stage_key) ?? 0) + 1);
  for (const process of await store.processesOf(context.db, [jobId]))
    recovered.processes.set(
      process.stage_key,
      Math.max(recovered.processes.get(process.stage_key) ?? 0, process.number),
    );
  context.logger.warn({ jobId, lost: lost.length }, 'took over a job whose worker was lost');
  return recovered;
}
