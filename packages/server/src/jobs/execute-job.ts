/**
 * Runs a claimed job's stages in the sorted order of their keys, from where it stands: a resubmitted job
 * starts at its `fromStage`; a job taken over from a lost worker skips the stages that finished and gives
 * the interrupted one its next attempt (the lost attempt counts against `retries`).
 */
import type { ServiceContext } from '../context.ts';
import { decodeJson } from '../db/profile.ts';
import { isDeadLocalOwner } from '../leases.ts';
import { lookupUnixAccount, runsAsRoot, type UnixAccount } from '../system/unix-accounts.ts';
import { stageKeys, type WorkflowDefinition } from '../workflows/definition.ts';
import type { OutputMatcher } from '../workflows/output-variables.ts';
import { findRevisionById } from '../workflows/store.ts';
import { killProcessGroup } from './child-process.ts';
import type { ClaimedJob } from './claim.ts';
import { loadJobContext } from './job-context.ts';
import { publishJobStatus } from './job-events.ts';
import { isDirectory, runStage } from './run-stage.ts';
import { createStageRecorder } from './stage-recorder.ts';
import * as store from './store.ts';

export interface ExecuteOptions {
  owner: string;
  matcher: OutputMatcher;
  signal: AbortSignal;
  /** Aborted when this worker no longer holds the job's lease: then it must not write the job's end. */
  leaseLost: AbortSignal;
}

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
  const end = async (status: 'done' | 'failed' | 'aborted', message: string | null) => {
    if (options.leaseLost.aborted) return;
    const ended = await context.db.transaction().execute(async (trx) => {
      const stage = (await store.findJob(trx, job.id))?.stage ?? null;
      if (!(await store.endJob(trx, job.id, 'running', status, context.now(), message, options.owner)))
        return false;
      await publishJobStatus(context, trx, job, {
        status,
        previousStatus: 'running',
        stage,
        errorMessage: message,
      });
      return true;
    });
    if (ended) log.info({ status, message }, 'job ended');
  };
  if (!claimed.takenOver)
    await publishJobStatus(context, context.db, job, { status: 'running', previousStatus: 'pending' });
  const revision = await findRevisionById(context.db, job.workflow_revision_id);
  if (!revision) return await end('failed', `workflow revision ${job.workflow_revision_id} is missing`);
  const definition = decodeJson<WorkflowDefinition>(context.profile, revision.definition);

  let recovered: Recovered = { processes: new Map(), lost: new Map() };
  if (claimed.takenOver) recovered = await recoverLostStage(context, job.id, claimed.previousOwner);

  let account: UnixAccount | undefined;
  if (revision.run_as !== null) {
    if (!runsAsRoot())
      return await end(
        'failed',
        `stages must run as "${revision.run_as}", but this worker does not run as root`,
      );
    account = await lookupUnixAccount(revision.run_as);
    if (!account) return await end('failed', `there is no unix account "${revision.run_as}" on this worker`);
  }
  const jobContext = await loadJobContext(context, job, definition, revision.run_as);
  // Another account cannot enter the service's own directories: without an experiment, its home it is.
  if (account && job.experiment_id === null)
    jobContext.defaultWorkingDir = (await isDirectory(account.home)) ? account.home : '/';
  const recorder = createStageRecorder(context, jobContext);
  const finished = new Set(
    (await store.stagesOf(context.db, [job.id]))
      .filter((stage) => stage.status === 'done' || stage.status === 'skipped')
      .map((stage) => stage.stage_key),
  );
  const keys = stageKeys(definition);
  const first = job.from_stage === null ? 0 : Math.max(0, keys.indexOf(job.from_stage));
  for (const key of keys.slice(first)) {
    if (finished.has(key)) continue;
    if (options.signal.aborted) return await end('aborted', 'stopped');
    const startTime = await recorder.stageStarted(key);
    const outcome = await runStage({
      job: jobContext,
      key,
      stage: definition.stages[key]!,
      account,
      matcher: options.matcher,
      recorder,
      signal: options.signal,
      previousProcesses: recovered.processes.get(key) ?? 0,
      lostAttempts: recovered.lost.get(key) ?? 0,
    });
    await recorder.settle();
    if (options.leaseLost.aborted) return;
    switch (outcome.status) {
      case 'done':
        await recorder.stageEnded(key, startTime, 'done', null, outcome.captured);
        break;
      case 'skipped':
        await recorder.stageEnded(key, startTime, 'skipped', null, {});
        break;
      case 'failed':
        await recorder.stageEnded(key, startTime, 'failed', outcome.message, {});
        return await end('failed', `stage ${key} failed: ${outcome.message}`);
      case 'aborted':
        await recorder.stageEnded(key, startTime, 'aborted', 'stopped', {});
        return await end('aborted', `stopped during stage ${key}`);
      default: {
        const never: never = outcome;
        throw new Error(`unknown stage outcome ${JSON.stringify(never)}`);
      }
    }
  }
  await end('done', null);
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
    for (const process of lost) if (process.pid) killProcessGroup(process.pid);
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
