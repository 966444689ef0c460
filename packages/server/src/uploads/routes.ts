import { actorOf } from '../http/actor.ts';
import { errorResponses } from '../http/error-responses.ts';
import type { HttpServer } from '../http/server.ts';
import { Page } from '../paging/pages.ts';
import { CreateUploadBody, Upload, UploadListQuery, UploadParams } from './schemas.ts';
import type { UploadService } from './service.ts';

export function registerUploadRoutes(app: HttpServer, uploads: UploadService): void {
  const tags = ['uploads'];
  app.post(
    '/api/v1/uploads',
    {
      schema: {
        tags,
        summary: 'Take an existing directory on the server into an experiment (staff)',
        body: CreateUploadBody,
        response: { 201: Upload, ...errorResponses(409) },
      },
    },
    async (request, reply) => reply.status(201).send(await uploads.create(actorOf(request), request.body)),
  );
  app.get(
    '/api/v1/uploads',
    {
      schema: {
        tags,
        summary: 'List uploads, newest first',
        querystring: UploadListQuery,
        response: { 200: Page(Upload) },
      },
    },
    (request) => uploads.list(actorOf(request), request.query),
  );
  app.get(
    '/api/v1/uploads/:id',
    {
      schema: {
        tags,
        summary: 'Show an upload and its progress',
        params: UploadParams,
        response: { 200: Upload },
      },
    },
    (request) => uploads.show(actorOf(request), request.params.id),
  );
  app.post(
    '/api/v1/uploads/:id/stop',
    {
      schema: {
        tags,
        summary: 'Stop an upload (staff)',
        params: UploadParams,
        response: { 200: Upload, ...errorResponses(409) },
      },
    },
    (request) => uploads.stop(actorOf(request), request.params.id),
  );
}
