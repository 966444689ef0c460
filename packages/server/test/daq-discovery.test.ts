/**
 * How a DAQ finds files: watch hints bring a new file in without waiting for the next full rescan, the
 * periodic rescan still finds every file the watcher missed, and a file that both find is taken once.
 */
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { setTimeout as pause } from 'node:timers/promises';
import { type TempDir, tempDir } from './support/temp-dir.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';
import { until } from './support/wait.ts';

/** Waits until the monitor of DAQ `id` has renewed its lease `count` more times: its loop went round. */
async function leaseRenewals(t: TestApp, id: number, count: number): Promise<void> {
  const leaseOf = async () => {
    const { lease_expires_at: lease } = await t.app.context.db
      .selectFrom('daqs')
      .select('lease_expires_at')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    // As text whatever the driver returns, so that two reads of one lease compare equal.
    return lease === null ? 'none' : new Date(lease).toISOString();
  };
  let seen = await leaseOf();
  for (let renewal = 1; renewal <= count; renewal++) {
    const before = seen;
    seen = await until(
      async () => {
        const lease = await leaseOf();
        return lease !== before && lease;
      },
      { message: `lease renewal ${renewal} of DAQ ${id}` },
    );
  }
}

describeBackends('DAQ discovery', (backend) => {
  let detector: TempDir;
  before(async () => {
    detector = await tempDir('dm-detector-');
  });
  after(() => detector.remove());

  /** An app with these DAQ settings, an experiment, and a DAQ on a fresh directory under the detector's. */
  async function startDaq(env: Record<string, string>, name: string) {
    const t = await createTestApp(backend, env);
    await t.station('8-ID-I');
    await t.experiment(name, '8-ID-I');
    const directory = join(detector.path, name);
    mkdirSync(directory);
    writeFileSync(join(directory, 'before_start.h5'), 'there before the DAQ');
    const started = await t.call('POST', '/api/v1/daqs', {
      body: { experiment: name, dataDirectory: directory, settleSeconds: 0.2 },
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const daq = async () => (await t.call('GET', `/api/v1/daqs/${started.body.id}`)).body;
    const waitFor = (processed: number) =>
      until(
        async () => {
          const current = await daq();
          return current.nProcessedFiles >= processed && current;
        },
        { interval: 50, message: `the DAQ takes ${processed} files` },
      );
    const cataloged = async () =>
      (await t.call('GET', `/api/v1/experiments/${name}/files?limit=1000`)).body.items.map(
        (f: { experimentFilePath: string }) => f.experimentFilePath,
      );
    await waitFor(1);
    return { t, directory, daq, waitFor, cataloged, id: started.body.id as number };
  }

  it('takes new files from watch hints alone, in new subdirectories and renamed into place', async () => {
    // A rescan only at the start: whatever comes later can only be found through a hint.
    const { t, directory, waitFor, cataloged } = await startDaq({ DM_DAQ_RESCAN_SECONDS: '3600' }, 'hinted');
    try {
      writeFileSync(join(directory, 'frame_0001.h5'), 'frame one');
      mkdirSync(join(directory, 'scan_2', 'sub'), { recursive: true });
      writeFileSync(join(directory, 'scan_2', 'sub', 'frame_0002.h5'), 'frame two, two levels down');
      writeFileSync(join(directory, 'frame_0003.h5.part'), 'frame three');
      renameSync(join(directory, 'frame_0003.h5.part'), join(directory, 'frame_0003.h5'));
      await waitFor(4);
      // frame_0003.h5.part may have been taken too if it settled before its rename; the others must be there.
      const paths = await cataloged();
      for (const path of ['before_start.h5', 'frame_0001.h5', 'scan_2/sub/frame_0002.h5', 'frame_0003.h5']) {
        assert.ok(paths.includes(path), `${path} is cataloged (${paths.join(', ')})`);
      }
    } finally {
      await t.close();
    }
  });

  it('still takes every file when the watcher sees nothing: the periodic rescan finds them', async () => {
    // Watching off stands for every way hints get lost (inotify queue overflow, watches used up, NFS).
    const { t, directory, waitFor, cataloged, daq } = await startDaq(
      { DM_DAQ_WATCH: 'no', DM_DAQ_RESCAN_SECONDS: '0.5' },
      'unwatched',
    );
    try {
      writeFileSync(join(directory, 'frame_0001.h5'), 'frame one');
      mkdirSync(join(directory, 'scan_2'));
      writeFileSync(join(directory, 'scan_2', 'frame_0002.h5'), 'frame two');
      await waitFor(3);
      assert.deepEqual(await cataloged(), ['before_start.h5', 'frame_0001.h5', 'scan_2/frame_0002.h5']);
      assert.equal((await daq()).nProcessingErrors, 0);
    } finally {
      await t.close();
    }
  });

  it('takes each file once when hints and frequent rescans both find it', async () => {
    const { t, directory, waitFor, cataloged, daq, id } = await startDaq(
      { DM_DAQ_RESCAN_SECONDS: '0.1' },
      'both',
    );
    try {
      const names = Array.from({ length: 200 }, (_, i) => `frame_${String(i).padStart(4, '0')}.h5`);
      for (const [i, name] of names.entries()) {
        writeFileSync(join(directory, name), `frame ${i}`);
        if (i % 20 === 0) await pause(20); // the detector's pace
      }
      await waitFor(201);
      // Nothing more may be taken: the monitor renews its lease after a look or rescan, about once a
      // second; two renewals from now are at least a second of rescans every 0.1 s, all finding taken files.
      await leaseRenewals(t, id, 2);
      const current = await daq();
      assert.equal(current.nProcessedFiles, 201);
      assert.equal(current.nProcessingErrors, 0, JSON.stringify(current.errors));
      assert.deepEqual(await cataloged(), ['before_start.h5', ...names]);
      const events = await t.app.context.db
        .selectFrom('events')
        .select(({ fn }) => fn.countAll<number>().as('n'))
        .where('type', '=', 'file.cataloged')
        .executeTakeFirstOrThrow();
      assert.equal(Number(events.n), 201, `one file.cataloged event per file (DAQ ${id})`);
    } finally {
      await t.close();
    }
  });
});
