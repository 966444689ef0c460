/**
 * The race between checking a transfer's source and copying it (docs/security.md): someone who may write
 * in a source root swaps a checked file, or one of its parent directories, for a symbolic link to a file
 * they may not read, and the server (root) would copy the link's target into an experiment they can read.
 * The race is hard to win on purpose, so the copy is handed the swapped paths directly, as it would see
 * them after losing it: it must refuse them and copy nothing, while files inside still copy.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { access, readdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TransferError } from '../src/transfer/errors.ts';
import { copyVerified, copyVerifiedBatch, largeFileBytes } from '../src/transfer/verified-copy.ts';
import { type TempDir, tempDir } from './support/temp-dir.ts';

const absent = (path: string) =>
  access(path).then(
    () => false,
    () => true,
  );

describe('copy of a source swapped for a symbolic link after its check', () => {
  let work: TempDir;
  let root: string;
  let secret: string;
  let storage: string;
  let copies = 0;

  before(async () => {
    work = await tempDir('dm-source-race-');
    const base = await realpath(work.path);
    root = join(base, 'detector');
    storage = join(base, 'storage');
    const outside = join(base, 'outside');
    for (const dir of [root, storage, outside, join(root, 'run1')]) mkdirSync(dir, { recursive: true });
    chmodSync(outside, 0o700);
    secret = join(outside, 'shadow');
    writeFileSync(secret, 'root:$6$secret-hash:19000:0:99999:7:::\n');
    writeFileSync(join(root, 'run1', 'frame-1.tif'), 'frame one');
    // A parent directory swapped for a link out of the root, and a file swapped for a link to the secret.
    symlinkSync(outside, join(root, 'run2'));
    symlinkSync(secret, join(root, 'run1', 'shadow'));
    // A link that stays inside the root is refused too: the last component is never followed.
    symlinkSync(join(root, 'run1', 'frame-1.tif'), join(root, 'run1', 'alias.tif'));
  });
  after(() => work.remove());

  const destination = (name: string) => join(storage, `copy-${++copies}`, name);
  const options = (source: string, to: string, extra: Record<string, unknown> = {}) => ({
    source,
    destination: to,
    sourceRoot: root,
    onExisting: 'skip-identical-else-refuse' as const,
    ...extra,
  });

  async function assertRefused(result: PromiseSettledResult<unknown>, to: string) {
    assert.equal(result.status, 'rejected');
    const error = (result as PromiseRejectedResult).reason as TransferError;
    assert.equal(error.code, 'path_outside_root', String(error));
    assert.match(error.message, /must stay inside/);
    assert.ok(await absent(to), `${to} must not exist`);
    const left = await readdir(join(to, '..')).catch(() => []);
    assert.deepEqual(left, [], 'no temp file is left either');
  }

  it('refuses small files reached through a linked parent or a linked name, and copies the rest', async () => {
    const sources = [
      join(root, 'run2', 'shadow'),
      join(root, 'run1', 'shadow'),
      join(root, 'run1', 'alias.tif'),
      join(root, 'run1', 'frame-1.tif'),
    ];
    const targets = sources.map((source) => destination(source.split('/').pop() ?? 'file'));
    const results = await copyVerifiedBatch(
      sources.map((source, index) => options(source, targets[index] ?? '')),
    );
    for (const index of [0, 1, 2])
      await assertRefused(results[index] as PromiseSettledResult<unknown>, targets[index] ?? '');
    const copied = results[3];
    assert.equal(copied?.status, 'fulfilled', String((copied as PromiseRejectedResult).reason));
    assert.equal(await readFile(targets[3] ?? '', 'utf8'), 'frame one');
  });

  it('refuses a large file (read in chunks, its MD5 in a worker) behind a linked parent', async () => {
    const big = randomBytes(largeFileBytes + 4096);
    const outsideBig = join(secret, '..', 'big.h5');
    await writeFile(outsideBig, big);
    const to = destination('big.h5');
    const [refused] = await copyVerifiedBatch([options(join(root, 'run2', 'big.h5'), to)]);
    await assertRefused(refused as PromiseSettledResult<unknown>, to);

    // The same bytes inside the root copy, with the checksums of what was read through the checked file.
    await writeFile(join(root, 'run1', 'big.h5'), big);
    const inside = destination('big.h5');
    const result = await copyVerified(options(join(root, 'run1', 'big.h5'), inside));
    assert.equal(result.outcome, 'copied');
    assert.equal(result.md5, createHash('md5').update(big).digest('hex'));
    assert.equal(result.sha256, createHash('sha256').update(big).digest('hex'));
  });

  it('refuses to compare with an existing destination through a linked parent', async () => {
    const to = destination('shadow');
    mkdirSync(join(to, '..'), { recursive: true });
    // Same size as the secret, so the copy would hash the source to see whether it is identical.
    writeFileSync(to, 'x'.repeat('root:$6$secret-hash:19000:0:99999:7:::\n'.length));
    const [result] = await copyVerifiedBatch([options(join(root, 'run2', 'shadow'), to)]);
    assert.equal(result?.status, 'rejected');
    assert.equal(((result as PromiseRejectedResult).reason as TransferError).code, 'path_outside_root');
  });

  it('refuses a FIFO without hanging on it', async () => {
    const fifo = join(root, 'run1', 'pipe');
    execFileSync('mkfifo', [fifo]);
    const to = destination('pipe');
    const [result] = await copyVerifiedBatch([options(fifo, to, { highWaterMark: 1024 })]);
    assert.equal(result?.status, 'rejected');
    assert.ok(await absent(to));
  });
});
