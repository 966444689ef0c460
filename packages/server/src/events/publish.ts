import type { Kysely } from 'kysely';
import { announceEvents, lockEventLog } from '../db/event-log.ts';
import { profileOf } from '../db/profile.ts';
import type { Database } from '../db/tables.ts';
import type { NewEvent } from './event-types.ts';
import { insertEvent } from './store.ts';

/**
 * Appends an event. Pass the transaction of the change the event reports, so that both commit together or
 * not at all; given the database itself, it makes a transaction of its own. On PostgreSQL, make it the
 * last write of the transaction: from here until commit, other event-writing transactions wait (that is
 * what keeps ids in commit order, see db/event-log.ts). Streams of other processes wake at commit
 * (PostgreSQL) or within their polling interval; services with a context call `context.events.publish`,
 * which also wakes this process' streams at once.
 *
 * @example
 * await db.transaction().execute(async (trx) => {
 *   await setJobStatus(trx, job.id, 'done');
 *   await publishEvent(trx, { type: 'job.status', experimentId, userId: job.submitterId, subjectId: job.id,
 *     payload: { status: 'done', previousStatus: 'running' } });
 * });
 */
export async function publishEvent(db: Kysely<Database>, event: NewEvent): Promise<number> {
  if (!db.isTransaction) return db.transaction().execute((trx) => publishEvent(trx, event));
  const profile = profileOf(db as Kysely<unknown>);
  await lockEventLog(db, profile);
  const id = await insertEvent(db, event);
  await announceEvents(db, profile);
  return id;
}
