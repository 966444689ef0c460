/**
 * Hostile and careless input at the boundary: every case gets a 4xx naming the field, and nothing is
 * written (no row, no audit record, no directory).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';

describeBackends('bad input', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(backend);
    await t.station('8-ID-I');
  });
  after(() => t.close());

  async function snapshot() {
    const tables = ['users', 'stations', 'experiments', 'experiment_members', 'audit_events'] as const;
    const counts = await Promise.all(tables.map((table) => t.count(table)));
    return { counts, directories: readdirSync(t.storageRoot, { recursive: true }).sort() };
  }

  const cases: {
    what: string;
    url: string;
    body?: unknown;
    rawBody?: string;
    status: number;
    code: string;
    field?: string;
  }[] = [
    {
      what: 'malformed JSON',
      url: '/api/v1/experiments',
      rawBody: '{"name": "x", ',
      status: 400,
      code: 'invalid_json',
    },
    {
      what: 'a JSON string instead of an object',
      url: '/api/v1/experiments',
      body: 'exp',
      status: 400,
      code: 'validation_failed',
    },
    {
      what: 'an unknown field',
      url: '/api/v1/experiments',
      body: { name: 'a', station: '8-ID-I', colour: 'red' },
      status: 400,
      code: 'validation_failed',
      field: 'colour',
    },
    {
      what: 'a missing field',
      url: '/api/v1/experiments',
      body: { name: 'a' },
      status: 400,
      code: 'validation_failed',
      field: 'station',
    },
    {
      what: 'a number for a string',
      url: '/api/v1/experiments',
      body: { name: 42, station: '8-ID-I' },
      status: 400,
      code: 'validation_failed',
      field: 'name',
    },
    {
      what: 'a string for a list',
      url: '/api/v1/experiments',
      body: { name: 'a', station: '8-ID-I', users: 'bob' },
      status: 400,
      code: 'validation_failed',
      field: 'users',
    },
    {
      what: 'a string for a boolean',
      url: '/api/v1/users',
      body: { username: 'eve', isAdmin: 'true' },
      status: 400,
      code: 'validation_failed',
      field: 'isAdmin',
    },
    {
      what: 'an over-long name',
      url: '/api/v1/experiments',
      body: { name: 'x'.repeat(65), station: '8-ID-I' },
      status: 400,
      code: 'validation_failed',
      field: 'name',
    },
    {
      what: 'a path separator in a name',
      url: '/api/v1/experiments',
      body: { name: 'a/b', station: '8-ID-I' },
      status: 400,
      code: 'validation_failed',
      field: 'name',
    },
    {
      what: 'a parent-directory name',
      url: '/api/v1/experiments',
      body: { name: '..', station: '8-ID-I' },
      status: 400,
      code: 'validation_failed',
      field: 'name',
    },
    {
      what: 'a traversal in a name',
      url: '/api/v1/experiments',
      body: { name: '../../etc', station: '8-ID-I' },
      status: 400,
      code: 'validation_failed',
      field: 'name',
    },
    {
      what: 'a hidden name',
      url: '/api/v1/experiments',
      body: { name: '.ssh', station: '8-ID-I' },
      status: 400,
      code: 'validation_failed',
      field: 'name',
    },
    {
      what: 'a backslash in a station',
      url: '/api/v1/stations',
      body: { name: 'a\\b' },
      status: 400,
      code: 'validation_failed',
      field: 'name',
    },
    {
      what: 'a NUL byte in a name',
      url: '/api/v1/stations',
      body: { name: 'a\u0000b' },
      status: 400,
      code: 'validation_failed',
      field: 'name',
    },
    {
      what: 'an empty name',
      url: '/api/v1/stations',
      body: { name: '' },
      status: 400,
      code: 'validation_failed',
      field: 'name',
    },
    {
      what: 'a bad date',
      url: '/api/v1/experiments',
      body: { name: 'a', station: '8-ID-I', startDate: 'tomorrow' },
      status: 400,
      code: 'validation_failed',
      field: 'startDate',
    },
    {
      what: 'a bad email',
      url: '/api/v1/users',
      body: { username: 'eve', email: 'not-an-email' },
      status: 400,
      code: 'validation_failed',
      field: 'email',
    },
    {
      what: 'a short password',
      url: '/api/v1/users',
      body: { username: 'eve', password: 'short' },
      status: 400,
      code: 'validation_failed',
      field: 'password',
    },
    {
      what: 'a bad role',
      url: '/api/v1/experiments/none/users',
      body: { username: 'admin', role: 'owner' },
      status: 400,
      code: 'validation_failed',
      field: 'role',
    },
    {
      what: 'a duplicate station',
      url: '/api/v1/stations',
      body: { name: '8-ID-I' },
      status: 409,
      code: 'station_exists',
    },
    {
      what: 'a duplicate user',
      url: '/api/v1/users',
      body: { username: 'admin' },
      status: 409,
      code: 'user_exists',
    },
  ];

  for (const c of cases) {
    it(`answers ${c.status} ${c.code} to ${c.what}, writing nothing`, async () => {
      const before = await snapshot();
      const response = await t.call('POST', c.url, { body: c.body, rawBody: c.rawBody });
      assert.equal(response.status, c.status, JSON.stringify(response.body));
      assert.equal(response.body.error.code, c.code);
      assert.equal(typeof response.body.error.message, 'string');
      if (c.field) {
        const fields = response.body.error.details.fields.map((f: { field: string }) => f.field);
        assert.ok(fields.includes(c.field), `${JSON.stringify(fields)} names ${c.field}`);
      }
      assert.deepEqual(await snapshot(), before);
    });
  }

  it('lists every problem of one request at once', async () => {
    const response = await t.call('POST', '/api/v1/users', {
      body: { username: '../x', email: 'nope', isAdmin: 1, shoeSize: 44 },
    });
    assert.equal(response.status, 400);
    const fields = response.body.error.details.fields.map((f: { field: string }) => f.field).sort();
    assert.deepEqual(fields, ['email', 'isAdmin', 'shoeSize', 'username']);
  });

  it('answers 415 to a body that is not JSON and 404 in JSON to an unknown route', async () => {
    const form = await t.app.http.inject({
      method: 'POST',
      url: '/api/v1/stations',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'text/plain' },
      payload: 'name=x',
    });
    assert.equal(form.statusCode, 415);
    assert.equal(form.json().error.code, 'unsupported_media_type');
    const missing = await t.call('GET', '/api/v1/no-such-thing');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'route_not_found');
  });

  it('rejects unknown query parameters and out-of-range page sizes', async () => {
    assert.equal((await t.call('GET', '/api/v1/experiments?stattion=8-ID-I')).status, 400);
    assert.equal((await t.call('GET', '/api/v1/experiments?limit=0')).status, 400);
    assert.equal((await t.call('GET', '/api/v1/experiments?limit=100000')).status, 400);
    assert.equal((await t.call('GET', '/api/v1/experiments?status=exploded')).status, 400);
  });
});
