import type { ServiceContext } from '../context.ts';
import { newLeaseOwner } from '../leases.ts';
import { monitorDaq } from './monitor.ts';
import * as store from './store.ts';

const leaseMs = 30_000;

export interface DaqRunner {
  wake(): void;
  stop(): Promise<void>;
}

/**
 * Claims DAQs (new ones, and those whose process died) and runs a monitor for each until it ends. In the
 * embedded default this runs in the api process.
 */
export function startDaqRunner(
  context: ServiceContext,
  options: { claimEveryMs?: number; scanIntervalMs?: number } = {},
): DaqRunner {
  const owner = newLeaseOwner();
  const monitors = new Set<Promise<void>>();
  let stopped = false;
  let wakeUp: (() => void) | undefined;

  const loop = async () => {
    while (!stopped) {
      try {
        const now = context.now();
        const daq = await store.claimDaq(
          context.db,
          owner,
          now,
          new Date(Date.parse(now) + leaseMs).toISOString(),
        );
        if (daq) {
          const running = monitorDaq(context, daq, {
            owner,
            scanIntervalMs: options.scanIntervalMs ?? 500,
            isStopping: () => stopped,
          })
            .catch((error: unknown) =>
              context.logger.error({ err: error, daqId: daq.id }, 'DAQ monitor failed'),
            )
            .finally(() => monitors.delete(running));
          monitors.add(running);
          continue;
        }
      } catch (error) {
        context.logger.error({ err: error }, 'DAQ runner');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.claimEveryMs ?? 1_000);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
  const done = loop();
  return {
    wake: () => wakeUp?.(),
    async stop() {
      stopped = true;
      wakeUp?.();
      await done;
      await Promise.all(monitors);
    },
  };
}
