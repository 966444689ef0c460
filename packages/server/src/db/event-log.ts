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
import type { DialectProfile } from './profile.ts';
import type { Database } from './tables.ts';

/** Any constant will do; it has to be the same in every process of a deployment. */
const eventLogLockKey = 7_007_001;
export const eventChannel = 'dm_events';

/** Inside the transaction that is about to append events. */
export async function lockEventLog(trx: Kysely<Database>, profile: DialectProfile): Promise<void> {
  if (profile.name === 'postgres') await sql`SELECT pg_advisory_xact_lock(${eventLogLockKey})`.execute(trx);
}

/** Tells other processes, at commit, that the log has grown (PostgreSQL; elsewhere they poll). */
export async function announceEvents(trx: Kysely<Database>, profile: DialectProfile): Promise<void> {
  if (profile.supportsListenNotify) await sql`SELECT pg_notify(${eventChannel}, '')`.execute(trx);
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
