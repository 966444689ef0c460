import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { claimableStatuses } from '../claims/leases.ts';
import { movesOf, statusesBefore } from '../claims/transitions.ts';
import { daqTransitions } from './transitions.ts';

describe('DAQ status transitions', () => {
  it('lists every move a DAQ may make', () => {
    assert.deepEqual(movesOf(daqTransitions), [
      'pending → running',
      'pending → done',
      'pending → failed',
      'pending → aborted',
      'running → running',
      'running → done',
      'running → failed',
      'running → aborted',
    ]);
  });

  it('ends a DAQ only while it is pending or running', () => {
    assert.deepEqual(statusesBefore(daqTransitions, 'pending'), []);
    for (const ended of ['done', 'failed', 'aborted'] as const)
      assert.deepEqual(statusesBefore(daqTransitions, ended), ['pending', 'running'], ended);
  });

  it('is claimed from the statuses claimLeased takes', () => {
    assert.deepEqual(statusesBefore(daqTransitions, 'running'), [...claimableStatuses]);
  });
});
