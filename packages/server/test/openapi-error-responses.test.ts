/**
 * Every route of the OpenAPI document declares the errors it can answer, with the shared error body: a
 * client generated from the document (packages/client/src/api-types.ts) then knows them, and a route added
 * without them fails here. The document is the same on both databases: SQLite alone is enough.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorStatus } from '../src/errors/app-error.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

interface Operation {
  parameters?: unknown[];
  requestBody?: unknown;
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}

describe('error responses in the OpenAPI document', () => {
  let t: TestApp;
  let operations: [string, Operation][];
  before(async () => {
    t = await createTestApp('sqlite');
    const document = (await t.call('GET', '/api/openapi.json', { token: null })).body;
    operations = Object.entries(document.paths as Record<string, Record<string, Operation>>).flatMap(
      ([path, methods]) =>
        Object.entries(methods).map(([method, operation]): [string, Operation] => [
          `${method.toUpperCase()} ${path}`,
          operation,
        ]),
    );
  });
  after(() => t.close());

  it('should declare, for every route, the errors it can answer by how it is built', () => {
    assert.ok(operations.length > 50, 'the document lists the routes');
    const missing: string[] = [];
    for (const [route, operation] of operations) {
      const takesInput = (operation.parameters?.length ?? 0) > 0 || operation.requestBody !== undefined;
      const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
      // Any write may find the database's disk full (507); any body may be too large or of a wrong type.
      const writes = !route.startsWith('GET ');
      const expected = [
        ...(takesInput ? ['400', '404'] : []),
        ...(isPublic ? [] : ['401', '403']),
        ...(operation.requestBody !== undefined ? ['413', '415'] : []),
        '500',
        ...(writes ? ['507'] : []),
      ];
      for (const status of expected)
        if (operation.responses[status] === undefined) missing.push(`${route}: ${status}`);
    }
    assert.deepEqual(missing, []);
  });

  it('should declare every status of the error catalogue on some route', () => {
    // method_not_allowed: in the catalogue for clients, answered by no route of this server.
    const answeredByNone = new Set<number>([errorStatus.method_not_allowed]);
    const declared = new Set(operations.flatMap(([, operation]) => Object.keys(operation.responses)));
    const missing = [...new Set(Object.values(errorStatus))].filter(
      (status) => !answeredByNone.has(status) && !declared.has(String(status)),
    );
    assert.deepEqual(missing, []);
  });

  it('should declare the errors of the rules a route applies, beyond how it is built', () => {
    const declares = (route: string, status: string) =>
      operations.find(([name]) => name === route)?.[1].responses[status];
    for (const [route, status] of [
      ['POST /api/v1/experiments', '409'],
      ['DELETE /api/v1/experiments/{name}', '409'],
      ['POST /api/v1/daqs/{id}/stop', '409'],
      ['POST /api/v1/auth/login', '429'],
      ['GET /api/v1/downloads', '410'],
      ['POST /api/v1/daqs/{id}/files/commit', '422'],
      ['GET /api/health', '503'],
    ] as const)
      assert.ok(declares(route, status), `${route} declares ${status}`);
  });

  it('should give every error response the shared error body', () => {
    // The agent's batch commits answer 200 with per-file errors: only 4xx/5xx are checked.
    for (const [route, operation] of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        const schema = response.content?.['application/json']?.schema;
        assert.equal(schema?.$ref, '#/components/schemas/ErrorResponse', `${route} ${status}`);
      }
    }
  });

  it('should mark the routes that need no token as such', () => {
    const open = operations
      .filter(([, operation]) => Array.isArray(operation.security) && operation.security.length === 0)
      .map(([route]) => route)
      .sort();
    assert.deepEqual(open, ['GET /api/health', 'GET /api/v1/downloads', 'POST /api/v1/auth/login']);
  });
});
