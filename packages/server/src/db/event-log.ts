/**
 * What the event log needs from each database (events/ holds the rules; this file the dialect).
 *
 * Streams read the log by increasing id and remember the last id they sent, so an id must never become
 * visible after a larger one: otherwise a reader that already moved past it would miss it forever. SQLite has
 * one writer at a time, so ids commit in order. PostgreSQL hands out identity values before commit, so two
 * transactions could commit their events out of order; a transaction-scoped advisory lock, taken just before
 * the insert and held until commit, makes event-writing transactions commit one after the other from that
 * point. `NOTIFY` inside the transaction is delivered only at commit, to every listening process.
 */
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { defined } from '../errors/defined.ts';
import type { DialectProfile } from './profile.ts';
import type { Database } from './tables.ts';

/** Any constant will do; it has to be the same in every process of a deployment. */
const eventLogLockKey = 7_007_001;
export const eventChannel = 'dm_events';

/**
 * Appends several events in one statement, in order, as `appendEvent` appends one (the same ordering lock
 * and notification on PostgreSQL): a batch of files cataloged together costs one round trip for its events.
 */
export async function appendEvents(
  db: Kysely<Database>,
  profile: DialectProfile,
  rows: readonly EventLogRow[],
): Promise<void> {
  if (rows.length === 0) return;
  switch (profile.name) {
    case 'sqlite':
      await db
        .insertInto('events')
        .values([...rows])
        .execute();
      return;
    case 'postgres': {
      const values = rows.map(
        (row, position) =>
          sql`(${row.type}::text, ${row.experiment_id}::integer, ${row.user_id}::integer, ${row.subject_id}::text, ${row.payload}::jsonb, ${row.created_at}::text, ${sql.lit(position)}::integer)`,
      );
      // ORDER BY the position: ids are drawn in the order rows are inserted.
      await sql`
        INSERT INTO events (type, experiment_id, user_id, subject_id, payload, created_at)
        SELECT v.type, v.experiment_id, v.user_id, v.subject_id, v.payload, v.created_at
        FROM (SELECT pg_advisory_xact_lock(${eventLogLockKey})) AS serialized,
             (VALUES ${sql.join(values)}) AS v(type, experiment_id, user_id, subject_id, payload, created_at, position)
        ORDER BY v.position
        RETURNING pg_notify(${eventChannel}, '')`.execute(db);
      return;
    }
    default: {
      const never: never = profile.name;
      throw new Error(`unknown dialect ${String(never)}`);
    }
  }
}

export interface EventLogRow {
  type: string;
  experiment_id: number | null;
  user_id: number | null;
  subject_id: string | null;
  /** JSON text. */
  payload: string;
  created_at: string;
}

/**
 * Appends one event and returns its id. On PostgreSQL one statement takes the lock, inserts (the id is
 * drawn after the lock is held) and notifies, so the lock is held for one round trip plus the commit: in a
 * caller's transaction until it commits, on its own until the statement's implicit commit.
 */
export async function appendEvent(
  db: Kysely<Database>,
  profile: DialectProfile,
  row: EventLogRow,
): Promise<number> {
  switch (profile.name) {
    case 'sqlite': {
      const inserted = await db.insertInto('events').values(row).returning('id').executeTakeFirstOrThrow();
      return inserted.id;
    }
    case 'postgres': {
      const result = await sql<{ id: number }>`
        INSERT INTO events (type, experiment_id, user_id, subject_id, payload, created_at)
        SELECT ${row.type}::text, ${row.experiment_id}::integer, ${row.user_id}::integer,
               ${row.subject_id}::text, ${row.payload}::jsonb, ${row.created_at}::text
        FROM (SELECT pg_advisory_xact_lock(${eventLogLockKey})) AS serialized
        RETURNING id, pg_notify(${eventChannel}, '')`.execute(db);
      return defined(result.rows[0], 'the inserted event').id;
    }
    default: {
      const never: never = profile.name;
      throw new Error(`unknown dialect ${String(never)}`);
    }
  }
}

export interface EventListener {
  /** True while the LISTEN connection is up: notifications arrive, polling may slow down. */
  readonly connected: boolean;
  close(): Promise<void>;
}

/**
 * A dedicated PostgreSQL connection that LISTENs on the event channel and calls `onNotify` for each
 * notification, reconnecting after a failure (until then, readers rely on polling).
 */
export function listenForEvents(
  databaseUrl: string,
  onNotify: () => void,
  onError: (error: unknown) => void,
  retryMs = 1_000,
): EventListener {
  let client: pg.Client | undefined;
  let connected = false;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;

  const connect = async () => {
    const candidate = new pg.Client({ connectionString: databaseUrl });
    client = candidate;
    const lost = (error: unknown) => {
      if (closed || client !== candidate) return;
      connected = false;
      client = undefined;
      onError(error);
      candidate.end().catch(() => {});
      retryTimer = setTimeout(() => void connect(), retryMs);
    };
    candidate.on('error', lost);
    candidate.on('notification', () => onNotify());
    try {
      await candidate.connect();
      await candidate.query(`LISTEN ${eventChannel}`);
      if (closed) return;
      connected = true;
      // Whatever was committed while the connection was down is found by reading the log now.
      onNotify();
    } catch (error) {
      lost(error);
    }
  };
  void connect();

  return {
    get connected() {
      return connected;
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      const last = client;
      client = undefined;
      connected = false;
      await last?.end().catch(() => {});
    },
  };
}
