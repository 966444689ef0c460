import { type EventPayloads, eventPayloads } from './payloads.ts';

/**
 * Live events: what they are and which exist.
 *
 * Glossary:
 * - event: one thing that happened, appended to the `events` table in the transaction of the change it
 *   reports. The table is the truth; notifications only say "read the table now".
 * - type: `concept.what`; the map in payloads.ts is the whole vocabulary (a stream's `types` filter is
 *   checked against it), with each type's payload. docs/api.md, "Live events", describes them for people.
 * - subject: the id of the thing the event is about (job, DAQ, upload, file), as text.
 * - hub: one per process; reads new events once for every open stream of the process.
 * - stream: one `GET /api/v1/events` connection; replays what the client missed, then follows the hub.
 */
export type EventType = keyof EventPayloads;

/** Every event type, in the order of the map. */
export const eventTypes = Object.keys(eventPayloads) as EventType[];

export function isEventType(text: string): text is EventType {
  return (eventTypes as readonly string[]).includes(text);
}

/** An event to append: its payload is the one its type has in the map. */
export type NewEvent = { [T in EventType]: NewEventOf<T> }[EventType];

export interface NewEventOf<T extends EventType> {
  type: T;
  /** Readers of this experiment see the event. */
  experimentId?: number | null;
  /** This user sees the event too (a job's submitter). With neither, only admins see it. */
  userId?: number | null;
  subjectId?: string | number | null;
  payload: EventPayloads[T];
  /** Defaults to the current time. */
  createdAt?: string;
}

/** An event as streams send it (the `data:` of one SSE message). */
export interface PublishedEvent {
  id: number;
  type: string;
  experimentName: string | null;
  username: string | null;
  subjectId: string | null;
  createdAt: string;
  payload: Record<string, unknown>;
}
