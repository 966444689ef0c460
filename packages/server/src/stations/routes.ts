import { actorOf } from '../http/actor.ts';
import { errorResponses } from '../http/error-responses.ts';
import { NameParams } from '../http/schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { Page, PageQuery } from '../paging/pages.ts';
import {
  CreateStationBody,
  ManagerBody,
  Station,
  StationManagerParams,
  UpdateStationBody,
} from './schemas.ts';
import type { StationService } from './service.ts';

export function registerStationRoutes(app: HttpServer, stations: StationService): void {
  const tags = ['stations'];

  app.get(
    '/api/v1/stations',
    { schema: { tags, summary: 'List stations', querystring: PageQuery, response: { 200: Page(Station) } } },
    (request) => stations.list(actorOf(request), request.query),
  );

  app.post(
    '/api/v1/stations',
    {
      schema: {
        tags,
        summary: 'Add a station (admins)',
        body: CreateStationBody,
        response: { 201: Station, ...errorResponses(409) },
      },
    },
    async (request, reply) => reply.status(201).send(await stations.create(actorOf(request), request.body)),
  );

  app.get(
    '/api/v1/stations/:name',
    { schema: { tags, summary: 'Show a station', params: NameParams, response: { 200: Station } } },
    (request) => stations.show(actorOf(request), request.params.name),
  );

  app.patch(
    '/api/v1/stations/:name',
    {
      schema: {
        tags,
        summary: 'Change a station (admins)',
        params: NameParams,
        body: UpdateStationBody,
        response: { 200: Station },
      },
    },
    (request) => stations.update(actorOf(request), request.params.name, request.body),
  );

  app.post(
    '/api/v1/stations/:name/managers',
    {
      schema: {
        tags,
        summary: 'Make a user a manager of the station (admins)',
        params: NameParams,
        body: ManagerBody,
        response: { 200: Station },
      },
    },
    (request) => stations.addManager(actorOf(request), request.params.name, request.body.username),
  );

  app.delete(
    '/api/v1/stations/:name/managers/:username',
    {
      schema: {
        tags,
        summary: 'Remove a manager (admins)',
        params: StationManagerParams,
        response: { 200: Station },
      },
    },
    (request) => stations.removeManager(actorOf(request), request.params.name, request.params.username),
  );
}
