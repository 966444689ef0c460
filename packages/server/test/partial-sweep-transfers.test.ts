/**
 * The sweep of leftovers beside transfers that are alive: a DAQ taking files while the sweep runs loses
 * none, a running agent DAQ keeps its staged bytes however old, and a DAQ that ended loses its staging files.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { setTimeout as pause } from 'node:timers/promises';
import { sweepPartialFiles } from '../src/retention/partial-sweep.ts';
import { isPartialName } from '../src/transfer/verified-copy.ts';
import { ageFile, fileAged, metricValue } from './support/aged-files.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends, type TempDir, tempDir } from './support/test-database.ts';
import { readUntil } from './support/wait.ts';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const mtime = '2026-11-21T10:00:00.000Z';

describeBackends('sweep of partial files beside live transfers', (backend) => {
  let t: TestApp;
  let detector: TempDir;
  before(async () => {
    t = await createTestApp(backend, {}, { partialSweep: { firstPassDelayMs: 24 * 3_600_000 } });
    detector = await tempDir('dm-sweep-detector-');
    await t.station('8-ID-I');
  });
  after(async () => {
    await t.close();
    await detector.remove();
  });

  it('never disturbs a DAQ taking files in the same experiment', async () => {
    const experiment = await t.experiment('busy', '8-ID-I');
    const started = await t.call('POST', '/api/v1/daqs', {
      body: { experiment: 'busy', dataDirectory: detector.path, settleSeconds: 0.2 },
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const daqUrl = `/api/v1/daqs/${started.body.id}`;
    const expected = new Map<string, string>();
    const detectorWrites = async (i: number) => {
      const content = Buffer.alloc(256 * 1024, `frame ${i};`);
      const name = `scan-${i % 3}/frame_${String(i).padStart(4, '0')}.h5`;
      await mkdir(join(detector.path, `scan-${i % 3}`), { recursive: true });
      // Written aside, then renamed: each file appears complete, as a detector's do.
      await writeFile(join(detector.path, `.tmp-${i}`), content);
      await rename(join(detector.path, `.tmp-${i}`), join(detector.path, name));
      expected.set(name, sha256(content));
    };
    const waitForTaken = (count: number) =>
      readUntil(
        async () => (await t.call('GET', daqUrl)).body,
        (daq) => daq.nProcessedFiles >= count,
        { timeout: 60_000, interval: 50 },
      );
    await detectorWrites(0);
    await waitForTaken(1);
    // Left by an earlier crash; the DAQ's own start-time cleanup has run already, so only the sweep sees it.
    const leftover = await fileAged(join(experiment.dataDirectory, '.old.h5.dm-partial-0a0a0a0a0a0a'), 120);
    let sweeping = true;
    let removed = 0;
    const sweeps = (async () => {
      while (sweeping) removed += (await sweepPartialFiles(t.app.context)).partialFiles;
    })();
    for (let i = 1; i < 24; i++) {
      await detectorWrites(i);
      await pause(20); // the detector's pace
    }
    const daq = await waitForTaken(expected.size);
    sweeping = false;
    await sweeps;
    assert.equal(daq.nProcessedFiles, expected.size, JSON.stringify(daq));
    assert.equal(daq.nProcessingErrors, 0, JSON.stringify(daq));
    assert.equal(removed, 1, 'only the leftover of an earlier crash');
    assert.equal(existsSync(leftover), false);

    const files = (await t.call('GET', '/api/v1/experiments/busy/files?limit=1000')).body.items;
    assert.equal(files.length, expected.size, 'no file twice');
    assert.deepEqual(
      new Map(
        files.map((f: { experimentFilePath: string; sha256Sum: string }) => [
          f.experimentFilePath,
          f.sha256Sum,
        ]),
      ),
      expected,
      'every file in the catalog once, with its checksum',
    );
    const left = readdirSync(experiment.dataDirectory, { recursive: true, encoding: 'utf8' });
    assert.deepEqual(
      left.filter((path) => isPartialName(path.split('/').at(-1) ?? '')),
      [],
      'no temp file remains',
    );
    assert.equal((await t.call('POST', `${daqUrl}/stop`)).status, 200);
  });

  it("keeps a running agent DAQ's staged bytes however old, and removes those of a DAQ that ended", async () => {
    const experiment = await t.experiment('staged', '8-ID-I');
    const staging = join(experiment.systemDirectory, 'daq-staging');
    const startAgentDaq = async (agent: string) => {
      const created = await t.call('POST', '/api/v1/daqs', {
        body: { experiment: 'staged', dataDirectory: '/detector/on-bl8', agent },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const owner = `${agent}:4242:cafe`;
      const claimed = await t.call('POST', '/api/v1/daqs/claim', { body: { agent, owner } });
      assert.equal(claimed.body.daq.id, created.body.id);
      return { id: created.body.id as number, owner };
    };
    const sendPart = async (daq: { id: number; owner: string }, relativePath: string, part: string) => {
      const version = { owner: daq.owner, relativePath, size: 100, mtime };
      const offer = await t.call('POST', `/api/v1/daqs/${daq.id}/files/offer`, { body: version });
      assert.equal(offer.body.action, 'send', JSON.stringify(offer.body));
      const query = new URLSearchParams({ ...version, size: '100', offset: String(offer.body.held) });
      const sent = await t.app.http.inject({
        method: 'PUT',
        url: `/api/v1/daqs/${daq.id}/files/content?${query}`,
        headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/octet-stream' },
        payload: Buffer.from(part),
      });
      assert.equal(sent.statusCode, 200, sent.body);
      return version;
    };

    // An agent that stalled on a slow link a day ago: its DAQ still runs, it resumes from what is held.
    const live = await startAgentDaq('bl8-daq');
    const liveVersion = await sendPart(live, 'slow.h5', 'x'.repeat(40));
    const [liveFile] = readdirSync(join(staging, String(live.id)));
    await ageFile(join(staging, String(live.id), liveFile as string), 24 * 60);

    // A DAQ that ended in a crash before its staging was removed, and a request that wrote after the end.
    const ended = await startAgentDaq('bl9-daq');
    await sendPart(ended, 'lost.h5', 'y'.repeat(30));
    await t.app.context.db
      .updateTable('daqs')
      .set({ status: 'aborted' })
      .where('id', '=', ended.id)
      .execute();
    const endedDirectory = join(staging, String(ended.id));
    writeFileSync(join(endedDirectory, '999999'), 'written after the end');
    writeFileSync(join(endedDirectory, 'notes.txt'), 'not a staging file: never touched');
    await symlink(join(experiment.dataDirectory, 'precious.h5'), join(endedDirectory, '888888'));
    writeFileSync(join(experiment.dataDirectory, 'precious.h5'), 'a linked file is not a staging file');
    // A directory no DAQ can own (beyond the id column's range): left alone, and no error.
    const strange = await fileAged(join(staging, '99999999999', '1'), 24 * 60);

    const report = await t.app.partialSweep.runNow();
    assert.equal(report.stagingFiles, 2);
    assert.deepEqual(report.failed, []);
    assert.ok(existsSync(strange));
    assert.deepEqual(readdirSync(endedDirectory).sort(), ['888888', 'notes.txt']);
    assert.ok(existsSync(join(experiment.dataDirectory, 'precious.h5')));
    const rowsOf = async (daqId: number) =>
      (await t.app.context.db.selectFrom('daq_staging').selectAll().where('daq_id', '=', daqId).execute())
        .length;
    assert.equal(await rowsOf(ended.id), 0, 'the rows of the ended DAQ go with its files');
    assert.equal(await rowsOf(live.id), 1);
    assert.equal(await metricValue(t, 'dm_partial_sweep_removed_files_total{kind="staging"}'), 2);

    assert.deepEqual(readdirSync(join(staging, String(live.id))), [liveFile]);
    const resumed = await t.call('POST', `/api/v1/daqs/${live.id}/files/offer`, { body: liveVersion });
    assert.deepEqual(resumed.body, { action: 'send', held: 40 }, 'the running agent resumes where it was');
  });
});
