/**
 * The local worker: claims jobs for the `local` site up to its concurrency (default: one per core), runs
 * each, and every few seconds renews their leases and learns which were asked to stop. Another process'
 * stop request reaches a stage within `checkMs`; a stop in this process at once. The claiming, waking,
 * polling and stopping are the claim loop's (claims/claim-loop.ts); which job comes next is claim.ts'.
 */
import { type RunContext, startClaimLoop } from '../claims/claim-loop.ts';
import { leaseMs } from '../claims/leases.ts';
import type { ServiceContext } from '../context.ts';
import type { OutputMatcher } from '../workflows/output-variables.ts';
import { type ClaimedJob, claimNextJob } from './claim.ts';
import { executeJob, type RevisionCache } from './execute-job.ts';
import { releaseJobLeases, renewLeases } from './store.ts';

export const localSite = 'local';

/** How often a busy worker looks for orphaned jobs; an idle one wakes at least this seldom anyway. */
const orphanScanMs = 1_000;

export interface JobRunner {
  wake(): void;
  /** Stops a job running in this process at once; false when it runs elsewhere (or not at all). */
  stopLocal(jobId: number): boolean;
  stop(): Promise<void>;
}

interface Running {
  stop: AbortController;
  leaseLost: AbortController;
}

export function startJobRunner(
  context: ServiceContext,
  options: { matcher: OutputMatcher; concurrency?: number; checkMs?: number },
): JobRunner {
  const running = new Map<number, Running>();
  const revisions: RevisionCache = new Map();
  let lastOrphanScan = Number.NEGATIVE_INFINITY;

  const claim = async (owner: string): Promise<ClaimedJob | undefined> => {
    const now = context.now();
    const lookForOrphans = performance.now() - lastOrphanScan >= orphanScanMs;
    if (lookForOrphans) lastOrphanScan = performance.now();
    const claimed = await claimNextJob(context.db, {
      owner,
      site: localSite,
      now,
      leaseUntil: new Date(Date.parse(now) + leaseMs).toISOString(),
      runningHere: new Set(running.keys()),
      lookForOrphans,
    });
    // Where one orphan was, there may be more (a whole worker's jobs): look again at the next claim.
    if (claimed?.takenOver) lastOrphanScan = Number.NEGATIVE_INFINITY;
    return claimed;
  };

  const run = async (claimed: ClaimedJob, { owner, stopping }: RunContext) => {
    const entry: Running = { stop: new AbortController(), leaseLost: new AbortController() };
    // A restart must lose no job: the stages running now are stopped (recorded as aborted, so they do not
    // count against `retries`) and their leases released (drain), so the next start runs those stages again.
    const stopForRestart = () => {
      entry.leaseLost.abort();
      entry.stop.abort();
    };
    if (stopping.aborted) stopForRestart();
    stopping.addEventListener('abort', stopForRestart, { once: true });
    running.set(claimed.id, entry);
    try {
      await executeJob(context, claimed, {
        owner,
        matcher: options.matcher,
        revisions,
        signal: entry.stop.signal,
        leaseLost: entry.leaseLost.signal,
      });
    } catch (error) {
      context.logger.error({ err: error, jobId: claimed.id }, 'running a job failed');
    } finally {
      running.delete(claimed.id);
    }
  };

  const renew = async (jobs: ClaimedJob[], owner: string) => {
    const ids = jobs.map((job) => job.id);
    const now = context.now();
    const held = await renewLeases(context.db, owner, ids, new Date(Date.parse(now) + leaseMs).toISOString());
    const heldIds = new Set(held.map((row) => row.id));
    // Only the jobs this renewal asked about: one claimed while it was on its way is held, though absent
    // from `held`. (Judging those too stopped them without an end; their leases then expired and another
    // worker ran their stage a second time.)
    for (const id of ids) {
      const entry = running.get(id);
      if (entry && !heldIds.has(id)) {
        // Another worker took it over (this one stalled past its lease): stop without writing its end.
        entry.leaseLost.abort();
        entry.stop.abort();
      }
    }
    for (const row of held) if (row.stop_requested === 1) running.get(row.id)?.stop.abort();
  };

  const loop = startClaimLoop({
    name: 'job',
    logger: context.logger,
    concurrency: options.concurrency ?? context.settings.jobConcurrency,
    // An idle worker looks for orphans as often as a busy one.
    pollMs: orphanScanMs,
    claim,
    run,
    renew: { everyMs: options.checkMs ?? 1_000, leases: renew },
    drain: (jobs, owner) =>
      releaseJobLeases(
        context.db,
        owner,
        jobs.map((job) => job.id),
        context.now(),
      ),
  });
  return {
    wake: loop.wake,
    stopLocal(jobId) {
      const entry = running.get(jobId);
      entry?.stop.abort();
      return entry !== undefined;
    },
    stop: loop.stop,
  };
}
