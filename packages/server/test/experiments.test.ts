import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';

describeBackends('experiments', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(backend);
    await t.user('alice', { email: 'alice@example.org' });
    await t.user('bob');
    await t.station('8-ID-I');
    await t.station('2-BM');
    await t.call('POST', '/api/v1/experiment-types', { body: { name: 'XPCS' } });
  });
  after(() => t.close());

  it('registers an experiment with its APS fields and creates its storage tree', async () => {
    const experiment = await t.experiment('xpcs-2026-1', '8-ID-I', {
      type: 'XPCS',
      description: 'Dynamics of colloids',
      pi: 'alice',
      users: ['bob'],
      startDate: '2026-11-20',
      endDate: '2026-11-23',
    });
    assert.equal(experiment.experimentStation, '8-ID-I');
    assert.equal(experiment.experimentType, 'XPCS');
    assert.equal(experiment.pi, 'alice');
    assert.deepEqual(experiment.experimentUsernameList, ['alice', 'bob']);
    assert.equal(experiment.status, 'planned');
    assert.equal(experiment.storageState, 'ready');
    assert.equal(experiment.storageDirectory, join(t.storageRoot, '8-ID-I', 'xpcs-2026-1'));
    for (const key of ['dataDirectory', 'analysisDirectory', 'systemDirectory']) {
      assert.ok(statSync(experiment[key]).isDirectory(), `${key} exists`);
    }
    assert.equal(statSync(experiment.storageDirectory).mode & 0o077, 0, 'not readable by other local users');
    const shown = await t.call('GET', '/api/v1/experiments/xpcs-2026-1');
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.body, experiment);
  });

  it('refuses a second experiment of the same name and writes nothing', async () => {
    const audits = await t.count('audit_events');
    const response = await t.call('POST', '/api/v1/experiments', {
      body: { name: 'xpcs-2026-1', station: '2-BM' },
    });
    assert.equal(response.status, 409);
    assert.equal(response.body.error.code, 'experiment_exists');
    assert.equal(await t.count('audit_events'), audits);
    assert.equal(existsSync(join(t.storageRoot, '2-BM', 'xpcs-2026-1')), false);
  });

  it('names every unknown reference at once', async () => {
    const response = await t.call('POST', '/api/v1/experiments', {
      body: { name: 'bad-refs', station: 'nowhere', type: 'Nope', pi: 'nobody', users: ['bob', 'ghost'] },
    });
    assert.equal(response.status, 400);
    const fields = response.body.error.details.fields.map((f: { field: string }) => f.field).sort();
    assert.deepEqual(fields, ['pi', 'station', 'type', 'users/1']);
  });

  it('lists, filters, searches and pages', async () => {
    await t.experiment('tomo-a', '2-BM', { description: 'Battery CT', users: ['bob'] });
    await t.experiment('tomo-b', '2-BM', { description: 'Rock cores' });
    const byStation = await t.call('GET', '/api/v1/experiments?station=2-BM');
    assert.deepEqual(
      byStation.body.items.map((e: { name: string }) => e.name),
      ['tomo-a', 'tomo-b'],
    );
    const byUser = await t.call('GET', '/api/v1/experiments?user=bob');
    assert.deepEqual(
      byUser.body.items.map((e: { name: string }) => e.name),
      ['tomo-a', 'xpcs-2026-1'],
    );
    const bySearch = await t.call('GET', '/api/v1/experiments?search=battery');
    assert.deepEqual(
      bySearch.body.items.map((e: { name: string }) => e.name),
      ['tomo-a'],
    );
    const literal = await t.call('GET', `/api/v1/experiments?search=${encodeURIComponent('%')}`);
    assert.deepEqual(literal.body.items, [], '% is matched literally');

    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const page = await t.call('GET', `/api/v1/experiments?limit=1${query}`);
      assert.ok(page.body.items.length <= 1);
      names.push(...page.body.items.map((e: { name: string }) => e.name));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.deepEqual(names, ['tomo-a', 'tomo-b', 'xpcs-2026-1']);
    const badCursor = await t.call('GET', '/api/v1/experiments?cursor=garbage');
    assert.equal(badCursor.status, 400);
  });

  it('updates fields, clearing with null, and checks the dates', async () => {
    const updated = await t.call('PATCH', '/api/v1/experiments/tomo-b', {
      body: { description: null, type: 'XPCS' },
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.description, null);
    assert.equal(updated.body.experimentType, 'XPCS');
    const backwards = await t.call('PATCH', '/api/v1/experiments/tomo-b', {
      body: { startDate: '2026-12-01', endDate: '2026-11-01' },
    });
    assert.equal(backwards.status, 400);
    assert.equal(backwards.body.error.details.fields[0].field, 'endDate');
  });

  it('starts and stops, refusing transitions that make no sense', async () => {
    const stopEarly = await t.call('POST', '/api/v1/experiments/tomo-b/stop');
    assert.equal(stopEarly.status, 409);
    assert.equal(stopEarly.body.error.code, 'invalid_transition');
    const started = await t.call('POST', '/api/v1/experiments/tomo-b/start');
    assert.equal(started.body.status, 'running');
    assert.ok(started.body.startDate);
    const again = await t.call('POST', '/api/v1/experiments/tomo-b/start');
    assert.equal(again.status, 409);
    const stopped = await t.call('POST', '/api/v1/experiments/tomo-b/stop');
    assert.equal(stopped.body.status, 'stopped');
    assert.ok(stopped.body.endDate);
    const restarted = await t.call('POST', '/api/v1/experiments/tomo-b/start');
    assert.equal(restarted.body.status, 'running');
    assert.equal(restarted.body.endDate, null);
  });

  it('keeps a planned start date when started, and the planned end until stopped', async () => {
    await t.experiment('planned', '2-BM', { startDate: '2026-11-30', endDate: '2026-12-02' });
    const started = await t.call('POST', '/api/v1/experiments/planned/start');
    assert.equal(started.body.startDate, '2026-11-30');
    assert.equal(started.body.endDate, '2026-12-02');
    const stopped = await t.call('POST', '/api/v1/experiments/planned/stop');
    assert.ok(
      Math.abs(Date.parse(stopped.body.endDate) - Date.now()) < 60_000,
      'stopping records the actual end',
    );
  });

  it('adds and removes members; a new PI replaces the old one', async () => {
    const added = await t.call('POST', '/api/v1/experiments/tomo-b/users', {
      body: { username: 'alice', role: 'pi' },
    });
    assert.equal(added.body.pi, 'alice');
    const replaced = await t.call('POST', '/api/v1/experiments/tomo-b/users', {
      body: { username: 'bob', role: 'pi' },
    });
    assert.equal(replaced.body.pi, 'bob');
    assert.deepEqual(replaced.body.users, [
      { username: 'alice', role: 'user' },
      { username: 'bob', role: 'pi' },
    ]);
    const removed = await t.call('DELETE', '/api/v1/experiments/tomo-b/users/alice');
    assert.deepEqual(removed.body.experimentUsernameList, ['bob']);
    const notMember = await t.call('DELETE', '/api/v1/experiments/tomo-b/users/alice');
    assert.equal(notMember.status, 404);
  });

  it('refuses to delete an experiment that holds files, and deletes an empty one with its tree', async () => {
    const experiment = (await t.call('GET', '/api/v1/experiments/tomo-a')).body;
    writeFileSync(join(experiment.dataDirectory, 'scan_0001.h5'), 'frames');
    const refused = await t.call('DELETE', '/api/v1/experiments/tomo-a');
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'experiment_not_empty');
    assert.ok(existsSync(join(experiment.dataDirectory, 'scan_0001.h5')), 'the file is untouched');
    assert.equal((await t.call('GET', '/api/v1/experiments/tomo-a')).body.storageState, 'ready');

    const empty = (await t.call('GET', '/api/v1/experiments/tomo-b')).body;
    const deleted = await t.call('DELETE', '/api/v1/experiments/tomo-b');
    assert.equal(deleted.status, 204);
    assert.equal(existsSync(empty.storageDirectory), false);
    assert.equal((await t.call('GET', '/api/v1/experiments/tomo-b')).status, 404);
    const audit = await t.call('GET', '/api/v1/audit?experiment=tomo-b&action=experiment.delete');
    assert.equal(audit.body.items.length, 1);
  });

  it('imports proposals all or nothing, and a second import changes nothing', async () => {
    const proposals = {
      experiments: [
        { name: 'prop-1001', station: '8-ID-I', pi: 'alice', users: ['bob'], startDate: '2027-01-10' },
        { name: 'prop-1002', station: '2-BM', description: 'In-situ tomography' },
        { name: 'xpcs-2026-1', station: '8-ID-I', description: 'Dynamics of colloids' },
      ],
    };
    const first = await t.call('POST', '/api/v1/experiments/import', { body: proposals });
    assert.equal(first.status, 200);
    assert.deepEqual(first.body, {
      created: ['prop-1001', 'prop-1002'],
      updated: [],
      unchanged: ['xpcs-2026-1'],
    });
    assert.ok(existsSync(join(t.storageRoot, '2-BM', 'prop-1002', 'data')));
    const audits = await t.count('audit_events');
    const second = await t.call('POST', '/api/v1/experiments/import', { body: proposals });
    assert.deepEqual(second.body, {
      created: [],
      updated: [],
      unchanged: ['prop-1001', 'prop-1002', 'xpcs-2026-1'],
    });
    assert.equal(await t.count('audit_events'), audits, 'nothing was written');

    const changed = await t.call('POST', '/api/v1/experiments/import', {
      body: { experiments: [{ name: 'prop-1002', station: '2-BM', description: 'Operando tomography' }] },
    });
    assert.deepEqual(changed.body.updated, ['prop-1002']);

    const experiments = await t.count('experiments');
    const bad = await t.call('POST', '/api/v1/experiments/import', {
      body: {
        experiments: [
          { name: 'prop-2001', station: '8-ID-I' },
          { name: 'prop-2002', station: 'nowhere' },
          { name: 'prop-2001', station: '8-ID-I', pi: 'ghost' },
          { name: 'prop-1001', station: '2-BM' },
        ],
      },
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(
      bad.body.error.details.fields.map((f: { field: string }) => f.field),
      ['experiments/1/station', 'experiments/2/name', 'experiments/2/pi', 'experiments/3/station'],
    );
    assert.equal(await t.count('experiments'), experiments, 'nothing was imported');
    assert.equal(existsSync(join(t.storageRoot, '8-ID-I', 'prop-2001')), false);
  });
});
