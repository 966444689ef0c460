import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatRate, parseWorkflowArgs, splitSkipPatterns } from '../src/commands/daq.ts';

describe('dm daq start options', () => {
  it('splits skip patterns on commas, across repeated flags, dropping empty ones', () => {
    assert.deepEqual(splitSkipPatterns(['*.tmp,.*', ' *.lock ', 'a,,']), ['*.tmp', '.*', '*.lock', 'a']);
  });

  it('keeps workflow arguments as strings, values with = included', () => {
    assert.deepEqual(parseWorkflowArgs(['mode=fast', 'frames=100', 'filter=a=b', 'empty=']), {
      mode: 'fast',
      frames: '100',
      filter: 'a=b',
      empty: '',
    });
  });

  it('refuses workflow arguments that are not key=value', () => {
    assert.throws(() => parseWorkflowArgs(['novalue']), /not key=value/);
    assert.throws(() => parseWorkflowArgs(['=x']), /not key=value/);
  });

  it('shows slow rates without rounding them to zero', () => {
    assert.deepEqual([0, 1 / 60, 2.5, 123.456].map(formatRate), ['0', '0.0167', '2.5', '123']);
  });
});
