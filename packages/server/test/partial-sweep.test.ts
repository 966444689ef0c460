/**
 * The age-based sweep of temp files that interrupted copies leave in storage: real files, real mtimes set
 * with utimes, the reconciler that every start and every minute runs.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { pino } from 'pino';
import { sweepPartialFiles } from '../src/storage/partial-sweep.ts';
import { partialSweepIntervalMs, reconcileStorage } from '../src/storage/reconcile.ts';
import { copyVerified } from '../src/transfer/verified-copy.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends, type TempDir, tempDir } from './support/test-database.ts';

const minute = 60_000;

/** Writes a file whose mtime lies `ageMinutes` in the past. */
async function fileAged(path: string, ageMinutes: number, content = 'half a frame'): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
  const then = new Date(Date.now() - ageMinutes * minute);
  await utimes(path, then, then);
  return path;
}

describeBackends('sweep of partial files', (backend) => {
  let t: TestApp;
  let outside: TempDir;
  before(async () => {
    t = await createTestApp(backend, { DM_PARTIAL_FILE_MAX_AGE_MINUTES: '30' });
    outside = await tempDir('dm-sweep-outside-');
    await t.station('8-ID-I');
  });
  after(async () => {
    await t.close();
    await outside.remove();
  });

  it('removes old temp files from data and system, and leaves everything else', async () => {
    const experiment = await t.experiment('crashed-copies', '8-ID-I');
    const data = experiment.dataDirectory as string;
    const system = experiment.systemDirectory as string;
    const stale = [
      await fileAged(join(data, '.frame-0001.h5.dm-partial-0a1b2c3d4e5f'), 45),
      await fileAged(join(data, 'scan-7', 'deep', '.frame-0002.h5.dm-partial-aaaaaaaaaaaa'), 24 * 60),
      await fileAged(join(system, 'old-versions', '.frame-0003.h5.dm-partial-bbbbbbbbbbbb'), 31),
    ];
    const kept = [
      // A copy in progress writes its temp file, so its mtime is fresh.
      await fileAged(join(data, '.frame-0004.h5.dm-partial-cccccccccccc'), 1),
      await fileAged(join(data, 'frame-0005.h5'), 24 * 60),
      await fileAged(join(data, '.hidden-but-not-partial'), 24 * 60),
      await fileAged(join(experiment.analysisDirectory, '.result.dm-partial-dddddddddddd'), 24 * 60),
      // Not an experiment's tree: the sweep never walks the storage root itself.
      await fileAged(join(t.storageRoot, 'lost+found', '.x.dm-partial-eeeeeeeeeeee'), 24 * 60),
    ];
    // A symlink out of the tree is not followed: what it points at is not the experiment's.
    const foreign = await fileAged(join(outside.path, '.other.dm-partial-ffffffffffff'), 24 * 60);
    await symlink(outside.path, join(data, 'link-out'));

    const report = await reconcileStorage(t.app.context);
    assert.equal(report.partialFilesRemoved, 3);
    for (const path of stale) assert.equal(existsSync(path), false, `${path} removed`);
    for (const path of [...kept, foreign]) assert.ok(existsSync(path), `${path} kept`);
    assert.equal(
      (await reconcileStorage(t.app.context)).partialFilesRemoved,
      0,
      'nothing left the second time',
    );
  });

  it('lets a copy in progress finish while the sweep runs', async () => {
    const experiment = await t.experiment('live-copy', '8-ID-I');
    const source = await fileAged(join(outside.path, 'frame-live.h5'), 0, 'x'.repeat(10_000));
    let sweptDuringCopy = -1;
    const result = await copyVerified({
      source,
      destination: join(experiment.dataDirectory, 'frame-live.h5'),
      onExisting: 'skip-identical-else-refuse',
      hooks: {
        async afterWrite(tempPath) {
          assert.ok(existsSync(tempPath));
          sweptDuringCopy = (await sweepPartialFiles(t.app.context)).removed;
        },
      },
    });
    assert.equal(sweptDuringCopy, 0);
    assert.equal(result.outcome, 'copied');
    assert.ok(existsSync(join(experiment.dataDirectory, 'frame-live.h5')));
  });

  it('unblocks the deletion of an experiment that only holds a leftover temp file', async () => {
    const experiment = await t.experiment('delete-me', '8-ID-I');
    await fileAged(join(experiment.dataDirectory, '.f.h5.dm-partial-121212121212'), 90);
    await t.app.context.db
      .updateTable('experiments')
      .set({ storage_state: 'deleting' })
      .where('name', '=', 'delete-me')
      .execute();
    const report = await reconcileStorage(t.app.context);
    assert.equal(report.partialFilesRemoved, 1);
    assert.deepEqual(report.deleted, ['delete-me']);
    assert.equal(existsSync(experiment.storageDirectory), false);
  });

  it('skips the sweep when told to, and logs how many it removed when it runs', async () => {
    const experiment = await t.experiment('logged', '8-ID-I');
    const stale = await fileAged(join(experiment.dataDirectory, '.f.h5.dm-partial-343434343434'), 60);
    assert.equal(
      (await reconcileStorage(t.app.context, { sweepPartialFiles: false })).partialFilesRemoved,
      0,
    );
    assert.ok(existsSync(stale));

    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const report = await sweepPartialFiles({ ...t.app.context, logger });
    assert.equal(report.removed, 1);
    const logged = lines.map((line) => JSON.parse(line)).find((entry) => entry.removed !== undefined);
    assert.equal(logged?.removed, 1);
    assert.equal(logged?.maxAgeMinutes, 30);
    assert.deepEqual(logged?.sample, [stale]);
  });

  it('does not sweep while the server starts, so a large tree never delays serving', async () => {
    const experiment = await t.experiment('restarted', '8-ID-I');
    const stale = await fileAged(join(experiment.dataDirectory, '.f.h5.dm-partial-565656565656'), 120);
    await t.restart();
    assert.ok(existsSync(stale), 'left for the periodic reconciler');
    assert.equal((await reconcileStorage(t.app.context)).partialFilesRemoved, 1);
  });

  it('sweeps a quarter as often as the age, so a leftover lives at most 1.25 times it', () => {
    assert.equal(partialSweepIntervalMs(t.app.context.settings), (30 * minute) / 4);
    assert.equal(partialSweepIntervalMs({ partialFileMaxAgeMinutes: 60 }), 15 * minute);
  });
});
