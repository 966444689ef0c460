/**
 * Operations look at the facility's use: files and bytes cataloged per day and station, jobs that ended and
 * how many succeeded, storage per station and experiment, and the busiest experiments. The clock is moved
 * to two known days so that the per-day figures can be told apart.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { type TempDir, tempDir } from './support/temp-dir.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';
import { until } from './support/wait.ts';

describeBackends('usage', (backend) => {
  let t: TestApp;
  let beamline: TempDir;
  let offset = 0;
  /** Moves the server's clock to `iso`, from where it goes on running. */
  const travelTo = (iso: string) => {
    offset = Date.parse(iso) - Date.now();
  };
  const tokens: Record<string, string> = {};

  async function upload(experiment: string, files: Record<string, number>) {
    const directory = join(beamline.path, `${experiment}-${Object.keys(files).join('-')}`);
    mkdirSync(directory);
    for (const [name, size] of Object.entries(files)) writeFileSync(join(directory, name), 'x'.repeat(size));
    const started = await t.call('POST', '/api/v1/uploads', {
      body: { experiment, dataDirectory: directory },
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const ended = await until(
      async () => {
        const upload = (await t.call('GET', `/api/v1/uploads/${started.body.id}`)).body;
        return ['done', 'failed', 'aborted'].includes(upload.status) && upload;
      },
      { timeout: 60_000, message: 'the upload ended' },
    );
    assert.equal(ended.status, 'done', JSON.stringify(ended));
  }

  async function runJob(workflow: string) {
    const started = await t.call('POST', '/api/v1/jobs', { body: { workflow, experiment: 'xpcs-1' } });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    return until(
      async () => {
        const job = (await t.call('GET', `/api/v1/jobs/${started.body.id}`)).body;
        return ['done', 'failed', 'aborted'].includes(job.status) && job;
      },
      { timeout: 60_000, message: 'the job ended' },
    );
  }

  before(async () => {
    t = await createTestApp(
      backend,
      { DM_STAGE_SWITCH: 'none' },
      { now: () => new Date(Date.now() + offset).toISOString() },
    );
    beamline = await tempDir('dm-usage-');
    tokens.mia = await t.user('mia');
    tokens.ben = await t.user('ben');
    tokens.alice = await t.user('alice');
    await t.station('8-ID-I', ['mia']);
    await t.station('2-BM', ['ben']);
    await t.experiment('xpcs-1', '8-ID-I', { users: ['alice'] });
    await t.experiment('tomo-1', '2-BM');
    for (const [name, command] of [
      ['ok', 'true'],
      ['broken', 'exit 3'],
    ]) {
      const saved = await t.call('POST', '/api/v1/workflows', {
        body: { definition: { name, owner: 'admin', stages: { A: { command } } } },
      });
      assert.ok([200, 201].includes(saved.status), JSON.stringify(saved.body));
    }

    travelTo('2026-11-01T10:00:00.000Z');
    await upload('xpcs-1', { 'a.tif': 1000, 'b.tif': 3000 });
    travelTo('2026-11-02T10:00:00.000Z');
    await upload('xpcs-1', { 'c.tif': 2000 });
    await upload('tomo-1', { 'd.tif': 500 });
    assert.equal((await runJob('ok')).status, 'done');
    assert.equal((await runJob('broken')).status, 'failed');
  });
  after(async () => {
    await t.close();
    await beamline.remove();
  });

  it('gives admins files and bytes per day and station, jobs per day, storage and the busiest experiments', async () => {
    const response = await t.call('GET', '/api/v1/usage?from=2026-11-01&to=2026-11-02');
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const usage = response.body;
    assert.deepEqual(usage.stations, ['2-BM', '8-ID-I']);
    assert.deepEqual(usage.ingested, [
      { day: '2026-11-01', station: '8-ID-I', files: 2, bytes: 4000 },
      { day: '2026-11-02', station: '2-BM', files: 1, bytes: 500 },
      { day: '2026-11-02', station: '8-ID-I', files: 1, bytes: 2000 },
    ]);
    assert.deepEqual(usage.jobs, [{ day: '2026-11-02', done: 1, failed: 1, aborted: 0, successRate: 0.5 }]);
    assert.deepEqual(usage.storageByStation, [
      { station: '2-BM', experiments: 1, files: 1, bytes: 500 },
      { station: '8-ID-I', experiments: 1, files: 3, bytes: 6000 },
    ]);
    assert.deepEqual(usage.storageByExperiment, [
      { experiment: 'xpcs-1', station: '8-ID-I', files: 3, bytes: 6000 },
      { experiment: 'tomo-1', station: '2-BM', files: 1, bytes: 500 },
    ]);
    assert.deepEqual(usage.busiestExperiments, [
      { experiment: 'xpcs-1', station: '8-ID-I', files: 3, bytes: 6000 },
      { experiment: 'tomo-1', station: '2-BM', files: 1, bytes: 500 },
    ]);
  });

  it('counts only the days asked for', async () => {
    const usage = (await t.call('GET', '/api/v1/usage?from=2026-11-02&to=2026-11-02')).body;
    assert.deepEqual(
      usage.ingested.map((row: { day: string }) => row.day),
      ['2026-11-02', '2026-11-02'],
    );
    assert.deepEqual(usage.busiestExperiments[0], {
      experiment: 'xpcs-1',
      station: '8-ID-I',
      files: 1,
      bytes: 2000,
    });
    const before = (await t.call('GET', '/api/v1/usage?from=2026-10-01&to=2026-10-31')).body;
    assert.deepEqual([before.ingested, before.jobs, before.busiestExperiments], [[], [], []]);
    assert.equal(before.storageByStation.length, 2, 'storage is what is held now, whatever the period');
  });

  it('shows a station manager their own station only, and refuses another one', async () => {
    const mine = await t.call('GET', '/api/v1/usage?from=2026-11-01&to=2026-11-02', { token: tokens.ben });
    assert.equal(mine.status, 200, JSON.stringify(mine.body));
    assert.deepEqual(mine.body.stations, ['2-BM']);
    assert.deepEqual(mine.body.ingested, [{ day: '2026-11-02', station: '2-BM', files: 1, bytes: 500 }]);
    assert.deepEqual(mine.body.jobs, [], "8-ID-I's jobs are not 2-BM's");
    assert.deepEqual(
      mine.body.storageByExperiment.map((row: { experiment: string }) => row.experiment),
      ['tomo-1'],
    );
    const other = await t.call('GET', '/api/v1/usage?station=8-ID-I', { token: tokens.ben });
    assert.equal(other.status, 403);
    assert.equal(other.body.error.code, 'forbidden');
    const filtered = await t.call('GET', '/api/v1/usage?station=8-ID-I&from=2026-11-01&to=2026-11-02');
    assert.deepEqual(filtered.body.stations, ['8-ID-I']);
    assert.equal(filtered.body.jobs[0].done, 1);
  });

  it('refuses users who manage no station, even members of an experiment', async () => {
    const response = await t.call('GET', '/api/v1/usage', { token: tokens.alice });
    assert.equal(response.status, 403);
    assert.equal(response.body.error.code, 'forbidden');
    assert.equal((await t.call('GET', '/api/v1/usage', { token: null })).status, 401);
  });

  it('names the field of a bad period and an unknown station', async () => {
    const cases: [string, string][] = [
      ['from=2026-11-03&to=2026-11-02', 'from'],
      ['from=2025-01-01&to=2026-11-02', 'from'],
      ['to=2026-02-30', 'to'],
      ['from=yesterday', 'from'],
    ];
    for (const [query, field] of cases) {
      const response = await t.call('GET', `/api/v1/usage?${query}`);
      assert.equal(response.status, 400, query);
      assert.equal(response.body.error.code, 'validation_failed', query);
      assert.match(JSON.stringify(response.body.error.details), new RegExp(`"field":"/?${field}"`), query);
    }
    const unknown = await t.call('GET', '/api/v1/usage?station=nowhere');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'station_not_found');
  });
});
