import { actorOf } from '../http/actor.ts';
import { errorResponses } from '../http/error-responses.ts';
import type { HttpServer } from '../http/server.ts';
import { Page, PageQuery } from '../paging/pages.ts';
import { CreateExperimentTypeBody, ExperimentType, type ExperimentTypeService } from './service.ts';

export function registerExperimentTypeRoutes(app: HttpServer, types: ExperimentTypeService): void {
  const tags = ['experiment types'];
  app.get(
    '/api/v1/experiment-types',
    {
      schema: {
        tags,
        summary: 'List experiment types',
        querystring: PageQuery,
        response: { 200: Page(ExperimentType) },
      },
    },
    (request) => types.list(actorOf(request), request.query),
  );
  app.post(
    '/api/v1/experiment-types',
    {
      schema: {
        tags,
        summary: 'Add an experiment type (admins)',
        body: CreateExperimentTypeBody,
        response: { 201: ExperimentType, ...errorResponses(409) },
      },
    },
    async (request, reply) => reply.status(201).send(await types.create(actorOf(request), request.body)),
  );
}
