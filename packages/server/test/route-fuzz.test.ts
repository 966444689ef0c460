/**
 * A small fuzz pass over every route of the OpenAPI document: random path parameters, query strings and
 * JSON bodies (shaped like the route's schema, with random values, and arbitrary JSON), sent as an admin so
 * they reach as deep as input can. Whatever the input, the answer must not be a 5xx: crafted input is the
 * client's mistake and gets a 4xx naming it. The seed is printed on failure, so a case can be replayed.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
}

interface Operation {
  parameters?: { name: string; in: 'path' | 'query' | 'header'; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

interface Route {
  method: string;
  path: string;
  operation: Operation;
}

/** Streams that stay open while valid, and the token's own end, would stop the pass rather than test it. */
const skipped = new Set(['GET /api/v1/events', 'POST /api/v1/auth/logout', 'DELETE /api/v1/tokens/{id}']);

/** Values that have broken parsers before: huge, negative, odd characters, wrong types. */
const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '..',
    '../../etc/passwd',
    '%00',
    '\u0000',
    'a\nb',
    '\u{1F600}',
    '99999999999999999999',
    '-1',
    '1e309',
    'NaN',
    '2026-13-45T99:99:99Z',
    '0000-00-00',
    '99999999999w',
    '[[[[[[[[[[',
    '((((((((((',
    '{"a":',
    'x'.repeat(5000),
    '*'.repeat(300),
    "'; DROP TABLE users; --",
    '$(id)',
  ),
);
const nastyNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 2 ** 31, 2 ** 53, 1e20, -1e20, Number.MAX_VALUE),
);
const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: 'small' },
  nastyString,
  nastyNumber,
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
);

/** An object with the schema's own field names (so it gets past "unknown field"), each with a random value. */
function shapedLike(schema: Schema | undefined): fc.Arbitrary<unknown> {
  const properties = schema?.properties ?? schema?.anyOf?.find((branch) => branch.properties)?.properties;
  if (!properties) return nastyValue;
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, property] of Object.entries(properties)) {
    fields[name] =
      property.properties || property.anyOf?.some((branch) => branch.properties)
        ? fc.oneof(shapedLike(property), nastyValue)
        : property.items?.properties
          ? fc.array(shapedLike(property.items), { maxLength: 3 })
          : property.type === 'array'
            ? fc.oneof(fc.array(nastyValue, { maxLength: 3 }), nastyValue)
            : nastyValue;
  }
  return fc.record(fields, { requiredKeys: [] });
}

function routesOf(document: { paths: Record<string, Record<string, Operation>> }): Route[] {
  return Object.entries(document.paths)
    .flatMap(([path, operations]) =>
      Object.entries(operations).map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        operation,
      })),
    )
    .filter((route) => !skipped.has(`${route.method} ${route.path}`));
}

function requestOf(route: Route) {
  const parameters = route.operation.parameters ?? [];
  const pathParameters = parameters.filter((parameter) => parameter.in === 'path');
  const queryParameters = parameters.filter((parameter) => parameter.in === 'query');
  const jsonSchema = route.operation.requestBody?.content?.['application/json']?.schema;
  return fc.record({
    path: fc.record(
      Object.fromEntries(
        pathParameters.map((parameter) => [parameter.name, fc.oneof(nastyString, nastyNumber)]),
      ),
    ),
    query: fc.array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...queryParameters.map((parameter) => parameter.name), 'x'), nastyString),
        fc.oneof(nastyString, nastyNumber.map(String)),
      ),
      { maxLength: 4 },
    ),
    body: jsonSchema ? fc.oneof(shapedLike(jsonSchema), nastyValue) : fc.constant(undefined),
  });
}

describeBackends('route fuzz', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(backend);
    // Something to find, so that random names sometimes hit a real row.
    await t.station('x', []);
    await t.experiment('x', 'x');
  });
  after(() => t.close());

  it('should answer random input to every route without a 5xx', { timeout: 600_000 }, async () => {
    const document = (await t.call('GET', '/api/openapi.json')).body;
    const routes = routesOf(document);
    assert.ok(routes.length > 40, `only ${routes.length} routes in the OpenAPI document`);
    const failures: string[] = [];
    for (const route of routes) {
      await fc
        .assert(
          fc.asyncProperty(requestOf(route), async (request) => {
            const path = route.path.replace(/\{([^}]+)\}/g, (_match, name: string) =>
              encodeURIComponent(String(request.path[name] ?? 'x')),
            );
            const query = new URLSearchParams(
              request.query.map(([key, value]): [string, string] => [key, value]),
            ).toString();
            const response = await t.app.http.inject({
              method: route.method as 'GET',
              url: query ? `${path}?${query}` : path,
              headers: {
                authorization: `Bearer ${t.adminToken}`,
                ...(request.body !== undefined && { 'content-type': 'application/json' }),
              },
              payload: request.body === undefined ? undefined : JSON.stringify(request.body),
            });
            if (response.statusCode >= 500) {
              const shown = JSON.stringify(request).slice(0, 400);
              failures.push(`${route.method} ${route.path} → ${response.statusCode} for ${shown}`);
              return false;
            }
            return true;
          }),
          { numRuns: 40, endOnFailure: true },
        )
        .catch(() => {
          // Reported below, all routes together.
        });
      // A route that signs the admin out would make every later answer a 401 and hide real failures.
      if ((await t.call('GET', '/api/v1/auth/whoami')).status === 401) {
        throw new Error(`${route.method} ${route.path} revoked the admin's token; skip it in this test`);
      }
    }
    assert.deepEqual(failures, []);
  });

  it('should answer random metadata conditions without a 5xx', { timeout: 300_000 }, async () => {
    const condition = fc
      .tuple(
        fc.oneof(fc.constantFrom('size', 'mtime', 'path', 'entry/title', 'a.b', '$', '\\'), nastyString),
        fc.constantFrom('=', '!=', '<', '<=', '>', '>=', '~', ' exists'),
        fc.oneof(
          nastyString,
          nastyNumber.map(String),
          fc.constantFrom('"quoted"', "'*'", '**', '[', '%', '_'),
        ),
      )
      .map(([key, operator, value]) =>
        operator === ' exists' ? `${key} exists` : `${key}${operator}${value}`,
      );
    await fc.assert(
      fc.asyncProperty(
        fc.array(condition, { minLength: 1, maxLength: 3 }),
        fc.constantFrom('/api/v1/experiments/x/files', '/api/v1/experiments/x/files/count'),
        async (conditions, list) => {
          const query = new URLSearchParams(conditions.map((text): [string, string] => ['where', text]));
          const response = await t.call('GET', `${list}?${query}`);
          assert.ok(response.status < 500, `${list}?${query} → ${JSON.stringify(response.body)}`);
        },
      ),
      { numRuns: 200 },
    );
  });
});
