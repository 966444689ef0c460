import { actorOf } from '../http/actor.ts';
import { errorResponses } from '../http/error-responses.ts';
import { NameParams } from '../http/schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { Page, PageQuery } from '../paging/pages.ts';
import { CreateSiteBody, Site, SiteTestBody, SiteTestReport, UpdateSiteBody } from './schemas.ts';
import type { SiteService } from './service.ts';

export function registerSiteRoutes(app: HttpServer, sites: SiteService): void {
  const tags = ['sites'];

  app.get(
    '/api/v1/sites',
    {
      schema: {
        tags,
        summary: 'List compute sites (admins see how each is reached)',
        querystring: PageQuery,
        response: { 200: Page(Site) },
      },
    },
    (request) => sites.list(actorOf(request), request.query),
  );

  app.post(
    '/api/v1/sites',
    {
      schema: {
        tags,
        summary: 'Add a compute site (admins)',
        body: CreateSiteBody,
        response: { 201: Site, ...errorResponses(409) },
      },
    },
    async (request, reply) => reply.status(201).send(await sites.create(actorOf(request), request.body)),
  );

  app.get(
    '/api/v1/sites/:name',
    { schema: { tags, summary: 'Show a compute site', params: NameParams, response: { 200: Site } } },
    (request) => sites.show(actorOf(request), request.params.name),
  );

  app.patch(
    '/api/v1/sites/:name',
    {
      schema: {
        tags,
        summary: 'Change a compute site (admins)',
        params: NameParams,
        body: UpdateSiteBody,
        response: { 200: Site, ...errorResponses(409) },
      },
    },
    (request) => sites.update(actorOf(request), request.params.name, request.body),
  );

  app.post(
    '/api/v1/sites/:name/test',
    {
      schema: {
        tags,
        summary: 'Submit a trivial command there and cancel another, reporting each step (admins)',
        params: NameParams,
        body: SiteTestBody,
        response: { 200: SiteTestReport, ...errorResponses(422) },
      },
    },
    (request) => sites.test(actorOf(request), request.params.name, request.body ?? {}),
  );

  app.delete(
    '/api/v1/sites/:name',
    {
      schema: {
        tags,
        summary: 'Remove a compute site (admins); stages naming it then fail to start',
        params: NameParams,
      },
      config: { errors: [409] },
    },
    async (request, reply) => {
      await sites.remove(actorOf(request), request.params.name);
      return reply.status(204).send();
    },
  );
}
