/**
 * Work a request starts but need not wait for (re-applying storage permissions to many experiment trees).
 * Tracked, so that closing the app waits for it instead of cutting it off, and logged when it fails.
 */
import type { FastifyBaseLogger } from 'fastify';

export interface BackgroundTasks {
  run(name: string, work: () => Promise<void>): void;
  /** Resolves when every task started so far has ended. */
  drain(): Promise<void>;
}

export function createBackgroundTasks(logger: FastifyBaseLogger): BackgroundTasks {
  const running = new Set<Promise<void>>();
  return {
    run(name, work) {
      const task = work().catch((error: unknown) => logger.error({ err: error }, `${name} failed`));
      running.add(task);
      void task.finally(() => running.delete(task));
    },
    async drain() {
      while (running.size > 0) await Promise.all(running);
    },
  };
}
