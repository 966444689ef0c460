/**
 * The age-based sweep of temp files that interrupted copies leave in storage: real files, real mtimes set
 * with utimes (or the app's clock moved on), the periodic task every app runs.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { pino } from 'pino';
import { sweepPartialFiles } from '../src/retention/partial-sweep.ts';
import { copyVerified } from '../src/transfer/verified-copy.ts';
import { fileAged, metricValue } from './support/aged-files.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends, type TempDir, tempDir } from './support/test-database.ts';

const minute = 60_000;
/** Long enough that the app's own timer never sweeps during these tests: they run each pass themselves. */
const notByItself = { partialSweep: { firstPassDelayMs: 24 * 60 * minute } };

describeBackends('sweep of partial files', (backend) => {
  let t: TestApp;
  let outside: TempDir;
  before(async () => {
    t = await createTestApp(backend, { DM_PARTIAL_FILE_MAX_AGE_MINUTES: '30' }, notByItself);
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
      // Files of the same age whose names are not temp names.
      await fileAged(join(data, 'frame-0005.h5'), 24 * 60),
      await fileAged(join(data, '.hidden-but-not-partial'), 24 * 60),
      await fileAged(join(data, 'frame-0006.h5.dm-partial-dddddddddddd'), 24 * 60),
      await fileAged(join(experiment.analysisDirectory, '.result.dm-partial-dddddddddddd'), 24 * 60),
      // Not an experiment's tree: the sweep never walks the storage root itself.
      await fileAged(join(t.storageRoot, 'lost+found', '.x.dm-partial-eeeeeeeeeeee'), 24 * 60),
    ];
    // Symlinks are never followed: a directory linked from the tree, and a link named like a temp file.
    const foreign = await fileAged(join(outside.path, '.other.dm-partial-ffffffffffff'), 24 * 60);
    await symlink(outside.path, join(data, 'link-out'));
    const linkedFile = await fileAged(join(outside.path, 'precious.h5'), 24 * 60);
    const namedLikeTemp = join(data, '.link.dm-partial-121212121212');
    await symlink(linkedFile, namedLikeTemp);
    await utimes(namedLikeTemp, new Date(0), new Date(0));

    const before = await metricValue(t, 'dm_partial_sweep_removed_files_total{kind="partial"}');
    const report = await t.app.partialSweep.runNow();
    assert.equal(report.partialFiles, 3);
    assert.equal(report.stopped, false);
    for (const path of stale) assert.equal(existsSync(path), false, `${path} removed`);
    for (const path of [...kept, foreign, linkedFile, namedLikeTemp])
      assert.ok(existsSync(path), `${path} kept`);
    assert.equal(await metricValue(t, 'dm_partial_sweep_removed_files_total{kind="partial"}'), before + 3);
    assert.equal((await t.app.partialSweep.runNow()).partialFiles, 0, 'nothing left the second time');
  });

  it("judges age by the app's clock", async () => {
    const experiment = await t.experiment('clock', '8-ID-I');
    const recent = await fileAged(join(experiment.dataDirectory, '.f.h5.dm-partial-343434343434'), 5);
    assert.equal((await sweepPartialFiles(t.app.context)).partialFiles, 0);
    assert.ok(existsSync(recent));
    const anHourLater = () => new Date(Date.now() + 60 * minute).toISOString();
    // (The first story's fresh temp file is an hour older too: it goes as well.)
    assert.ok((await sweepPartialFiles({ ...t.app.context, now: anHourLater })).partialFiles >= 1);
    assert.equal(existsSync(recent), false);
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
          sweptDuringCopy = (await sweepPartialFiles(t.app.context)).partialFiles;
        },
      },
    });
    assert.equal(sweptDuringCopy, 0);
    assert.equal(result.outcome, 'copied');
    assert.ok(existsSync(join(experiment.dataDirectory, 'frame-live.h5')));
  });

  it('removes each file once when two api processes sweep at the same time', async () => {
    const experiment = await t.experiment('two-hosts', '8-ID-I');
    const stale: string[] = [];
    for (let i = 0; i < 40; i++) {
      const directory = join(experiment.dataDirectory, `scan-${i % 4}`);
      stale.push(await fileAged(join(directory, `.f${i}.h5.dm-partial-${String(i).padStart(12, '0')}`), 90));
    }
    const reports = await Promise.all([sweepPartialFiles(t.app.context), sweepPartialFiles(t.app.context)]);
    assert.deepEqual(
      reports.map((report) => report.failed),
      [[], []],
    );
    assert.equal(reports[0].partialFiles + reports[1].partialFiles, 40, 'counted by the one that removed it');
    for (const path of stale) assert.equal(existsSync(path), false);
  });

  it('warns with the paths it removed, experiment by experiment', async () => {
    const experiment = await t.experiment('logged', '8-ID-I');
    const stale = await fileAged(join(experiment.dataDirectory, '.f.h5.dm-partial-787878787878'), 60);
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const report = await sweepPartialFiles({ ...t.app.context, logger });
    assert.equal(report.partialFiles, 1);
    const logged = lines.map((line) => JSON.parse(line)).filter((entry) => entry.removed !== undefined);
    assert.equal(logged.length, 1);
    assert.equal(logged[0].level, 40, 'a warning');
    assert.equal(logged[0].experiment, 'logged');
    assert.equal(logged[0].maxAgeMinutes, 30);
    assert.deepEqual(logged[0].removed, [stale]);
  });

  it('stops between experiments when told to (the app closing)', async () => {
    const experiment = await t.experiment('not-yet', '8-ID-I');
    const stale = await fileAged(join(experiment.dataDirectory, '.f.h5.dm-partial-909090909090'), 90);
    const report = await sweepPartialFiles(t.app.context, { signal: AbortSignal.abort() });
    assert.equal(report.stopped, true);
    assert.equal(report.experiments, 0);
    assert.ok(existsSync(stale));
    assert.equal((await sweepPartialFiles(t.app.context)).partialFiles, 1);
  });

  it('does not sweep while the server starts, so a large tree never delays serving', async () => {
    const experiment = await t.experiment('restarted', '8-ID-I');
    const stale = await fileAged(join(experiment.dataDirectory, '.f.h5.dm-partial-a1a1a1a1a1a1'), 120);
    await t.restart();
    assert.ok(existsSync(stale), 'left for the periodic sweep');
    assert.equal((await t.app.partialSweep.runNow()).partialFiles, 1);
  });
});

describeBackends('periodic sweep of partial files', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(backend, {}, { partialSweep: { firstPassDelayMs: 100 } });
    await t.station('8-ID-I');
  });
  after(() => t.close());

  it('runs by itself soon after start, and counts what it removed', async () => {
    const experiment = await t.experiment('left-alone', '8-ID-I');
    const stale = join(experiment.dataDirectory, '.f.h5.dm-partial-b2b2b2b2b2b2');
    // Left by a crash while the server was down; the restarted app sweeps a moment after its start.
    await t.restart(() => fileAged(stale, 24 * 60).then(() => undefined));
    // The counters move when the whole pass ends, a moment after the file goes: wait for them.
    const removed = () => metricValue(t, 'dm_partial_sweep_removed_files_total{kind="partial"}');
    for (let i = 0; i < 600 && (await removed()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(existsSync(stale), false, 'removed without anybody asking');
    assert.equal(await removed(), 1);
    assert.equal(await metricValue(t, 'dm_partial_sweep_removed_files_total{kind="staging"}'), 0);
  });
});
