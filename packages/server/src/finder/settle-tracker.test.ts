/**
 * The rules the server's DAQ and the DAQ agent share for which files are ready, with a clock in hand.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SettleTracker } from './settle-tracker.ts';
import { compileSkipPatterns } from './skip-patterns.ts';

const file = (relativePath: string, size: number, mtimeMs = 1_700_000_000_000) => ({
  relativePath,
  size,
  mtimeMs,
});

describe('settle tracker', () => {
  it('offers a file once it has not changed for the settle time, under the destination directory', () => {
    let now = 0;
    const tracker = new SettleTracker(
      { settleMs: 1000, skip: compileSkipPatterns(['*.tmp']), destDirectory: 'run-1' },
      () => now,
    );
    assert.deepEqual(tracker.settled([file('a.h5', 10)]), [], 'first sight starts the clock');
    now = 600;
    assert.deepEqual(tracker.settled([file('a.h5', 20)]), [], 'still growing: the clock starts again');
    now = 1500;
    assert.deepEqual(tracker.settled([file('a.h5', 20)]), [], 'only 900 ms unchanged');
    now = 1700;
    const ready = tracker.settled([file('a.h5', 20), file('b.tmp', 5)]);
    assert.deepEqual(
      ready.map((r) => r.path),
      ['run-1/a.h5'],
      'settled, and a skipped pattern never offered',
    );
    tracker.markTaken('run-1/a.h5', 20, 1_700_000_000_000);
    now = 5000;
    assert.deepEqual(tracker.settled([file('a.h5', 20)]), [], 'taken: not offered again');
    tracker.settled([file('a.h5', 30, 1_700_000_100_000)]);
    now = 7000;
    assert.deepEqual(
      tracker.settled([file('a.h5', 30, 1_700_000_100_000)]).map((r) => r.path),
      ['run-1/a.h5'],
      'a new version is offered once it settles',
    );
  });

  it('leaves a failed version alone, and files older than the DAQ with newOnly', () => {
    let now = 0;
    const tracker = new SettleTracker(
      { settleMs: 0, skip: () => false, newerThanMs: 1_700_000_000_000, destDirectory: '' },
      () => now,
    );
    const [ready] = tracker.settled([file('old.h5', 1, 1_600_000_000_000), file('new.h5', 1)]);
    assert.equal(ready?.path, 'new.h5');
    assert.ok(ready);
    tracker.markFailed('new.h5', ready.version);
    now = 100;
    assert.deepEqual(tracker.settled([file('new.h5', 1)]), []);
    assert.equal(tracker.settled([file('new.h5', 2)]).length, 1, 'retried once it changes');
  });
});
