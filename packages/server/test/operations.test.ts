import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';

describeBackends('operations endpoints', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(backend);
  });
  after(() => t.close());

  it('reports health with the database kind, without a token', async () => {
    const response = await t.call('GET', '/api/health', { token: null });
    assert.equal(response.status, 200);
    assert.deepEqual(
      { ...response.body, version: undefined },
      {
        status: 'ok',
        database: backend,
        version: undefined,
        roles: ['api', 'jobs', 'transfers', 'retention'],
      },
    );
  });

  it('publishes an OpenAPI 3.1 document generated from the validating schemas', async () => {
    const response = await t.call('GET', '/api/openapi.json', { token: null });
    assert.equal(response.status, 200);
    assert.equal(response.body.openapi, '3.1.0');
    const create = response.body.paths['/api/v1/experiments'].post;
    const schema = create.requestBody.content['application/json'].schema;
    assert.deepEqual(schema.required.sort(), ['name', 'station']);
    assert.equal(schema.additionalProperties, false);
    assert.ok(response.body.paths['/api/v1/experiments/{name}'].get.responses['200']);
    for (const path of [
      '/api/v1/users',
      '/api/v1/stations',
      '/api/v1/audit',
      '/api/v1/tokens',
      '/api/v1/auth/login',
    ]) {
      assert.ok(response.body.paths[path], `${path} is documented`);
    }
  });

  it('exposes Prometheus metrics per route', async () => {
    await t.call('GET', '/api/v1/experiments');
    const response = await t.call('GET', '/metrics', { token: null });
    assert.equal(response.status, 200);
    assert.match(
      response.body,
      /dm_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/experiments",status="200"\} \d+/,
    );
    assert.match(response.body, /dm_process_cpu_seconds_total/);
  });

  it('echoes a request id, or makes one', async () => {
    const given = await t.app.http.inject({
      method: 'GET',
      url: '/api/health',
      headers: { 'x-request-id': 'beamline-42' },
    });
    assert.equal(given.headers['x-request-id'], 'beamline-42');
    const made = await t.app.http.inject({ method: 'GET', url: '/api/health' });
    assert.match(String(made.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });
});
