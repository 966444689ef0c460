/**
 * A DAQ's statuses (db/tables.ts) and the moves between them. Where each is made:
 * - created pending (service.start);
 * - pending → running, and running → running once its monitor's process is gone: claimed by the server's
 *   runner (runner.ts) or, for an agent DAQ, by its agent through the API, both with claimLeased
 *   (claims/leases.ts);
 * - pending | running → done | failed | aborted: ended (store.endDaq): done when a person stops it or its
 *   duration is over, failed when its directory may not be read or its agent refuses it. No caller ends
 *   a DAQ as aborted today, nor a pending one as failed; the guard has always allowed both.
 * Done, failed and aborted DAQs never move again.
 */
import type { Transitions } from '../claims/transitions.ts';
import type { DaqStatus } from '../db/tables.ts';

export const daqTransitions: Transitions<DaqStatus> = {
  pending: ['running', 'done', 'failed', 'aborted'],
  running: ['running', 'done', 'failed', 'aborted'],
  done: [],
  failed: [],
  aborted: [],
};
