import { sql } from 'kysely';
import type { ServiceContext } from '../context.ts';
import { AppError } from '../errors/app-error.ts';
import type { HttpServer } from '../http/server.ts';
import { version } from '../version.ts';

/** For load balancers and monitoring: 200 only when the database answers; says which roles this process runs. */
export function registerHealthRoutes(app: HttpServer, context: ServiceContext): void {
  app.get(
    '/api/health',
    {
      config: { public: true, errors: [503] },
      schema: {
        tags: ['operations'],
        summary: 'Liveness and database check',
        security: [],
      },
    },
    async () => {
      try {
        await sql`select 1`.execute(context.db);
      } catch (error) {
        context.logger.error({ err: error }, 'health check: database unavailable');
        throw new AppError('database_unavailable', 'the database does not answer');
      }
      return { status: 'ok', version, database: context.profile.name, roles: [...context.settings.roles] };
    },
  );
}
