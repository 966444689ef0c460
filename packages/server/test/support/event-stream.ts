/**
 * Reads `GET /api/v1/events` from a real listening server the way a client does (fetch, streamed body),
 * with just enough SSE parsing for tests; the client package has the full parser.
 */
import type { EventType, NewEvent, NewEventOf } from '../../src/events/event-types.ts';

export interface StreamedEvent {
  id: number;
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests assert on the event's JSON field by field
  data: any;
}

export interface EventReader {
  status: number;
  headers: Headers;
  /** The error body when the server refused the stream. */
  // biome-ignore lint/suspicious/noExplicitAny: the API's error JSON
  error: any;
  /** Everything received so far, comments included. */
  text(): string;
  /** The next event; fails after `timeoutMs` (a bound, not an assertion about speed). */
  next(timeoutMs?: number): Promise<StreamedEvent>;
  /** Resolves when the server has ended the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function openEventStream(
  baseUrl: string,
  token: string | null,
  options: { query?: string; lastEventId?: string } = {},
): Promise<EventReader> {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const response = await fetch(`${baseUrl}/api/v1/events${options.query ? `?${options.query}` : ''}`, {
    headers,
    signal: controller.signal,
  });
  const events: StreamedEvent[] = [];
  const waiters: (() => void)[] = [];
  let raw = '';
  let buffer = '';
  let error: unknown;
  let finished = false;
  const wakeAll = () => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  if (!response.ok) {
    const body = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      error: body ? JSON.parse(body) : undefined,
      text: () => body,
      next: () => Promise.reject(new Error(`the stream was refused with ${response.status}`)),
      ended: Promise.resolve(),
      close() {},
    };
  }
  const ended = (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body ?? []) {
        const text = decoder.decode(chunk as Uint8Array, { stream: true });
        raw += text;
        buffer += text;
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = new Map<string, string>();
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':');
            if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
          }
          if (fields.has('data')) {
            events.push({
              id: Number(fields.get('id')),
              type: fields.get('event') ?? 'message',
              data: JSON.parse(fields.get('data') ?? 'null'),
            });
          }
          end = buffer.indexOf('\n\n');
        }
        wakeAll();
      }
    } catch (caught) {
      if (!controller.signal.aborted) error = caught;
    } finally {
      finished = true;
      wakeAll();
    }
  })();
  return {
    status: response.status,
    headers: response.headers,
    error: undefined,
    text: () => raw,
    async next(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length === 0) {
        if (finished)
          throw new Error(`the stream ended ${error ? `with ${error}` : ''} before another event`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no event within ${timeoutMs} ms; received so far:\n${raw}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      const event = events.shift();
      if (event === undefined) throw new Error('no event after waiting for one');
      return event;
    },
    ended,
    close() {
      controller.abort();
    },
  };
}

/**
 * An event with any payload, for tests of the stream itself: ordering, replay, visibility and retention
 * never read payloads, so these tests publish arbitrary ones (none by default, stored as `{}`).
 */
export function anyEvent(
  event: Omit<NewEventOf<EventType>, 'payload'> & { payload?: Record<string, unknown> },
): NewEvent {
  return { ...event, payload: event.payload ?? {} } as NewEvent;
}
