import type { Principal } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import { AppError, invalidField } from '../errors/app-error.ts';
import { loadReadable } from '../experiments/access.ts';
import { actorOf } from '../http/actor.ts';
import type { HttpServer } from '../http/server.ts';
import { eventTypes, isEventType } from './event-types.ts';
import { EventStreamQuery } from './schemas.ts';
import type { EventQuery } from './store.ts';
import { streamEvents } from './stream.ts';
import { createVisibility } from './visibility.ts';

/**
 * `GET /api/v1/events`: authenticate → validate the filters → resolve the experiment with the caller's
 * rights → stream. Everything that can fail with a 4xx fails before the first byte of the stream.
 */
export function registerEventRoutes(
  app: HttpServer,
  context: ServiceContext,
  authenticate: (authorization: string | undefined) => Promise<Principal>,
): void {
  app.get(
    '/api/v1/events',
    {
      config: { errors: [503] },
      schema: {
        tags: ['events'],
        summary: 'Live events (Server-Sent Events): job, DAQ, upload and file events you may see',
        description:
          'A `text/event-stream`. Each message has `id`, `event` (the type) and `data` (the event as JSON). ' +
          'Send `Last-Event-ID` (or `after`) to replay what you missed first. See docs/api.md, "Live events".',
        querystring: EventStreamQuery,
        headers: {
          type: 'object',
          properties: { 'last-event-id': { type: 'string', description: 'resume after this event id' } },
        },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const { query } = request;
      const filter: EventQuery = {};
      if (query.types !== undefined) filter.types = parseTypes(query.types);
      if (query.subject !== undefined) filter.subjectId = query.subject;
      if (query.experiment !== undefined)
        filter.experimentId = (await loadReadable(context, actor, query.experiment)).id;
      const after = parseLastEventId(request.headers['last-event-id']) ?? query.after;
      const authorization = request.headers.authorization;
      const visibility = createVisibility(context.db, actor.principal, () => authenticate(authorization));
      await visibility.refresh();
      if (context.events.isClosed) throw new AppError('service_unavailable', 'the server is stopping');
      await streamEvents(context, context.events, request, reply, { filter, after, visibility });
    },
  );
}

function parseTypes(values: string[]): string[] {
  const types = values.flatMap((value) => value.split(',')).map((type) => type.trim());
  for (const type of types) {
    if (!isEventType(type))
      throw invalidField('types', `unknown event type "${type}" (known: ${eventTypes.join(', ')})`);
  }
  return [...new Set(types)];
}

function parseLastEventId(header: string | string[] | undefined): number | undefined {
  if (header === undefined || header === '') return undefined;
  const text = Array.isArray(header) ? header[0] : header;
  const id = Number(text);
  // Event ids are 32-bit (a larger one would fail the replay on PostgreSQL, and the client would reconnect
  // with it forever).
  if (!/^\d{1,10}$/.test(text ?? '') || id > 2_147_483_647)
    throw invalidField('Last-Event-ID', 'must be the id of an event (a whole number)');
  return id;
}
