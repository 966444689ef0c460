import { actorOf } from '../http/actor.ts';
import type { HttpServer } from '../http/server.ts';
import { Usage, UsageQuery } from './schemas.ts';
import type { UsageService } from './service.ts';

export function registerUsageRoutes(app: HttpServer, usage: UsageService): void {
  app.get(
    '/api/v1/usage',
    {
      schema: {
        tags: ['usage'],
        summary: 'Files and bytes ingested, jobs ended and storage used, per day and station (staff)',
        querystring: UsageQuery,
        response: { 200: Usage },
      },
    },
    (request) => usage.report(actorOf(request), request.query),
  );
}
