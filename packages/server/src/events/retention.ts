/**
 * Events are for following what happens, not an archive: those older than `DM_EVENT_RETENTION_DAYS` are
 * deleted in batches, so one run never holds a long lock or a huge transaction. Every process runs it;
 * two deleting at once only find less to delete.
 */
import type { ServiceContext } from '../context.ts';
import { deleteEventsBefore } from './store.ts';

const batchSize = 1_000;
const dayMs = 86_400_000;

/** Deletes every expired event; returns how many. */
export async function deleteExpiredEvents(context: ServiceContext): Promise<number> {
  const before = new Date(
    Date.parse(context.now()) - context.settings.eventRetentionDays * dayMs,
  ).toISOString();
  let total = 0;
  for (;;) {
    const deleted = await deleteEventsBefore(context.db, before, batchSize);
    total += deleted;
    if (deleted < batchSize) return total;
  }
}

export interface EventRetention {
  /** Runs a deletion now (tests, and once at start) and resolves when it is done. */
  runNow(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Deletes expired events soon after start and then every `intervalMs`; unscheduled (a process without the
 * retention role), only when `runNow()` is called.
 */
export function startEventRetention(
  context: ServiceContext,
  { intervalMs = 3_600_000, scheduled = true }: { intervalMs?: number; scheduled?: boolean } = {},
): EventRetention {
  let running: Promise<number> | undefined;
  const runNow = () => {
    running ??= deleteExpiredEvents(context)
      .then((deleted) => {
        if (deleted > 0) context.logger.info({ deleted }, 'expired events deleted');
        return deleted;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const runLogged = () =>
    void runNow().catch((error: unknown) =>
      context.logger.error({ err: error }, 'deleting expired events failed'),
    );
  const first = scheduled ? setTimeout(runLogged, 10_000).unref() : undefined;
  const timer = scheduled ? setInterval(runLogged, intervalMs).unref() : undefined;
  return {
    runNow,
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}
