/**
 * The storage fills up while a DAQ runs: it says so, keeps running, and takes the file once space returns.
 * A real tmpfs of 512 KiB is the storage (needs root to mount; skipped with the reason otherwise).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';
import { mountTinyTmpfs, resizeTmpfs, unmountTmpfs } from './support/tiny-tmpfs.ts';
import { readUntil } from './support/wait.ts';

describeBackends('DAQ and a full disk', (backend) => {
  let t: TestApp;
  let root: string;
  let storage: string;
  let skipReason: string | undefined;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'dm-full-'));
    storage = join(root, 'storage');
    mkdirSync(storage);
    skipReason = mountTinyTmpfs(storage, '512k');
    if (skipReason) return;
    t = await createTestApp(backend, { DM_STORAGE_ROOT: storage });
    await t.station('8-ID-I');
    await t.experiment('full-1', '8-ID-I');
  });
  after(async () => {
    if (!skipReason) {
      await t.close();
      unmountTmpfs(storage);
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('waits with a clear error while storage is full and resumes when space returns', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const detector = join(root, 'detector');
    mkdirSync(detector);
    writeFileSync(join(detector, 'big.raw'), Buffer.alloc(800 * 1024, 7));
    writeFileSync(join(root, 'secret.txt'), 'outside the detector directory');
    symlinkSync(join(root, 'secret.txt'), join(detector, 'link-to-secret.txt'));
    const { id } = (
      await t.call('POST', '/api/v1/daqs', {
        body: { experiment: 'full-1', dataDirectory: detector, settleSeconds: 0 },
      })
    ).body;

    const read = async () => (await t.call('GET', `/api/v1/daqs/${id}`)).body;
    // Bounded by a minute, not 5 s: the DAQ starts, scans and tries its take when a loaded machine lets it.
    let daq = await readUntil(read, (daq) => Boolean(daq.lastError), { timeout: 60_000, interval: 50 });
    assert.match(daq.lastError ?? '', /storage is full/);
    assert.equal(daq.status, 'running', 'a full disk does not end the DAQ');
    assert.equal(daq.nProcessedFiles, 0);

    resizeTmpfs(storage, '4m');
    daq = await readUntil(read, (daq) => daq.nProcessedFiles >= 1, { timeout: 60_000, interval: 50 });
    assert.equal(daq.nProcessedFiles, 1, 'the file is taken once space returns');
    const files = (await t.call('GET', '/api/v1/experiments/full-1/files')).body.items;
    assert.deepEqual(
      files.map((f: { experimentFilePath: string }) => f.experimentFilePath),
      ['big.raw'],
      'a symbolic link out of the directory is never followed',
    );
  });
});
