import type { Kysely } from 'kysely';
import { appendEvent, appendEvents } from '../db/event-log.ts';
import { profileOf } from '../db/profile.ts';
import type { Database } from '../db/tables.ts';
import type { NewEvent } from './event-types.ts';
import { eventRow } from './store.ts';

/**
 * Appends an event. Pass the transaction of the change the event reports, so that both commit together or
 * not at all; given the database itself, the event commits at once. On PostgreSQL, make it the
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
  return appendEvent(db, profileOf(db as Kysely<unknown>), eventRow(event));
}

/** Appends several events in order, in one statement: `publishEvent` for a batch. */
export async function publishEvents(db: Kysely<Database>, events: readonly NewEvent[]): Promise<void> {
  await appendEvents(db, profileOf(db as Kysely<unknown>), events.map(eventRow));
}
