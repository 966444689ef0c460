/**
 * The pool of a DAQ's takes, with takes a test holds open and lets go: each path is taken once, large files
 * are limited, a burst of small files goes out in batches, and storage-full puts files back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScannedFile, SettledFile } from '../finder/settle-tracker.ts';
import { type TakeOutcome, TakePool, type TakePoolOptions } from './take-pool.ts';

const MB = 1024 * 1024;
const settled = (path: string, size: number): SettledFile<ScannedFile> => ({
  file: { relativePath: path, size, mtimeMs: 1 },
  path,
  version: `${size}`,
});

/** A take the test ends by hand: `release(outcome)` resolves it. */
interface Held {
  paths: string[];
  release(outcome?: TakeOutcome): void;
}

function heldPool(options: Partial<TakePoolOptions<ScannedFile>> = {}) {
  const held: Held[] = [];
  const hold = (paths: string[]) =>
    new Promise<TakeOutcome[]>((resolve) => {
      held.push({ paths, release: (outcome = 'done') => resolve(paths.map(() => outcome)) });
    });
  const pool = new TakePool<ScannedFile>({
    limit: 2,
    largeBytes: 64 * MB,
    largeLimit: 1,
    retryMs: 20,
    take: async (file) => (await hold([file.path]))[0] ?? 'done',
    ...options,
  });
  return { pool, held, hold };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('take pool', () => {
  it('takes a path once, however often it is offered while queued or running', async () => {
    const { pool, held } = heldPool();
    for (let n = 0; n < 3; n++) for (const path of ['a', 'b', 'c']) pool.offer(settled(path, 10));
    assert.deepEqual(
      held.map((take) => take.paths),
      [['a'], ['b']],
      'two at once',
    );
    assert.equal(pool.size, 3);
    held[0]?.release();
    await tick();
    assert.deepEqual(
      held.map((take) => take.paths),
      [['a'], ['b'], ['c']],
    );
    assert.ok(pool.isRunning('c'));
    for (const take of held.slice(1)) take.release();
    await pool.close();
    assert.equal(pool.size, 0);
  });

  it('runs large files one at a time while small ones go past them', async () => {
    const { pool, held } = heldPool({ limit: 3 });
    pool.offer(settled('big-1', 100 * MB));
    pool.offer(settled('big-2', 100 * MB));
    pool.offer(settled('small', 10));
    assert.deepEqual(
      held.map((take) => take.paths),
      [['big-1'], ['small']],
    );
    held[0]?.release();
    await tick();
    assert.deepEqual(held.at(-1)?.paths, ['big-2']);
    for (const take of held.slice(1)) take.release();
    await pool.close();
  });

  it('sends a burst of small files out in batches, and large files on their own', async () => {
    const { pool, held, hold } = heldPool({
      takeBatch: (batch) => hold(batch.map((file) => file.path)),
      batchBytes: MB,
      maxBatch: 3,
      limit: 1,
    });
    pool.offer(settled('f1', 10));
    assert.deepEqual(held[0]?.paths, ['f1'], 'a lone file does not wait for company');
    for (const path of ['f2', 'f3', 'huge', 'f4', 'f5', 'f6']) {
      pool.offer(settled(path, path === 'huge' ? 2 * MB : 10));
    }
    held[0]?.release();
    await tick();
    assert.deepEqual(held[1]?.paths, ['f2', 'f3', 'f4'], 'up to 3 small files, in order');
    held[1]?.release();
    await tick();
    assert.deepEqual(held[2]?.paths, ['huge'], 'a file above the batch size alone, in its turn');
    held[2]?.release();
    await tick();
    assert.deepEqual(held[3]?.paths, ['f5', 'f6']);
    held[3]?.release();
    await pool.close();
  });

  it('puts the files of a storage-full batch back at the head of the queue and pauses', async () => {
    const { pool, held, hold } = heldPool({
      takeBatch: (batch) => hold(batch.map((file) => file.path)),
      batchBytes: MB,
      maxBatch: 2,
      limit: 1,
      // Long enough that a stalled event loop (a loaded machine) cannot end it before the checks below.
      retryMs: 1_000,
    });
    pool.offer(settled('a', 10));
    pool.offer(settled('b', 10));
    pool.offer(settled('c', 10));
    held[0]?.release('retry-later');
    await tick();
    assert.equal(held.length, 1, 'nothing starts during the pause');
    assert.equal(pool.size, 3, 'the file is still known, queued again');
    for (let waited = 0; held.length < 2 && waited < 30_000; waited += 50)
      await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(held[1]?.paths, ['a', 'b'], 'after the pause, the file put back goes first');
    held[1]?.release();
    await tick();
    assert.deepEqual(held[2]?.paths, ['c']);
    held[2]?.release();
    await pool.close();
    assert.equal(pool.size, 0);
  });
});
