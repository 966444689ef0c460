/**
 * Live events for a view, from `GET /api/v1/events` (the server filters them by what the caller may see).
 * The client's stream reconnects by itself with `Last-Event-ID`, so a server restart loses nothing.
 *
 * `onOpen` runs each time the stream is connected: a view reads its state again there. The stream and the
 * view's first load start together, and a change made after the load read but before the stream followed
 * comes as no event: without it, a job or DAQ that started as the page opened would show as pending for good.
 */
import type { EventStreamOptions, EventType, LiveEvent } from '@photon-dm/client';
import { useEffect, useRef } from 'react';
import { useSession } from '../session/session.tsx';

/** With `types`, `onEvent` gets those types' payloads, typed. */
export function useEvents<T extends EventType = EventType>(
  options: { types?: readonly T[]; experiment?: string; subject?: string | number },
  onEvent: (event: LiveEvent<T>) => void,
  onOpen?: () => void,
): void {
  const { client, state } = useSession();
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const opened = useRef(onOpen);
  opened.current = onOpen;
  const signedIn = state.status === 'signed-in';
  const { experiment, subject } = options;
  const types = options.types?.join(',');

  useEffect(() => {
    if (!signedIn) return;
    const controller = new AbortController();
    const streamOptions: EventStreamOptions<T> = {
      signal: controller.signal,
      onOpen: () => opened.current?.(),
    };
    if (types) streamOptions.types = types.split(',') as T[];
    if (experiment !== undefined) streamOptions.experiment = experiment;
    if (subject !== undefined) streamOptions.subject = subject;
    (async () => {
      for await (const event of client.events.stream(streamOptions)) handler.current(event);
    })().catch(() => undefined); // a refusal (e.g. the session ended) ends the stream; the session handles 401
    return () => controller.abort();
  }, [client, signedIn, types, experiment, subject]);
}
