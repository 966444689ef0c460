import { actorOf } from '../http/actor.ts';
import { errorResponses } from '../http/error-responses.ts';
import type { HttpServer } from '../http/server.ts';
import { Page } from '../paging/pages.ts';
import { CreateDaqBody, Daq, DaqListQuery, DaqParams } from './schemas.ts';
import type { DaqService } from './service.ts';

export function registerDaqRoutes(app: HttpServer, daqs: DaqService): void {
  const tags = ['daqs'];
  app.post(
    '/api/v1/daqs',
    {
      schema: {
        tags,
        summary: 'Start monitoring a directory into an experiment (staff)',
        body: CreateDaqBody,
        response: { 201: Daq, ...errorResponses(409) },
      },
    },
    async (request, reply) => reply.status(201).send(await daqs.start(actorOf(request), request.body)),
  );
  app.get(
    '/api/v1/daqs',
    {
      schema: {
        tags,
        summary: 'List DAQs, newest first',
        querystring: DaqListQuery,
        response: { 200: Page(Daq) },
      },
    },
    (request) => daqs.list(actorOf(request), request.query),
  );
  app.get(
    '/api/v1/daqs/:id',
    { schema: { tags, summary: 'A DAQ and its counters', params: DaqParams, response: { 200: Daq } } },
    (request) => daqs.show(actorOf(request), request.params.id),
  );
  app.post(
    '/api/v1/daqs/:id/stop',
    {
      schema: {
        tags,
        summary: 'Stop a DAQ (staff)',
        params: DaqParams,
        response: { 200: Daq, ...errorResponses(409) },
      },
    },
    (request) => daqs.stop(actorOf(request), request.params.id),
  );
}
