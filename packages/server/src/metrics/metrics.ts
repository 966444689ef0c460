import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { HttpServer } from '../http/server.ts';

/**
 * Prometheus metrics at `/metrics`: request counts and latencies per route and status, plus Node's process
 * metrics. One registry per app (not prom-client's global one), so several apps in one test process do not
 * collide.
 */
export function registerMetrics(app: HttpServer): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'dm_' });
  const requests = new Histogram({
    name: 'dm_http_request_duration_seconds',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, not the URL: one series per endpoint instead of one per experiment name.
    const route = request.routeOptions.url ?? 'unmatched';
    requests.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });
  return registry;
}
