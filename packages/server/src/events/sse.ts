/**
 * Server-Sent Events framing on a raw Node response: `id:`, `event:`, `data:` lines and a blank line per
 * message; lines starting with `:` are comments (heartbeats). Writes wait while the socket's buffer is full,
 * so a slow client slows its own stream down instead of filling the server's memory.
 */
import type { ServerResponse } from 'node:http';
import type { PublishedEvent } from './event-types.ts';

/** Tells EventSource-like clients how long to wait before reconnecting. */
export const reconnectMs = 2_000;

export function formatEvent(event: PublishedEvent): string {
  // JSON.stringify never emits a raw line break, so the payload fits one `data:` line.
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export function openEventStream(response: ServerResponse, requestId: string): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // nginx buffers responses unless told not to, which would hold events back.
    'x-accel-buffering': 'no',
    'x-request-id': requestId,
  });
  response.write(`retry: ${reconnectMs}\n: connected\n\n`);
}

/** A client that reads nothing for this long is cut off: its connection would hold memory forever. */
const stallMs = 60_000;

/** Resolves once the text is handed to the socket (or the connection is gone). */
export async function writeToStream(response: ServerResponse, text: string): Promise<void> {
  if (response.destroyed || response.writableEnded) return;
  if (response.write(text)) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => response.destroy(), stallMs);
    const done = () => {
      clearTimeout(timer);
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

/** A comment line that keeps proxies from closing an idle connection; skipped while the socket is full. */
export function writeHeartbeat(response: ServerResponse): void {
  if (!response.destroyed && !response.writableEnded && !response.writableNeedDrain)
    response.write(': heartbeat\n\n');
}

/**
 * Ends the stream because the server stops. A write still waiting for a slow client would hold the stream
 * (and the server's close) open, so the connection is cut if it has not closed a moment later.
 */
export function endEventStream(response: ServerResponse): void {
  if (!response.writableEnded) response.end();
  setTimeout(() => response.destroy(), 1_000).unref();
}
