import { type ClaimLoop, startClaimLoop } from '../claims/claim-loop.ts';
import { claimLeased, leaseMs } from '../claims/leases.ts';
import type { UnsavedErrors } from '../claims/unsaved-errors.ts';
import type { ServiceContext } from '../context.ts';
import { monitorDaq } from './monitor.ts';
import { type DaqRecord, findDaq } from './records.ts';
import { publishDaqStatus } from './status-events.ts';

/**
 * Claims DAQs (new ones, and those whose process died) and runs a monitor for each until it ends. In the
 * embedded default this runs in the api process.
 */
export function startDaqRunner(
  context: ServiceContext,
  options: { claimEveryMs?: number; tickMs?: number; unsaved: UnsavedErrors },
): ClaimLoop {
  return startClaimLoop<DaqRecord>({
    name: 'DAQ monitor',
    logger: context.logger,
    concurrency: Number.POSITIVE_INFINITY, // each DAQ runs until it ends
    pollMs: options.claimEveryMs,
    claim: async (owner, running) => {
      const now = context.now();
      const id = await claimLeased(
        context.db,
        'daqs',
        owner,
        now,
        new Date(Date.parse(now) + leaseMs).toISOString(),
        {
          // Agent DAQs watch directories on other machines: only their agent may take them.
          filter: { mode: 'server' },
          running: running.map((daq) => daq.id),
          onClaimed: async (trx, id, previousStatus) => {
            const daq = await findDaq(trx, id);
            if (daq) await publishDaqStatus(context, trx, daq, 'running', previousStatus);
          },
        },
      );
      return id === undefined ? undefined : findDaq(context.db, id);
    },
    run: (daq, { owner, stopping }) =>
      monitorDaq(context, daq, {
        owner,
        rescanIntervalMs: context.settings.daqRescanSeconds * 1000,
        tickMs: options.tickMs ?? 100,
        watch: context.settings.daqWatch,
        isStopping: () => stopping.aborted,
        unsaved: options.unsaved,
      }),
  });
}
