/**
 * The workflow engine of one process: the local worker (runner), the loop turning DAQs' processing requests
 * into jobs, and the retention sweep. Built by createApp; `stop` releases running jobs for the next start.
 */
import type { ServiceContext } from '../context.ts';
import { createOutputMatcher } from '../workflows/output-variables.ts';
import { dispatchProcessingRequests } from './processing-requests.ts';
import { deleteExpiredJobs } from './retention.ts';
import { type JobRunner, startJobRunner } from './runner.ts';

const dispatchIntervalMs = 1_000;
const retentionIntervalMs = 3_600_000;

export interface JobEngine {
  runner: JobRunner;
  /** Looks for processing requests now (a DAQ just recorded one). */
  wakeDispatcher(): void;
  stop(): Promise<void>;
}

export function startJobEngine(context: ServiceContext): JobEngine {
  const matcher = createOutputMatcher();
  const runner = startJobRunner(context, { matcher });
  let stopped = false;
  let dispatching: Promise<void> = Promise.resolve();
  const dispatch = () => {
    if (stopped) return;
    dispatching = dispatching
      .then(async () => {
        if ((await dispatchProcessingRequests(context)) > 0) runner.wake();
      })
      .catch((error: unknown) => context.logger.error({ err: error }, 'starting jobs for DAQ files failed'));
  };
  const sweep = () =>
    deleteExpiredJobs(context).catch((error: unknown) =>
      context.logger.error({ err: error }, 'deleting expired jobs failed'),
    );
  const dispatcher = setInterval(dispatch, dispatchIntervalMs);
  const retention = setInterval(() => void sweep(), retentionIntervalMs);
  dispatch();
  return {
    runner,
    wakeDispatcher: dispatch,
    async stop() {
      stopped = true;
      clearInterval(dispatcher);
      clearInterval(retention);
      await dispatching;
      await runner.stop();
      await matcher.close();
    },
  };
}
