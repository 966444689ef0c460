/**
 * The claim loop: how a process takes up one kind of background work (jobs, DAQs, uploads; next archive,
 * streaming and remote sites). It claims the next item and runs it, and claims again while it has room;
 * with nothing to claim it sleeps until woken (a row inserted, a run ended, a notification) or until
 * `pollMs` has passed, the safety net for a lost notification and for leases that expire in other
 * processes. It can renew the leases of what it runs, and on stop it tells every run to stop, waits for
 * them and drains.
 *
 * What to claim and how to run it stay with each kind: jobs/claim.ts is the scheduler's decision,
 * claimLeased (leases.ts) takes DAQs and uploads.
 */
import type { FastifyBaseLogger } from 'fastify';
import { newLeaseOwner } from './leases.ts';

export interface ClaimLoop {
  /** Something may be claimable now: claim without waiting for the next poll. */
  wake(): void;
  /** Stops claiming, aborts every run's `stopping`, waits for the runs to return, then drains. */
  stop(): Promise<void>;
}

/** What a run is given besides its item. */
export interface RunContext {
  /** The lease owner the item was claimed for (`host:pid:random`, one per loop). */
  owner: string;
  /** Aborted when the loop stops: the run must return soon after, leaving its item to be taken up again. */
  stopping: AbortSignal;
}

export interface ClaimLoopOptions<T> {
  /** For logs: 'upload', 'DAQ monitor', 'job'. */
  name: string;
  logger: Pick<FastifyBaseLogger, 'error'>;
  /** Claims the next item for `owner`, never one of `running` (this loop's); undefined when there is none. */
  claim(owner: string, running: readonly T[]): Promise<T | undefined>;
  run(item: T, context: RunContext): Promise<void>;
  /** How many items run at once: 1 takes them one after another; Infinity runs each until it ends. */
  concurrency: number;
  /** Without a wake, the loop claims at least this often (1 s). */
  pollMs?: number;
  /** Renews the leases of the items running now, every `everyMs` (for runs that do not renew their own). */
  renew?: { everyMs: number; leases(items: T[], owner: string): Promise<void> };
  /** On stop, once every run has returned: the items that were running then (to release their leases). */
  drain?(items: T[], owner: string): Promise<void>;
}

/**
 * @example
 * const loop = startClaimLoop({
 *   name: 'upload', logger, concurrency: 1,
 *   claim: (owner) => claimNextUpload(owner),
 *   run: (upload, { owner, stopping }) => runUpload(upload, owner, () => stopping.aborted),
 * });
 * createUploadService(context, loop.wake);
 */
export function startClaimLoop<T>(options: ClaimLoopOptions<T>): ClaimLoop {
  const owner = newLeaseOwner();
  const pollMs = options.pollMs ?? 1_000;
  const running = new Map<Promise<void>, { item: T; stopping: AbortController }>();
  let stopped = false;
  // A wake since the current claim pass began. Without it, a wake that came while a pass ran (a row
  // inserted just after the claim looked) was lost, and the item waited for the next poll; a stop, too.
  let woken = false;
  let wakeUp: (() => void) | undefined;

  const wake = () => {
    woken = true;
    wakeUp?.();
  };

  const start = (item: T) => {
    const stopping = new AbortController();
    // Claimed by a pass that was under way when the loop stopped.
    if (stopped) stopping.abort();
    const task: Promise<void> = options
      .run(item, { owner, stopping: stopping.signal })
      .catch((error: unknown) => options.logger.error({ err: error }, `${options.name} failed`))
      .finally(() => {
        running.delete(task);
        wake(); // room for the next item
      });
    running.set(task, { item, stopping });
  };

  const loop = async () => {
    while (!stopped) {
      woken = false;
      try {
        if (running.size < options.concurrency) {
          const item = await options.claim(
            owner,
            [...running.values()].map((run) => run.item),
          );
          if (item !== undefined) {
            start(item);
            continue;
          }
        }
      } catch (error) {
        options.logger.error({ err: error }, `${options.name}: claiming work failed`);
      }
      if (woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = undefined;
    }
  };

  const renew = options.renew;
  const renewal =
    renew &&
    setInterval(() => {
      const items = [...running.values()].map((run) => run.item);
      if (items.length === 0) return;
      renew
        .leases(items, owner)
        .catch((error: unknown) =>
          options.logger.error({ err: error }, `${options.name}: renewing leases failed`),
        );
    }, renew.everyMs);

  const done = loop();
  return {
    wake,
    async stop() {
      stopped = true;
      clearInterval(renewal);
      for (const run of running.values()) run.stopping.abort();
      wake();
      await done;
      const interrupted = [...running.values()].map((run) => run.item);
      await Promise.all(running.keys());
      await options.drain?.(interrupted, owner);
    },
  };
}
