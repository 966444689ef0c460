import swagger from '@fastify/swagger';
import { eventPayloads } from '../events/payloads.ts';
import type { HttpServer } from '../http/server.ts';
import { version } from '../version.ts';

/** Registers the OpenAPI 3.1 generator; must run before routes are added so it sees them all. */
export async function registerOpenApi(app: HttpServer): Promise<void> {
  await app.register(swagger, {
    // Shared schemas (ErrorResponse) keep their $id as their component's name.
    refResolver: {
      buildLocalReference: (json, _base, _fragment, index) => String(json.$id ?? `def-${index}`),
    },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Photon DM API',
        version,
        description:
          'Data management for X-ray light sources. Errors: {"error": {"code", "message", "details"}}.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
        // The live events' payloads: `GET /api/v1/events` streams them, so no route's schema names them.
        schemas: Object.fromEntries(
          Object.entries(eventPayloads).map(([type, schema]) => [`event.${type}`, schema]),
        ),
      },
      security: [{ bearer: [] }],
    },
  });
  app.get('/api/openapi.json', { config: { public: true }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
}
