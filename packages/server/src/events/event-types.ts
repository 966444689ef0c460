/**
 * Live events: what they are and which exist.
 *
 * Glossary:
 * - event: one thing that happened, appended to the `events` table in the transaction of the change it
 *   reports. The table is the truth; notifications only say "read the table now".
 * - type: `concept.what`; the list below is the whole vocabulary (a stream's `types` filter is checked
 *   against it). Payloads are documented in docs/api.md, "Live events".
 * - subject: the id of the thing the event is about (job, DAQ, upload, file), as text.
 * - hub: one per process; reads new events once for every open stream of the process.
 * - stream: one `GET /api/v1/events` connection; replays what the client missed, then follows the hub.
 */
export const eventTypes = [
  'job.status',
  'job.stage',
  'file.cataloged',
  'daq.status',
  'daq.progress',
  'upload.status',
  'upload.progress',
] as const;

export type EventType = (typeof eventTypes)[number];

export function isEventType(text: string): text is EventType {
  return (eventTypes as readonly string[]).includes(text);
}

/** An event to append. */
export interface NewEvent {
  type: EventType;
  /** Readers of this experiment see the event. */
  experimentId?: number | null;
  /** This user sees the event too (a job's submitter). With neither, only admins see it. */
  userId?: number | null;
  subjectId?: string | number | null;
  payload?: Record<string, unknown>;
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
