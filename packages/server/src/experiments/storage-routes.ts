import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../context.ts';
import { AppError } from '../errors/app-error.ts';
import { actorOf } from '../http/actor.ts';
import { errorResponses } from '../http/error-responses.ts';
import { NameParams } from '../http/schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { applyPermissionsOf } from '../storage/experiment-permissions.ts';
import { UnknownAccountError } from '../storage/permissions.ts';
import { loadManageable } from './access.ts';

const PermissionsReport = Type.Object({
  mode: Type.Union([Type.Literal('acl'), Type.Literal('group')]),
  readers: Type.Array(Type.String(), { description: 'unix accounts given read access' }),
  warnings: Type.Array(Type.String()),
});

export function registerStorageRoutes(app: HttpServer, context: ServiceContext): void {
  app.post(
    '/api/v1/experiments/:name/storage/restore-permissions',
    {
      schema: {
        tags: ['storage'],
        summary: "Set the experiment tree's permissions from its members again (staff)",
        params: NameParams,
        response: { 200: PermissionsReport, ...errorResponses(409) },
      },
    },
    async (request) => {
      const experiment = await loadManageable(context, actorOf(request), request.params.name);
      try {
        return await applyPermissionsOf(context, experiment);
      } catch (error) {
        if (error instanceof UnknownAccountError) {
          throw new AppError('unix_account_unknown', `${error.message} on this storage host`, {
            accounts: error.accounts,
          });
        }
        throw error;
      }
    },
  );
}
