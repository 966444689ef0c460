import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { duration, formatDuration, parseDuration, positiveDuration } from '../src/duration.ts';

describe('durations on the command line', () => {
  it('reads seconds, minutes, hours, days and weeks, alone or combined', () => {
    assert.deepEqual(
      ['30s', '5m', '12h', '2d', '1w', '1h30m', '0s', ' 2D '].map(parseDuration),
      [30, 300, 43_200, 172_800, 604_800, 5_400, 0, 172_800],
    );
  });

  it('takes fractions of a second to the millisecond, for detectors that settle fast', () => {
    assert.deepEqual(
      ['0.5s', '0.25s', '1m2.5s', '0.001s', '0.1s', '1.0s'].map(parseDuration),
      [0.5, 0.25, 62.5, 0.001, 0.1, 1],
    );
  });

  it('refuses a number without a unit, unknown units, signs, and fractions other than of seconds', () => {
    for (const text of ['', '5', 's', '2x', '-5s', '1.5h', '0.5m', '5 s', '1h 30m', '5sec', 'h1'])
      assert.equal(parseDuration(text), undefined, text);
    for (const text of ['.5s', '0.5', '0.0001s', '1.s', '0,5s', 'NaNs', 'Infinitys'])
      assert.equal(parseDuration(text), undefined, text);
  });

  it('turns a bad option value into a usage error that names the expected form', () => {
    assert.throws(() => duration('2x'), { code: 'commander.invalidArgument', message: /like 30s, 5m/ });
    assert.equal(duration('0s'), 0);
    assert.throws(() => positiveDuration('0s'), { code: 'commander.invalidArgument' });
    assert.equal(positiveDuration('2d'), 172_800);
  });

  it('writes durations back in a form it reads', () => {
    assert.deepEqual([0, 1, 90, 5_400, 172_800, 1_209_600, 90_061].map(formatDuration), [
      '0s',
      '1s',
      '1m30s',
      '1h30m',
      '2d',
      '14d',
      '1d1h1m1s',
    ]);
    assert.deepEqual([0.5, 62.25, 0.001, 3_600.5].map(formatDuration), [
      '0.5s',
      '1m2.25s',
      '0.001s',
      '1h0.5s',
    ]);
    for (const seconds of [0, 59, 3_601, 987_654, 0.5, 0.001, 61.125])
      assert.equal(parseDuration(formatDuration(seconds)), seconds);
  });
});
