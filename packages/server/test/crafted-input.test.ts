/**
 * Input crafted to break a parser rather than to mean something: forged cursors, absurd durations, texts
 * nested ten thousand levels deep, YAML that refers to itself, huge regexes, dates that are not on the
 * calendar, bodies in another charset, a DAQ agent naming a directory as its file. Each gets a 4xx naming
 * the field (or, for `workflows/validate`, a problem naming the place), never a 500.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { type ApiResponse, createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const deepBrackets = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;

function assertRefused(response: ApiResponse, field: string, status = 400): void {
  assert.equal(response.status, status, JSON.stringify(response.body));
  const fields = (response.body.error.details.fields ?? []) as { field: string }[];
  assert.ok(
    fields.some((problem) => problem.field === field || problem.field.startsWith(`${field}/`)),
    `expected a problem naming ${field}: ${JSON.stringify(response.body)}`,
  );
}

describeBackends('crafted input', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(backend);
    await t.station('8-ID-I', []);
    await t.experiment('crafted', '8-ID-I');
  });
  after(() => t.close());

  it('should refuse a token lifetime past the calendar with a 400 naming expiresIn', async () => {
    for (const expiresIn of ['99999999999w', '3651d', `${'9'.repeat(30)}s`]) {
      const response = await t.call('POST', '/api/v1/tokens', { body: { name: 'x', expiresIn } });
      assertRefused(response, 'expiresIn');
    }
    const longest = await t.call('POST', '/api/v1/tokens', { body: { name: 'x', expiresIn: '3650d' } });
    assert.equal(longest.status, 201, JSON.stringify(longest.body));
  });

  it('should refuse a forged cursor of any shape on every list with a 400 naming cursor', async () => {
    // Each list's cursor has one shape: a row id, a name, or a pair of sort value and tie-breaker.
    const byName = ['/api/v1/users', '/api/v1/stations', '/api/v1/experiment-types'];
    const byId = ['/api/v1/jobs', '/api/v1/uploads', '/api/v1/daqs', '/api/v1/tokens', '/api/v1/audit'];
    const byPair = [
      '/api/v1/experiments',
      '/api/v1/experiments/crafted/files',
      '/api/v1/experiments/crafted/files?sort=size',
      '/api/v1/experiments/crafted/files?sort=-mtime',
      '/api/v1/workflows',
    ];
    const forged = [
      'not base64 at all!',
      cursorOf([{ a: 1 }, 5]),
      cursorOf(['x', { a: 1 }]),
      cursorOf([1, 2, 3]),
      cursorOf(1e20),
      cursorOf(-1),
      cursorOf(null),
      cursorOf({}),
      cursorOf([[], []]),
      cursorOf({ length: 2, 0: 'a', 1: 1 }),
    ];
    const cases = [
      ...byName.flatMap((list) => forged.map((cursor) => [list, cursor] as const)),
      ...[...byId, ...byPair].flatMap((list) =>
        [...forged, cursorOf('a string')].map((cursor) => [list, cursor] as const),
      ),
    ];
    for (const [list, cursor] of cases) {
      const separator = list.includes('?') ? '&' : '?';
      const response = await t.call('GET', `${list}${separator}cursor=${encodeURIComponent(cursor)}`);
      assert.equal(response.status, 400, `${list} with ${cursor}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error.details.fields[0].field, 'cursor', list);
    }
    // A cursor written for another sort order is refused too, not compared with the wrong column.
    const bySize = await t.call(
      'GET',
      `/api/v1/experiments/crafted/files?sort=size&cursor=${cursorOf(['a', 1])}`,
    );
    assertRefused(bySize, 'cursor');
  });

  it('should refuse NUL characters, ids past 32 bits and non-numeric size conditions with a 400', async () => {
    assertRefused(await t.call('GET', '/api/v1/users/%00'), 'username');
    assertRefused(await t.call('GET', '/api/v1/experiments/a%00b'), 'name');
    assertRefused(await t.call('GET', '/api/v1/experiments?search=a%00'), 'search');
    assertRefused(
      await t.call('PATCH', '/api/v1/experiments/crafted', { body: { description: 'a\u0000b' } }),
      'description',
    );
    for (const path of ['/api/v1/jobs/2147483648', '/api/v1/daqs/1e160', '/api/v1/uploads/9007199254740993'])
      assertRefused(await t.call('GET', path), 'id');
    // An event stream would open, fail its replay on PostgreSQL and be reconnected to with the same id forever.
    assertRefused(await t.call('GET', '/api/v1/events?after=3000000000'), 'after');
    const lastEventId = await t.app.http.inject({
      method: 'GET',
      url: '/api/v1/events',
      headers: { authorization: `Bearer ${t.adminToken}`, 'last-event-id': '99999999999' },
    });
    assert.equal(lastEventId.statusCode, 400);
    assert.equal(JSON.parse(lastEventId.body).error.details.fields[0].field, 'Last-Event-ID');
    for (const condition of ['size="quoted"', "size~'*'", 'fileSize>1e300'])
      assertRefused(
        await t.call('GET', `/api/v1/experiments/crafted/files?where=${encodeURIComponent(condition)}`),
        'where/0',
      );
  });

  it('should take metadata keys named like Object members as metadata, not as file columns', async () => {
    for (const key of ['valueOf', 'constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      for (const condition of [`${key}=`, `${key}=1`, `${key} exists`]) {
        const answer = await t.call(
          'GET',
          `/api/v1/experiments/crafted/files?where=${encodeURIComponent(condition)}`,
        );
        assert.ok(answer.status < 500, `${condition}: ${answer.status} ${JSON.stringify(answer.body)}`);
      }
    }
  });

  it('should refuse a workflow of thousands of stages and metadata of thousands of keys', async () => {
    const stages = Object.fromEntries(
      Array.from({ length: 1001 }, (_, index) => [`s${index}`, { command: 'date' }]),
    );
    const checked = await t.call('POST', '/api/v1/workflows/validate', {
      body: { definition: { name: 'many', owner: 'admin', stages } },
    });
    assert.equal(checked.body.valid, false);
    assert.deepEqual(checked.body.problems, [{ path: 'stages', message: 'must have at most 1000 stages' }]);
    const metadata = Object.fromEntries(Array.from({ length: 1001 }, (_, index) => [`k${index}`, index]));
    assertRefused(
      await t.call('PATCH', '/api/v1/experiments/crafted/file?path=a.h5', { body: { metadata } }),
      'metadata',
    );
  });

  it('should page through workflows with the cursors it hands out', async () => {
    const names = ['page-a', 'page-b', 'page-c'];
    for (const name of names) {
      const created = await t.call('POST', '/api/v1/workflows', {
        body: { definition: { name, owner: 'admin', stages: { '01': { command: 'date' } } } },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${cursor}`;
      const page = await t.call('GET', `/api/v1/workflows?owner=admin&limit=1${query}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      seen.push(...page.body.items.map((item: { name: string }) => item.name));
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    assert.deepEqual(seen, names);
  });

  it('should report a workflow nested ten thousand levels deep as a problem, in every format', async () => {
    const texts = {
      json: `{"name": "deep", "owner": "admin", "stages": {"01": {"command": "date", "env": ${deepBrackets}}}}`,
      yaml: `name: deep\nowner: admin\nstages: ${deepBrackets}\n`,
      python: `{'name': 'deep', 'owner': 'admin', 'stages': ${deepBrackets}}`,
    };
    for (const [format, text] of Object.entries(texts)) {
      const checked = await t.call('POST', '/api/v1/workflows/validate', { body: { format, text } });
      assert.equal(checked.status, 200, `${format}: ${JSON.stringify(checked.body)}`);
      assert.equal(checked.body.valid, false);
      assert.match(checked.body.problems[0].message, /nested/, format);
      const saved = await t.call('POST', '/api/v1/workflows', { body: { format, text } });
      assert.equal(saved.status, 400, format);
      assert.equal(saved.body.error.code, 'workflow_invalid', format);
    }
  });

  it('should refuse a JSON body nested ten thousand levels deep with a 400 naming where', async () => {
    const rawBody = `{"definition": {"name": "deep", "owner": "admin", "stages": ${deepBrackets}}}`;
    const response = await t.call('POST', '/api/v1/workflows/validate', { rawBody });
    assertRefused(response, 'definition/stages');
    assert.match(response.body.error.message, /nested more than/);
  });

  it('should refuse YAML that refers to itself, and the billion laughs', async () => {
    const selfReferencing =
      'name: loop\nowner: admin\nstages: &stages\n  "01":\n    command: date\n    env: *stages\n';
    const laughs = [
      'name: lol',
      'owner: admin',
      'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
    ];
    for (let level = 1; level < 9; level += 1) {
      const name = String.fromCharCode(97 + level);
      const previous = String.fromCharCode(96 + level);
      laughs.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`);
    }
    for (const text of [selfReferencing, 'a: &x\n  b: *x\n', laughs.join('\n')]) {
      const checked = await t.call('POST', '/api/v1/workflows/validate', { body: { format: 'yaml', text } });
      assert.equal(checked.status, 200, JSON.stringify(checked.body));
      assert.equal(checked.body.valid, false);
      const saved = await t.call('POST', '/api/v1/workflows', { body: { format: 'yaml', text } });
      assert.equal(saved.status, 400);
    }
  });

  it('should refuse a 100,000-character output regex as a problem of that regex', async () => {
    const definition = {
      name: 'huge-regex',
      owner: 'admin',
      stages: { '01': { command: 'date', outputVariableRegexList: [`(?P<a>${'a'.repeat(100_000)})`] } },
    };
    const checked = await t.call('POST', '/api/v1/workflows/validate', { body: { definition } });
    assert.equal(checked.status, 200, JSON.stringify(checked.body));
    assert.equal(checked.body.valid, false);
    assert.match(checked.body.problems[0].path, /outputVariableRegexList/);
    const saved = await t.call('POST', '/api/v1/workflows', { body: { definition } });
    assert.equal(saved.status, 400);
    assert.equal(saved.body.error.code, 'workflow_invalid');
  });

  it('should refuse dates that are not on the calendar, wherever a date is given', async () => {
    const impossible = [
      '2026-13-45T99:99:99Z',
      '2026-02-30',
      '0000-00-00',
      '2026-04-31',
      '2027-02-29',
      '2026-01-01T24:00:00Z',
    ];
    for (const date of impossible) {
      assertRefused(
        await t.call('POST', '/api/v1/experiments', {
          body: { name: 'dated', station: '8-ID-I', startDate: date },
        }),
        'startDate',
      );
      assertRefused(
        await t.call('PATCH', '/api/v1/experiments/crafted', { body: { endDate: date } }),
        'endDate',
      );
      assertRefused(
        await t.call('POST', '/api/v1/experiments/import', {
          body: { experiments: [{ name: 'imported', station: '8-ID-I', startDate: date }] },
        }),
        'experiments/0/startDate',
      );
    }
    assert.equal((await t.call('GET', '/api/v1/experiments/dated')).status, 404);
    const leapDay = await t.call('POST', '/api/v1/experiments', {
      body: {
        name: 'leap',
        station: '8-ID-I',
        startDate: '2028-02-29',
        endDate: '2028-03-01T08:30:00+02:00',
      },
    });
    assert.equal(leapDay.status, 201, JSON.stringify(leapDay.body));
    assertRefused(
      await t.call('PATCH', '/api/v1/experiments/leap', { body: { endDate: '2028-02-28' } }),
      'endDate',
    );
    assertRefused(
      await t.call('POST', '/api/v1/experiments', {
        body: { name: 'backwards', station: '8-ID-I', startDate: '2026-05-03', endDate: '2026-05-01' },
      }),
      'endDate',
    );
  });

  it('should refuse a body declaring a charset other than UTF-8 with a 415', async () => {
    const post = (contentType: string, name: string) =>
      t.app.http.inject({
        method: 'POST',
        url: '/api/v1/stations',
        headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': contentType },
        payload: JSON.stringify({ name }),
      });
    for (const charset of ['latin1', 'ISO-8859-1', '"utf-16"', 'windows-1252']) {
      const refused = await post(`application/json; charset=${charset}`, 'latin');
      assert.equal(refused.statusCode, 415, charset);
      assert.equal(JSON.parse(refused.body).error.code, 'unsupported_media_type');
    }
    assert.equal((await t.call('GET', '/api/v1/stations/latin')).status, 404);
    assert.equal((await post('application/json; charset=UTF-8', 'utf8-a')).statusCode, 201);
    assert.equal((await post('application/json; charset=utf8', 'utf8-b')).statusCode, 201);
    assert.equal((await post('application/json', 'utf8-c')).statusCode, 201);
  });

  it('should answer a DAQ agent cataloging a directory with a 400 naming relativePath', async () => {
    const created = await t.call('POST', '/api/v1/daqs', {
      body: { experiment: 'crafted', dataDirectory: '/detector/bl8', agent: 'bl8-daq' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const owner = 'bl8-daq:1:cafe';
    const claimed = await t.call('POST', '/api/v1/daqs/claim', { body: { agent: 'bl8-daq', owner } });
    assert.equal(claimed.body.daq.id, created.body.id);
    const experiment = (await t.call('GET', '/api/v1/experiments/crafted')).body;
    mkdirSync(join(experiment.dataDirectory, 'scan-1'), { recursive: true });
    const body = {
      owner,
      relativePath: 'scan-1',
      size: 0,
      mtime: '2026-11-21T10:00:00.000Z',
      md5: 'd41d8cd98f00b204e9800998ecf8427e',
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    };
    const single = await t.call('POST', `/api/v1/daqs/${created.body.id}/files/catalog`, { body });
    assertRefused(single, 'relativePath');
    const batch = await t.call('POST', `/api/v1/daqs/${created.body.id}/files/catalogs`, {
      body: { owner, files: [{ ...body, owner: undefined }] },
    });
    assert.ok(batch.status < 500, JSON.stringify(batch.body));
  });
});
