/**
 * One hub per process (owned by createApp, `context.events`): it reads the events appended since it last
 * looked, once for all the streams open in this process, and hands them to each. It looks when woken (an
 * event published here, a PostgreSQL notification from any process) and otherwise every `pollMs`: SQLite
 * has no notifications and several `dm serve` processes may share one file, and a lost notification must
 * not lose an event. While no stream is open it reads nothing.
 */

import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import { type EventListener, listenForEvents } from '../db/event-log.ts';
import type { DialectProfile } from '../db/profile.ts';
import type { Database } from '../db/tables.ts';
import { defined } from '../errors/defined.ts';
import type { NewEvent } from './event-types.ts';
import { publishEvent, publishEvents } from './publish.ts';
import { type EventRecord, lastEventId, readEventsAfter } from './store.ts';

export interface EventHubOptions {
  /** How often to read the log when nothing wakes the hub (default 250 ms; 1 s while LISTEN is up). */
  pollMs?: number;
  /** Events read per query. */
  batchSize?: number;
  /** Stream heartbeat comments, so proxies and clients know the connection lives (default 15 s). */
  heartbeatMs?: number;
}

export interface Subscription {
  /** The last event id the hub had read when subscribing: a stream without a resume point starts here. */
  readonly lastId: number;
  unsubscribe(): void;
}

export interface Subscriber {
  onEvents(events: EventRecord[]): void;
  /** The hub is closing (the app stops): end the stream. */
  onClose(): void;
}

export interface EventHub {
  /** `publishEvent`, and wakes this process' streams (at once, without waiting for the poll). */
  publish(db: Kysely<Database>, event: NewEvent): Promise<number>;
  /** `publishEvents` (several in one statement, in order), and wakes this process' streams. */
  publishAll(db: Kysely<Database>, events: readonly NewEvent[]): Promise<void>;
  wake(): void;
  subscribe(subscriber: Subscriber): Promise<Subscription>;
  readonly heartbeatMs: number;
  readonly isClosed: boolean;
  /** Ends every stream and waits until they have unsubscribed. */
  close(): Promise<void>;
}

export function createEventHub(
  context: {
    db: Kysely<Database>;
    profile: DialectProfile;
    logger: FastifyBaseLogger;
    databaseUrl: string;
    now: () => string;
  },
  options: EventHubOptions = {},
): EventHub {
  const pollMs = options.pollMs ?? 250;
  const batchSize = options.batchSize ?? 500;
  const subscribers = new Set<Subscriber>();
  let lastId: number | undefined;
  let closed = false;
  let listener: EventListener | undefined;
  let loop: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  let woken = false;
  let allGone: (() => void) | undefined;

  /** Events carry the injected time, like the changes they report. */
  const stamped = (event: NewEvent): NewEvent => ({ ...event, createdAt: event.createdAt ?? context.now() });

  const wake = () => {
    woken = true;
    wakeUp?.();
  };

  const readNew = async () => {
    if (lastId === undefined) {
      const last = await lastEventId(context.db);
      lastId ??= last;
    }
    while (subscribers.size > 0) {
      const from = lastId;
      if (from === undefined) return;
      const batch = await readEventsAfter(context.db, from, batchSize);
      // Every stream left and the position was forgotten meanwhile: the next subscriber starts afresh.
      if (lastId !== from || batch.length === 0) return;
      lastId = defined(batch.at(-1), 'the last event of a batch').id;
      for (const subscriber of subscribers) subscriber.onEvents(batch);
      if (batch.length < batchSize) return;
    }
  };

  const run = async () => {
    while (!closed) {
      woken = false;
      if (subscribers.size > 0) {
        try {
          await readNew();
        } catch (error) {
          context.logger.error({ err: error }, 'reading the event log failed');
        }
      }
      if (woken || closed) continue;
      const interval = listener?.connected ? Math.max(pollMs, 1_000) : pollMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, interval);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = undefined;
    }
  };

  const start = () => {
    if (context.profile.supportsListenNotify) {
      listener = listenForEvents(context.databaseUrl, wake, (error) =>
        context.logger.warn({ err: error }, 'event notifications lost; reading the event log by polling'),
      );
    }
    loop = run();
  };

  return {
    heartbeatMs: options.heartbeatMs ?? 15_000,
    get isClosed() {
      return closed;
    },
    async publish(db, event) {
      const id = await publishEvent(db, stamped(event));
      // Inside a transaction this runs before commit: on SQLite the hub's read waits for the one connection
      // the transaction holds; on PostgreSQL the NOTIFY at commit wakes the hub again.
      wake();
      return id;
    },
    async publishAll(db, events) {
      await publishEvents(db, events.map(stamped));
      wake();
    },
    wake,
    async subscribe(subscriber) {
      if (closed) throw new Error('the event hub is closed');
      if (!loop) start();
      let startId = lastId;
      if (startId === undefined) {
        const last = await lastEventId(context.db);
        lastId ??= last;
        startId = lastId;
      }
      // No await from reading the position to joining: every event after it reaches this subscriber.
      subscribers.add(subscriber);
      return {
        lastId: startId,
        unsubscribe() {
          subscribers.delete(subscriber);
          if (subscribers.size > 0) return;
          // Nobody follows the log: forget the position, so the next stream starts at the end, not here.
          lastId = undefined;
          allGone?.();
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      wakeUp?.();
      const gone = new Promise<void>((resolve) => {
        allGone = resolve;
      });
      for (const subscriber of [...subscribers]) subscriber.onClose();
      if (subscribers.size > 0) await gone;
      await loop;
      await listener?.close();
    },
  };
}
