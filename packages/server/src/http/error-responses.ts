/**
 * The error answers of every route, declared in its schema so that the OpenAPI document lists them and
 * their body is serialized by the shared `ErrorResponse` schema. The ones a route can answer by how it is
 * built are added here, when it is registered; a route declares the others (a 409 of its rules, a 503 of
 * unreachable storage) in its own `response` with `errorResponses`, and those stay as it wrote them. A route
 * whose success has no schema (an empty 204, a stream) lists them in `config.errors` instead: in `response`
 * they would narrow the type of what its handler may send to the error body.
 *
 * By construction:
 * - 400 `validation_failed` (or `invalid_json`): the route takes input (path, query or body);
 * - 401 `unauthenticated` and 403 `forbidden`: the route is not public (the bearer token is checked for
 *   it, then the policy);
 * - 404: the route takes input that names something (an experiment, a job, a station) which may not exist,
 *   or not be visible to the caller;
 * - 413 `payload_too_large` and 415 `unsupported_media_type`: the route takes a body (Fastify refuses one
 *   over the body limit, or of a type it cannot parse, before the handler runs);
 * - 507 `storage_full`: the route writes (POST, PUT, PATCH, DELETE): any write refused because the
 *   database's disk is full answers it (http/server.ts maps that error);
 * - 500 `internal_error`: any route.
 */
import { Type } from '@sinclair/typebox';
import type { RouteOptions } from 'fastify';
import { ErrorResponse } from './schemas.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Error statuses of a route with no success schema, beyond those of how it is built (see above). */
    errors?: ErrorStatus[];
  }
}

/** Added to the server with `addSchema` (http/server.ts) before any route refers to it. */
const errorBody = Type.Ref(ErrorResponse);

export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 410 | 413 | 415 | 422 | 429 | 500 | 503 | 507;

/**
 * The error answers `statuses`, each with the shared error body, for a route's `response`.
 *
 * @example
 * schema: { body: CreateExperimentBody, response: { 201: Experiment, ...errorResponses(409) } }
 */
export function errorResponses(...statuses: ErrorStatus[]): Record<number, typeof errorBody> {
  return Object.fromEntries(statuses.map((status) => [status, errorBody]));
}

/** The statuses a route answers by construction (see above). */
export function constructionErrors(route: {
  method: string | readonly string[];
  schema?: { params?: unknown; querystring?: unknown; body?: unknown } | undefined;
  isPublic: boolean;
}): ErrorStatus[] {
  const schema = route.schema ?? {};
  const takesInput = [schema.params, schema.querystring, schema.body].some((part) => part !== undefined);
  const methods = typeof route.method === 'string' ? [route.method] : route.method;
  const writes = methods.some((method) => writeMethods.has(method.toUpperCase()));
  return [
    ...(takesInput ? ([400, 404] as const) : []),
    ...(route.isPublic ? [] : ([401, 403] as const)),
    ...(schema.body !== undefined ? ([413, 415] as const) : []),
    500 as const,
    ...(writes ? ([507] as const) : []),
  ];
}

const writeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** For `app.addHook('onRoute', ...)`: adds the construction errors to a route's declared responses. */
export function declareErrorResponses(route: RouteOptions): void {
  // Routes with no schema (the portal's files, HEAD twins) describe nothing, errors included.
  if (route.schema === undefined) return;
  const config = route.config as { public?: boolean; errors?: ErrorStatus[] } | undefined;
  const isPublic = config?.public === true;
  const declared = (route.schema.response ?? {}) as Record<string, unknown>;
  route.schema.response = {
    ...errorResponses(...constructionErrors({ method: route.method, schema: route.schema, isPublic })),
    ...errorResponses(...(config?.errors ?? [])),
    ...declared,
  };
  // In the document too: these routes need no bearer token (the others inherit the global requirement).
  if (isPublic) route.schema.security = [];
}
