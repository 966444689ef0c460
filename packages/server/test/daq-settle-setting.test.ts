/**
 * The server-wide default settle time (DM_DAQ_SETTLE_SECONDS) may be a fraction of a second, and a DAQ
 * started without its own settle time gets exactly that.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { type TempDir, tempDir } from './support/temp-dir.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';

describeBackends('DAQ settle time default', (backend) => {
  let t: TestApp;
  let detector: TempDir;
  before(async () => {
    t = await createTestApp(backend, { DM_DAQ_SETTLE_SECONDS: '0.5' });
    await t.station('8-ID-I');
    await t.experiment('fast-detector', '8-ID-I');
    detector = await tempDir('dm-detector-');
  });
  after(async () => {
    await t.close();
    await detector.remove();
  });

  it('gives a DAQ without its own settle time the fractional default, and keeps its own otherwise', async () => {
    for (const [given, expected] of [
      [undefined, 0.5],
      [0.25, 0.25],
    ] as const) {
      const started = await t.call('POST', '/api/v1/daqs', {
        body: {
          experiment: 'fast-detector',
          dataDirectory: detector.path,
          ...(given !== undefined && { settleSeconds: given }),
        },
      });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      assert.equal(started.body.settleSeconds, expected);
      assert.equal((await t.call('POST', `/api/v1/daqs/${started.body.id}/stop`)).status, 200);
    }
  });
});
