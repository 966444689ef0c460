/**
 * One `GET /api/v1/events` connection: replay the stored events after the client's resume point, then
 * follow the hub. The stream's cursor is the last event id it has considered; it only moves forward, so
 * an event is sent at most once, and since the log commits in id order (db/event-log.ts) none is skipped.
 */

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { isCode } from '../errors/error-code.ts';
import type { EventHub } from './hub.ts';
import { endEventStream, formatEvent, openEventStream, writeHeartbeat, writeToStream } from './sse.ts';
import { type EventQuery, type EventRecord, presentEvent, readEventsAfter } from './store.ts';
import type { Visibility } from './visibility.ts';

/** Past this many unsent live events, the stream drops them and reads them back from the table. */
const maxQueued = 5_000;
const pageSize = 500;
/** How often a quiet stream checks its token again (visibility.ts re-reads it at most this often too). */
const tokenCheckMs = 1_000;

export interface StreamOptions {
  filter: EventQuery;
  /** Resume point (Last-Event-ID); without it the stream starts with the next event. */
  after: number | undefined;
  visibility: Visibility;
}

/** Answers the request with the event stream; resolves when the stream has ended. */
export async function streamEvents(
  context: ServiceContext,
  hub: EventHub,
  request: FastifyRequest,
  reply: FastifyReply,
  options: StreamOptions,
): Promise<void> {
  const { filter, visibility } = options;
  const queue: EventRecord[] = [];
  let overflow = false;
  let ended = false;
  let notify: (() => void) | undefined;
  const stop = () => {
    ended = true;
    notify?.();
  };
  const subscription = await hub.subscribe({
    onEvents(batch) {
      if (queue.length + batch.length > maxQueued) overflow = true;
      else queue.push(...batch);
      notify?.();
    },
    onClose() {
      stop();
      endEventStream(reply.raw);
    },
  });

  const response = reply.raw;
  reply.hijack();
  openEventStream(response, request.id);
  response.on('close', stop);
  const heartbeat = setInterval(() => writeHeartbeat(response), hub.heartbeatMs);
  const log = request.log.child({ stream: 'events' });
  let cursor = options.after ?? subscription.lastId;
  let timer: NodeJS.Timeout | undefined;

  const send = async (records: EventRecord[]) => {
    if (records.length === 0) return;
    await visibility.refresh();
    for (const record of records) {
      if (ended) return;
      if (visibility.canSee(record))
        await writeToStream(response, formatEvent(presentEvent(context.profile, record)));
    }
  };

  /** Reads the table from the cursor to its end: the resume replay, and the catch-up after an overflow. */
  const replay = async () => {
    while (!ended) {
      const page = await readEventsAfter(context.db, cursor, pageSize, filter);
      await send(page);
      cursor = page.at(-1)?.id ?? cursor;
      if (page.length < pageSize) return;
    }
  };

  try {
    let catchUp = options.after !== undefined;
    while (!ended) {
      if (catchUp || overflow) {
        overflow = false;
        queue.length = 0;
        catchUp = false;
        await replay();
        continue;
      }
      if (queue.length === 0) {
        await new Promise<void>((resolve) => {
          notify = resolve;
          // A quiet stream wakes anyway: a token revoked (here or by another process), a disabled account
          // or an expired token must end it within seconds, not at the next event, which may never come.
          timer = setTimeout(resolve, tokenCheckMs);
        });
        clearTimeout(timer);
        notify = undefined;
        await visibility.refresh();
        continue;
      }
      const batch = queue.splice(0).filter((record) => record.id > cursor);
      if (batch.length === 0) continue;
      await send(batch.filter((record) => matches(filter, record)));
      cursor = batch.at(-1)?.id ?? cursor;
    }
  } catch (error) {
    // A refused token ends the stream like a closed connection; anything else is worth a log line.
    if (isCode(error, 'unauthenticated')) log.info('event stream ended: token refused');
    else log.error({ err: error }, 'event stream failed');
  } finally {
    clearTimeout(timer);
    clearInterval(heartbeat);
    subscription.unsubscribe();
    if (!response.destroyed && !response.writableEnded) response.end();
  }
}

function matches(filter: EventQuery, record: EventRecord): boolean {
  return (
    (filter.types === undefined || filter.types.includes(record.type)) &&
    (filter.experimentId === undefined || record.experiment_id === filter.experimentId) &&
    (filter.subjectId === undefined || record.subject_id === filter.subjectId)
  );
}
