import type { Kysely } from 'kysely';
import type { EventLogRow } from '../db/event-log.ts';
import { type DialectProfile, decodeJson, encodeJson } from '../db/profile.ts';
import type { Database, EventRow } from '../db/tables.ts';
import type { NewEvent, PublishedEvent } from './event-types.ts';

/** An event row with the names readers see. */
export interface EventRecord extends EventRow {
  experiment_name: string | null;
  username: string | null;
}

/** The row an event is stored as. */
export function eventRow(event: NewEvent): EventLogRow {
  return {
    type: event.type,
    experiment_id: event.experimentId ?? null,
    user_id: event.userId ?? null,
    subject_id: event.subjectId === undefined || event.subjectId === null ? null : String(event.subjectId),
    payload: encodeJson(event.payload),
    // Services publish through the hub, which stamps the injected time; only tests and benchmarks that
    // append directly (no context at hand) reach this wall clock.
    created_at: event.createdAt ?? new Date().toISOString(),
  };
}

/** A plain insert, without the ordering lock or notification: for tests and benchmarks only. */
export async function insertEvent(db: Kysely<Database>, event: NewEvent): Promise<number> {
  const row = await db.insertInto('events').values(eventRow(event)).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export interface EventQuery {
  types?: string[];
  experimentId?: number;
  subjectId?: string;
}

/** Events after `afterId`, oldest first, at most `limit`. */
export async function readEventsAfter(
  db: Kysely<Database>,
  afterId: number,
  limit: number,
  filter: EventQuery = {},
): Promise<EventRecord[]> {
  let query = db
    .selectFrom('events as ev')
    .leftJoin('experiments as e', 'e.id', 'ev.experiment_id')
    .leftJoin('users as u', 'u.id', 'ev.user_id')
    .selectAll('ev')
    .select(['e.name as experiment_name', 'u.username as username'])
    .where('ev.id', '>', afterId)
    .orderBy('ev.id')
    .limit(limit);
  if (filter.types !== undefined) query = query.where('ev.type', 'in', filter.types);
  if (filter.experimentId !== undefined) query = query.where('ev.experiment_id', '=', filter.experimentId);
  if (filter.subjectId !== undefined) query = query.where('ev.subject_id', '=', filter.subjectId);
  return query.execute();
}

export async function lastEventId(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('events')
    .select((eb) => eb.fn.max('id').as('last'))
    .executeTakeFirst();
  return Number(row?.last ?? 0);
}

/** Deletes up to `batch` events created before `before`, oldest first; returns how many. */
export async function deleteEventsBefore(
  db: Kysely<Database>,
  before: string,
  batch: number,
): Promise<number> {
  const result = await db
    .deleteFrom('events')
    .where('id', 'in', (eb) =>
      eb.selectFrom('events').select('id').where('created_at', '<', before).orderBy('id').limit(batch),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export function presentEvent(profile: DialectProfile, record: EventRecord): PublishedEvent {
  return {
    id: record.id,
    type: record.type,
    experimentName: record.experiment_name,
    username: record.username,
    subjectId: record.subject_id,
    createdAt: record.created_at,
    payload: decodeJson<Record<string, unknown>>(profile, record.payload),
  };
}
