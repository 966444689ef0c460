/**
 * The local worker: claims jobs for the `local` site up to its concurrency (default: one per core), runs
 * each, and every few seconds renews their leases and learns which were asked to stop. Another process'
 * stop request reaches a stage within `checkMs`; a stop in this process at once.
 */
import { leaseMs, newLeaseOwner } from '../claims/leases.ts';
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
  task: Promise<void>;
}

export function startJobRunner(
  context: ServiceContext,
  options: { matcher: OutputMatcher; concurrency?: number; checkMs?: number },
): JobRunner {
  const owner = newLeaseOwner();
  const concurrency = options.concurrency ?? context.settings.jobConcurrency;
  const running = new Map<number, Running>();
  const revisions: RevisionCache = new Map();
  let stopped = false;
  let wakeUp: (() => void) | undefined;
  let woken = false;
  let lastOrphanScan = Number.NEGATIVE_INFINITY;

  const run = (claimed: ClaimedJob) => {
    const entry: Running = {
      stop: new AbortController(),
      leaseLost: new AbortController(),
      task: Promise.resolve(),
    };
    entry.task = executeJob(context, claimed, {
      owner,
      matcher: options.matcher,
      revisions,
      signal: entry.stop.signal,
      leaseLost: entry.leaseLost.signal,
    })
      .catch((error: unknown) =>
        context.logger.error({ err: error, jobId: claimed.id }, 'running a job failed'),
      )
      .finally(() => {
        running.delete(claimed.id);
        wake();
      });
    running.set(claimed.id, entry);
  };

  const claimLoop = async () => {
    while (!stopped) {
      try {
        if (running.size < concurrency) {
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
          if (claimed) {
            run(claimed);
            continue;
          }
        }
      } catch (error) {
        context.logger.error({ err: error }, 'claiming a job failed');
      }
      // A wake that came while claiming (a job inserted just after the claim looked) is not lost.
      if (woken) {
        woken = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1_000);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = undefined;
      woken = false;
    }
  };
  const wake = () => {
    woken = true;
    wakeUp?.();
  };

  const check = async () => {
    const ids = [...running.keys()];
    if (ids.length === 0) return;
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
  const checker = setInterval(() => {
    check().catch((error: unknown) => context.logger.error({ err: error }, 'renewing job leases failed'));
  }, options.checkMs ?? 1_000);

  const done = claimLoop();
  return {
    wake,
    stopLocal(jobId) {
      const entry = running.get(jobId);
      entry?.stop.abort();
      return entry !== undefined;
    },
    async stop() {
      stopped = true;
      clearInterval(checker);
      wake();
      await done;
      // A restart must lose no job: the stages running now are stopped (recorded as aborted, so they do not
      // count against `retries`) and the leases released, so the next start runs those stages again.
      const ids = [...running.keys()];
      for (const entry of running.values()) {
        entry.leaseLost.abort();
        entry.stop.abort();
      }
      await Promise.all([...running.values()].map((entry) => entry.task));
      await releaseJobLeases(context.db, owner, ids, context.now());
    },
  };
}
