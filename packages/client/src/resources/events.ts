import { ApiError } from '../errors.ts';
import { type SseMessage, SseParser } from '../sse-parser.ts';
import type { Transport } from '../transport.ts';
import type { EventStreamOptions, EventType, LiveEvent, PublishedEvent } from '../types.ts';

/**
 * `/events`: what happens to jobs, DAQs, uploads and files, live (Server-Sent Events).
 *
 * @example
 * for await (const event of client.events.stream({ types: ['daq.progress'], experiment: '2026-1-smith' })) {
 *   console.log(event.data.subjectId, event.data.payload.nProcessedFiles); // typed: a daq.progress payload
 * }
 */
export class EventsApi {
  constructor(private readonly transport: Transport) {}

  /**
   * The events the caller may see, as they happen, until `signal` aborts or the loop breaks. A dropped
   * connection (or a restarted server) is reopened with `Last-Event-ID`, so no event is lost or repeated.
   * A refusal (bad filter, unknown experiment, expired token) is thrown as an `ApiError`. With `types`, the
   * events' payloads are typed as those types'.
   */
  async *stream<T extends EventType = EventType>(
    options: EventStreamOptions<T> = {},
  ): AsyncGenerator<LiveEvent<T>, void, undefined> {
    const { signal } = options;
    let lastId = options.after;
    let retryMs = options.reconnectMs ?? 2_000;
    while (!signal?.aborted) {
      const connection = new AbortController();
      const abort = () => connection.abort();
      signal?.addEventListener('abort', abort);
      try {
        const response = await this.transport.stream('/api/v1/events', {
          query: {
            types: options.types?.join(','),
            experiment: options.experiment,
            subject: options.subject === undefined ? undefined : String(options.subject),
          },
          headers: {
            accept: 'text/event-stream',
            ...(lastId !== undefined && { 'last-event-id': String(lastId) }),
          },
          signal: connection.signal,
        });
        // The server subscribes before it answers (events/stream.ts): from here on nothing is missed.
        options.onOpen?.();
        const messages: SseMessage[] = [];
        const parser = new SseParser((message) => messages.push(message));
        const decoder = new TextDecoder();
        for await (const chunk of chunksOf(response.body)) {
          parser.feed(decoder.decode(chunk, { stream: true }));
          if (options.reconnectMs === undefined && parser.retryMs !== undefined) retryMs = parser.retryMs;
          for (const message of messages.splice(0)) {
            const event = toLiveEvent<T>(message);
            lastId = event.id;
            yield event;
          }
        }
      } catch (error) {
        if (signal?.aborted) return;
        // Refusals stay refusals; an unreachable or stopping server (0, 5xx) is tried again.
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) throw error;
      } finally {
        signal?.removeEventListener('abort', abort);
        connection.abort();
      }
      await sleep(retryMs, signal);
    }
  }
}

/** A body's chunks; read through a reader because not every browser iterates a ReadableStream. */
async function* chunksOf(body: ReadableStream<Uint8Array> | null): AsyncGenerator<Uint8Array> {
  if (body === null) return;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** The server sends only the types asked for, each with its payload (events/payloads.ts on the server). */
function toLiveEvent<T extends EventType>(message: SseMessage): LiveEvent<T> {
  const data = JSON.parse(message.data) as PublishedEvent<T>;
  return { id: Number(message.id ?? data.id), type: message.event, data };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}
