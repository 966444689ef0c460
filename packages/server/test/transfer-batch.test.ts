/**
 * Verified copies of many small files at once (a detector's burst of frames): each file still gets exactly
 * the guarantees of a copy of its own (intact or not at all, its own error), while the batch shares its
 * fsyncs. Real files in temp dirs.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hasHdf5Signature } from '../src/catalog/hdf5-metadata.ts';
import { copyVerifiedBatch } from '../src/transfer/verified-copy.ts';
import { type TempDir, tempDir } from './support/temp-dir.ts';

let work: TempDir;
before(async () => {
  work = await tempDir('dm-transfer-batch-');
});
after(() => work.remove());

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

/** Every file under `root`, relative, sorted. */
async function tree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
    .sort();
}

describe('copying a batch of small files', () => {
  it('copies every file intact, each with its checksums, and leaves no temp file', async () => {
    const detector = join(work.path, 'burst', 'detector');
    const storage = join(work.path, 'burst', 'storage');
    await mkdir(detector, { recursive: true });
    const frames = Array.from({ length: 40 }, (_, n) => ({
      name: `scan_${n % 3}/frame_${String(n).padStart(4, '0')}.raw`,
      data: randomBytes(n === 0 ? 0 : 1000 + n * 997),
    }));
    for (const { name, data } of frames) {
      await mkdir(join(detector, name, '..'), { recursive: true });
      await writeFile(join(detector, name), data);
    }
    const results = await copyVerifiedBatch(
      frames.map(({ name }) => ({
        source: join(detector, name),
        destination: join(storage, name),
        onExisting: 'skip-identical-else-refuse',
      })),
    );
    assert.equal(results.length, frames.length);
    for (const [index, { name, data }] of frames.entries()) {
      const result = results[index];
      assert.equal(result?.status, 'fulfilled', name);
      if (result?.status !== 'fulfilled') continue;
      assert.equal(result.value.outcome, 'copied');
      assert.equal(result.value.size, data.length);
      assert.equal(result.value.sha256, sha256(data));
      assert.equal(result.value.md5, md5(data));
      assert.deepEqual(await readFile(join(storage, name)), data);
    }
    assert.deepEqual(await tree(storage), frames.map(({ name }) => name).sort());
  });

  it('gives each file its own outcome: one missing, one conflicting, one identical, the others copied', async () => {
    const detector = join(work.path, 'mixed', 'detector');
    const storage = join(work.path, 'mixed', 'storage');
    await mkdir(detector, { recursive: true });
    await mkdir(storage, { recursive: true });
    const same = randomBytes(5000);
    await writeFile(join(detector, 'same.raw'), same);
    await writeFile(join(storage, 'same.raw'), same);
    await writeFile(join(detector, 'clash.raw'), randomBytes(5000));
    await writeFile(join(storage, 'clash.raw'), randomBytes(5000));
    const fresh = [randomBytes(3000), randomBytes(7000)];
    await writeFile(join(detector, 'a.raw'), fresh[0] as Buffer);
    await writeFile(join(detector, 'b.raw'), fresh[1] as Buffer);
    const names = ['a.raw', 'gone.raw', 'clash.raw', 'same.raw', 'b.raw'];
    const results = await copyVerifiedBatch(
      names.map((name) => ({
        source: join(detector, name),
        destination: join(storage, name),
        onExisting: 'skip-identical-else-refuse',
      })),
    );
    const [a, gone, clash, identical, b] = results;
    assert.equal(a?.status === 'fulfilled' && a.value.outcome, 'copied');
    assert.equal(b?.status === 'fulfilled' && b.value.outcome, 'copied');
    assert.equal(gone?.status === 'rejected' && (gone.reason as { code?: string }).code, 'source_missing');
    assert.equal(
      clash?.status === 'rejected' && (clash.reason as { code?: string }).code,
      'destination_conflict',
    );
    assert.equal(identical?.status === 'fulfilled' && identical.value.outcome, 'identical');
    assert.deepEqual(await readFile(join(storage, 'a.raw')), fresh[0]);
    assert.deepEqual(await readFile(join(storage, 'b.raw')), fresh[1]);
    assert.deepEqual(await tree(storage), ['a.raw', 'b.raw', 'clash.raw', 'same.raw']);
  });

  it('shows the content of each small file to the caller once verified, not of larger ones', async () => {
    const detector = join(work.path, 'inspect', 'detector');
    const storage = join(work.path, 'inspect', 'storage');
    await mkdir(detector, { recursive: true });
    const hdf5Like = Buffer.concat([
      Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]),
      randomBytes(2000),
    ]);
    await writeFile(join(detector, 'master.h5'), hdf5Like);
    await writeFile(join(detector, 'notes.txt'), 'not HDF5');
    await writeFile(join(detector, 'big.raw'), randomBytes(300_000));
    const seen = new Map<string, boolean>();
    const results = await copyVerifiedBatch(
      ['master.h5', 'notes.txt', 'big.raw'].map((name) => ({
        source: join(detector, name),
        destination: join(storage, name),
        onExisting: 'skip-identical-else-refuse',
        // Files of 256 KiB and more are copied on their own, through streams.
        highWaterMark: 256 * 1024,
        inspectContent: (content: Buffer) => seen.set(name, hasHdf5Signature(content)),
      })),
    );
    assert.ok(results.every((result) => result.status === 'fulfilled'));
    assert.deepEqual(Object.fromEntries(seen), { 'master.h5': true, 'notes.txt': false });
  });
});
