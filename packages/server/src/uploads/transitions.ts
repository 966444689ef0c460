/**
 * An upload's statuses (db/tables.ts) and the moves between them. Where each is made:
 * - created pending (service.create);
 * - pending → running, and running → running once its runner is gone: claimed (runner.ts, with
 *   claimLeased of claims/leases.ts);
 * - running → done | failed: its runner ends it (store.finishUpload);
 * - pending | running → aborted: a person stops it (service.stop, store.abortUpload).
 * Done, failed and aborted uploads never move again.
 */
import type { Transitions } from '../claims/transitions.ts';
import type { UploadStatus } from '../db/tables.ts';

export const uploadTransitions: Transitions<UploadStatus> = {
  pending: ['running', 'aborted'],
  running: ['running', 'done', 'failed', 'aborted'],
  done: [],
  failed: [],
  aborted: [],
};
