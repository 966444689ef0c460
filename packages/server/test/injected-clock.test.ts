/**
 * The server reads the time through `context.now()` (createApp's `now` option), so moving that clock moves
 * the rules that depend on the time: a DAQ's end and rates, a login lockout. A clock fixed here, and moved
 * only by the test, proves no rule reads the wall clock behind it.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { type TempDir, tempDir } from './support/temp-dir.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';
import { until } from './support/wait.ts';

describeBackends('injected clock', (backend) => {
  let t: TestApp;
  let detector: TempDir;
  let clockMs = Date.parse('2026-11-21T10:00:00.000Z');
  const now = () => new Date(clockMs).toISOString();

  before(async () => {
    t = await createTestApp(backend, {}, { now });
    await t.station('8-ID-I');
    await t.experiment('xpcs-clock', '8-ID-I');
    detector = await tempDir('dm-detector-');
    writeFileSync(join(detector.path, 'frame_0001.h5'), 'one frame');
  });
  after(async () => {
    await t.close();
    await detector.remove();
  });

  const daq = async (id: number) => (await t.call('GET', `/api/v1/daqs/${id}`)).body;

  it("reports a DAQ's rate and ends it after its duration by the injected time", async () => {
    const started = await t.call('POST', '/api/v1/daqs', {
      body: {
        experiment: 'xpcs-clock',
        dataDirectory: detector.path,
        settleSeconds: 0,
        durationSeconds: 3600,
      },
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const { id } = started.body;
    await until(async () => (await daq(id)).nProcessedFiles === 1, {
      interval: 50,
      message: 'the DAQ took its file',
    });

    clockMs += 100_000;
    assert.equal((await daq(id)).filesPerSecond, 0.01, 'one file in 100 s of the injected clock');

    clockMs += 3600_000;
    const ended = await until(
      async () => {
        const current = await daq(id);
        return current.status === 'done' && current;
      },
      { interval: 50, message: 'the DAQ ended' },
    );
    assert.equal(ended.endTime, now());
  });

  it('lifts a login lockout when the injected clock leaves the window', async () => {
    await t.user('lena');
    const login = (password: string) =>
      t.call('POST', '/api/v1/auth/login', { token: null, body: { username: 'lena', password } });
    for (let i = 0; i < 5; i++) assert.equal((await login(`guess-${i}`)).status, 401, `guess ${i + 1}`);
    assert.equal((await login('lena-password')).status, 429);

    clockMs += 10 * 60_000 + 1_000;
    assert.equal((await login('lena-password')).status, 200);
  });
});
