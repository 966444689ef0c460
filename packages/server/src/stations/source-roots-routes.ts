import { actorOf } from '../http/actor.ts';
import { errorResponses } from '../http/error-responses.ts';
import { NameParams } from '../http/schemas.ts';
import type { HttpServer } from '../http/server.ts';
import {
  SourceAccountBody,
  SourceRootBody,
  SourceRootQuery,
  StationSources,
} from './source-roots-schemas.ts';
import type { SourceRootService } from './source-roots-service.ts';

/** Where a station's uploads and DAQs may read (docs/api.md "Source roots"); changed by admins only. */
export function registerSourceRootRoutes(app: HttpServer, sources: SourceRootService): void {
  const tags = ['stations'];
  const response = { 200: StationSources };

  app.get(
    '/api/v1/stations/:name/source-roots',
    {
      schema: {
        tags,
        summary: "The station's source roots and unix account (admins, its managers)",
        params: NameParams,
        response,
      },
    },
    (request) => sources.show(actorOf(request), request.params.name),
  );

  app.put(
    '/api/v1/stations/:name/source-roots',
    {
      schema: {
        tags,
        summary: 'Add a source root (admins); stored as its real path',
        params: NameParams,
        body: SourceRootBody,
        response,
      },
    },
    (request) => sources.addRoot(actorOf(request), request.params.name, request.body.path),
  );

  app.delete(
    '/api/v1/stations/:name/source-roots',
    {
      schema: {
        tags,
        summary: 'Remove a source root (admins), named as listed',
        params: NameParams,
        querystring: SourceRootQuery,
        response,
      },
    },
    (request) => sources.removeRoot(actorOf(request), request.params.name, request.query.path),
  );

  app.put(
    '/api/v1/stations/:name/source-account',
    {
      schema: {
        tags,
        summary: "Set the unix account the station's sources are checked as (admins)",
        params: NameParams,
        body: SourceAccountBody,
        response: { ...response, ...errorResponses(409) },
      },
    },
    (request) => sources.setAccount(actorOf(request), request.params.name, request.body.account),
  );

  app.delete(
    '/api/v1/stations/:name/source-account',
    {
      schema: {
        tags,
        summary: "Clear the station's unix account: sources are checked as stageAccount (admins)",
        params: NameParams,
        response,
      },
    },
    (request) => sources.setAccount(actorOf(request), request.params.name, null),
  );
}
