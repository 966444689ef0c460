import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../context.ts';
import { actorOf } from '../http/actor.ts';
import type { HttpServer } from '../http/server.ts';
import { rotateDownloadKey } from './service.ts';

const RotationReport = Type.Object({
  rotatedAt: Type.String({ format: 'date-time', description: 'links signed before this no longer work' }),
});

export function registerSecretRoutes(app: HttpServer, context: ServiceContext): void {
  app.post(
    '/api/v1/secrets/download-key/rotate',
    {
      schema: {
        tags: ['secrets'],
        summary: 'Replace the key that signs download links; every link handed out stops working (admins)',
        response: { 200: RotationReport },
      },
    },
    async (request) => await rotateDownloadKey(context, actorOf(request)),
  );
}
