/**
 * How uploads cut a directory's files into takes: runs of small files together, each large file alone, in
 * the order of the listing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchFileBytes, filesPerBatch, inBatches } from './batches.ts';

describe('ingest batches', () => {
  it('groups small files up to the batch size and sends each large file alone, in order', () => {
    const small = (name: string) => ({ name, size: 10 });
    const large = (name: string) => ({ name, size: batchFileBytes });
    const files = [
      ...Array.from({ length: filesPerBatch + 2 }, (_, n) => small(`s${n}`)),
      large('big-1'),
      small('after'),
      large('big-2'),
    ];
    const batches = [...inBatches(files, (file) => file.size)].map((batch) => batch.map((f) => f.name));
    assert.deepEqual(
      batches.map((batch) => batch.length),
      [filesPerBatch, 2, 1, 1, 1],
    );
    assert.deepEqual(batches.slice(1), [
      [`s${filesPerBatch}`, `s${filesPerBatch + 1}`],
      ['big-1'],
      ['after'],
      ['big-2'],
    ]);
    assert.deepEqual(
      batches.flat(),
      files.map((file) => file.name),
      'every file once, in order',
    );
  });

  it('yields nothing for nothing', () => {
    assert.deepEqual([...inBatches([], () => 0)], []);
  });
});
