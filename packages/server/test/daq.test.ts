/**
 * A DAQ watching a beamline directory while a detector writes into it: every complete file reaches storage
 * and the catalog once, nothing half-written, nothing hidden or skipped, across a restart.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { setTimeout as pause } from 'node:timers/promises';
import { type TempDir, tempDir } from './support/temp-dir.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';
import { until } from './support/wait.ts';

describeBackends('DAQ', (backend) => {
  let t: TestApp;
  let detector: TempDir;
  let dataDirectory: string;

  before(async () => {
    t = await createTestApp(backend);
    await t.station('8-ID-I');
    dataDirectory = (await t.experiment('xpcs-daq', '8-ID-I')).dataDirectory;
    detector = await tempDir('dm-detector-');
    writeFileSync(join(detector.path, 'before_start.h5'), 'written before the DAQ started');
  });
  after(async () => {
    await t.close();
    await detector.remove();
  });

  async function daq(id: number) {
    return (await t.call('GET', `/api/v1/daqs/${id}`)).body;
  }

  async function waitFor(id: number, processed: number) {
    return until(
      async () => {
        const current = await daq(id);
        return current.nProcessedFiles >= processed && current;
      },
      { timeout: 15_000, interval: 50, message: `DAQ ${id} takes ${processed} files` },
    );
  }

  const cataloged = async () =>
    (await t.call('GET', '/api/v1/experiments/xpcs-daq/files?limit=1000')).body.items.map(
      (f: { experimentFilePath: string }) => f.experimentFilePath,
    );

  it('takes complete files as they arrive, never half-written, skipping hidden files and skip patterns', async () => {
    const started = await t.call('POST', '/api/v1/daqs', {
      body: {
        experiment: 'xpcs-daq',
        dataDirectory: detector.path,
        // Far longer than the pause between two writes below, even on a loaded machine where each check
        // between them may take a while: the file must look still only once it is.
        settleSeconds: 2,
        skipPatterns: ['*.tmp'],
        workflow: 'xpcs-corr',
        workflowArgs: { q: '0.01' },
      },
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const { id } = started.body;

    // A slow detector: the file grows for about 1.5 s; the DAQ must wait until it stops changing.
    const slow = join(detector.path, 'slow_scan.h5');
    writeFileSync(slow, 'frame-0;');
    for (let i = 1; i <= 6; i++) {
      await pause(250); // the detector's pace, not a wait for the DAQ
      appendFileSync(slow, `frame-${i};`);
      assert.ok(!(await cataloged()).includes('slow_scan.h5'), 'a file still being written is not taken');
    }
    writeFileSync(join(detector.path, '.hidden'), 'not data');
    writeFileSync(join(detector.path, 'scratch.tmp'), 'skipped');
    // Renamed into place: counted once, under its final name.
    writeFileSync(join(detector.path, 'frame_0001.h5.tmp'), 'frame one');
    renameSync(join(detector.path, 'frame_0001.h5.tmp'), join(detector.path, 'frame_0001.h5'));

    const current = await waitFor(id, 3);
    assert.equal(current.status, 'running');
    assert.deepEqual(await cataloged(), ['before_start.h5', 'frame_0001.h5', 'slow_scan.h5']);
    const record = (await t.call('GET', '/api/v1/experiments/xpcs-daq/file?path=slow_scan.h5')).body;
    const content = readFileSync(slow);
    assert.equal(record.fileSize, content.length, 'the whole file, not the part written at first sight');
    assert.equal(record.md5Sum, createHash('md5').update(content).digest('hex'));
    assert.equal(record.originType, 'daq');
    assert.equal(record.originId, id);
    assert.ok(
      !readdirSync(dataDirectory).some((name) => name.includes('dm-partial')),
      'no partial file remains',
    );

    const requests = await t.app.context.db
      .selectFrom('processing_requests')
      .selectAll()
      .where('origin_id', '=', id)
      .execute();
    assert.deepEqual(requests.map((r) => r.file_path).sort(), [
      'before_start.h5',
      'frame_0001.h5',
      'slow_scan.h5',
    ]);
  });

  it('continues after a restart without taking any file twice', async () => {
    const { id } = (await t.call('GET', '/api/v1/daqs?status=running')).body.items[0];
    await t.restart(() =>
      writeFileSync(join(detector.path, 'while_down.h5'), 'written while the server was down'),
    );
    const current = await waitFor(id, 4);
    assert.equal(current.nProcessedFiles, 4);
    assert.deepEqual(await cataloged(), [
      'before_start.h5',
      'frame_0001.h5',
      'slow_scan.h5',
      'while_down.h5',
    ]);
  });

  it('stops when asked, and skips files older than the DAQ with newOnly', async () => {
    const { id } = (await t.call('GET', '/api/v1/daqs?status=running')).body.items[0];
    const stopped = await t.call('POST', `/api/v1/daqs/${id}/stop`);
    assert.equal(stopped.body.status, 'done');
    assert.ok(stopped.body.endTime, 'a stopped DAQ has an end time');

    const newOnly = await t.call('POST', '/api/v1/daqs', {
      body: {
        experiment: 'xpcs-daq',
        dataDirectory: detector.path,
        settleSeconds: 0,
        newOnly: true,
        destDirectory: 'run2',
      },
    });
    // Written once the DAQ has started, and dated now: newer than its start, whatever the file system's
    // timestamp granularity.
    const running = await until(async () => {
      const current = await daq(newOnly.body.id);
      return current.status === 'running' && current;
    });
    assert.ok(running.startTime, 'a running DAQ has a start time');
    const newFrame = join(detector.path, 'new_frame.h5');
    writeFileSync(newFrame, 'new');
    utimesSync(newFrame, new Date(), new Date());
    const current = await waitFor(newOnly.body.id, 1);
    assert.equal(current.nProcessedFiles, 1);
    assert.ok(existsSync(join(dataDirectory, 'run2', 'new_frame.h5')));
    assert.ok(!existsSync(join(dataDirectory, 'run2', 'before_start.h5')), 'an old file is not taken');
    await t.call('POST', `/api/v1/daqs/${newOnly.body.id}/stop`);
  });

  it('ends by itself after its duration', async () => {
    const started = await t.call('POST', '/api/v1/daqs', {
      body: {
        experiment: 'xpcs-daq',
        dataDirectory: detector.path,
        settleSeconds: 0,
        durationSeconds: 1,
        destDirectory: 'run3',
      },
    });
    await until(async () => (await daq(started.body.id)).status === 'done', {
      timeout: 60_000,
      interval: 100,
      message: 'the DAQ ends after its duration',
    }).catch(() => undefined); // the assertion below says what went wrong
    assert.equal((await daq(started.body.id)).status, 'done');
  });

  it('refuses bad input, and lets only staff start or see DAQs', async () => {
    const user = await t.user('umar');
    await t.call('POST', '/api/v1/experiments/xpcs-daq/users', { body: { username: 'umar', role: 'user' } });
    const outsider = await t.user('olga');
    assert.equal(
      (
        await t.call('POST', '/api/v1/daqs', {
          token: user,
          body: { experiment: 'xpcs-daq', dataDirectory: '/etc' },
        })
      ).status,
      403,
    );
    assert.equal((await t.call('GET', '/api/v1/daqs', { token: user })).body.items.length > 0, true);
    assert.deepEqual((await t.call('GET', '/api/v1/daqs', { token: outsider })).body.items, []);
    const notDirectory = await t.call('POST', '/api/v1/daqs', {
      body: { experiment: 'xpcs-daq', dataDirectory: '/nonexistent' },
    });
    assert.equal(notDirectory.status, 400);
    const relative = await t.call('POST', '/api/v1/daqs', {
      body: { experiment: 'xpcs-daq', dataDirectory: 'relative/path' },
    });
    assert.equal(relative.status, 400);
    const outside = await t.call('POST', '/api/v1/daqs', {
      body: { experiment: 'xpcs-daq', dataDirectory: detector.path, destDirectory: '../../elsewhere' },
    });
    assert.equal(outside.status, 400);
    assert.equal(outside.body.error.details.fields[0].field, 'destDirectory');
  });
});
