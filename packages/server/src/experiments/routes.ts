import { actorOf } from '../http/actor.ts';
import { errorResponses } from '../http/error-responses.ts';
import { NameParams } from '../http/schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { Page } from '../paging/pages.ts';
import {
  CreateExperimentBody,
  Experiment,
  ExperimentListQuery,
  ImportExperimentsBody,
  ImportResult,
  MemberBody,
  MemberParams,
  UpdateExperimentBody,
} from './schemas.ts';
import type { ExperimentService } from './service.ts';

export function registerExperimentRoutes(app: HttpServer, experiments: ExperimentService): void {
  const tags = ['experiments'];
  const one = { 200: Experiment };
  /** A status change, refused (409) when the experiment's status does not allow it. */
  const changed = { ...one, ...errorResponses(409) };

  app.get(
    '/api/v1/experiments',
    {
      schema: {
        tags,
        summary: 'List the experiments you may see',
        querystring: ExperimentListQuery,
        response: { 200: Page(Experiment) },
      },
    },
    (request) => experiments.list(actorOf(request), request.query),
  );
  app.post(
    '/api/v1/experiments',
    {
      schema: {
        tags,
        summary: 'Register an experiment and create its storage tree',
        body: CreateExperimentBody,
        response: { 201: Experiment, ...errorResponses(409, 503) },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await experiments.create(actorOf(request), request.body)),
  );
  app.post(
    '/api/v1/experiments/import',
    {
      schema: {
        tags,
        summary: 'Create or update many experiments from proposals, all or nothing',
        body: ImportExperimentsBody,
        response: { 200: ImportResult, ...errorResponses(409, 503) },
      },
    },
    (request) => experiments.import(actorOf(request), request.body),
  );
  app.get(
    '/api/v1/experiments/:name',
    { schema: { tags, summary: 'Show an experiment', params: NameParams, response: one } },
    (request) => experiments.show(actorOf(request), request.params.name),
  );
  app.patch(
    '/api/v1/experiments/:name',
    {
      schema: {
        tags,
        summary: 'Change an experiment',
        params: NameParams,
        body: UpdateExperimentBody,
        response: one,
      },
    },
    (request) => experiments.update(actorOf(request), request.params.name, request.body),
  );
  app.post(
    '/api/v1/experiments/:name/start',
    { schema: { tags, summary: 'Start an experiment', params: NameParams, response: changed } },
    (request) => experiments.start(actorOf(request), request.params.name),
  );
  app.post(
    '/api/v1/experiments/:name/stop',
    { schema: { tags, summary: 'Stop an experiment', params: NameParams, response: changed } },
    (request) => experiments.stop(actorOf(request), request.params.name),
  );
  app.delete(
    '/api/v1/experiments/:name',
    {
      config: { errors: [409, 503] },
      schema: { tags, summary: 'Delete an experiment whose storage holds no files', params: NameParams },
    },
    async (request, reply) => {
      await experiments.delete(actorOf(request), request.params.name);
      return reply.status(204).send();
    },
  );
  app.post(
    '/api/v1/experiments/:name/users',
    {
      schema: {
        tags,
        summary: 'Add a member or change their role',
        params: NameParams,
        body: MemberBody,
        response: one,
      },
    },
    (request) =>
      experiments.addUser(actorOf(request), request.params.name, request.body.username, request.body.role),
  );
  app.delete(
    '/api/v1/experiments/:name/users/:username',
    { schema: { tags, summary: 'Remove a member', params: MemberParams, response: one } },
    (request) => experiments.removeUser(actorOf(request), request.params.name, request.params.username),
  );
}
