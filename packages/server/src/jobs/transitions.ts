/**
 * A job's statuses (db/job-tables.ts) and the moves between them. Where each is made:
 * - created pending (start.ts);
 * - pending → running: claimed by fair share, and running → running: taken over from a worker that is
 *   gone (claim.ts, the scheduler's decision);
 * - running → done | failed | aborted: its worker ends it (execute-job.ts, store.endJob);
 * - pending → aborted: a person stops it before it runs (service.stop); a running job is asked to stop
 *   (store.requestStop) and ends as aborted through its worker.
 * Done, failed and aborted jobs never move again (a resubmission is a new job).
 */
import type { Transitions } from '../claims/transitions.ts';
import type { JobStatus } from '../db/job-tables.ts';

export const jobTransitions: Transitions<JobStatus> = {
  pending: ['running', 'aborted'],
  running: ['running', 'done', 'failed', 'aborted'],
  done: [],
  failed: [],
  aborted: [],
};
