import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { claimableStatuses } from '../claims/leases.ts';
import { movesOf, statusesBefore } from '../claims/transitions.ts';
import { uploadTransitions } from './transitions.ts';

describe('upload status transitions', () => {
  it('lists every move an upload may make', () => {
    assert.deepEqual(movesOf(uploadTransitions), [
      'pending → running',
      'pending → aborted',
      'running → running',
      'running → done',
      'running → failed',
      'running → aborted',
    ]);
  });

  it('guards each change by the statuses it may leave', () => {
    assert.deepEqual(statusesBefore(uploadTransitions, 'pending'), []);
    assert.deepEqual(statusesBefore(uploadTransitions, 'done'), ['running']);
    assert.deepEqual(statusesBefore(uploadTransitions, 'failed'), ['running']);
    assert.deepEqual(statusesBefore(uploadTransitions, 'aborted'), ['pending', 'running']);
  });

  it('is claimed from the statuses claimLeased takes', () => {
    assert.deepEqual(statusesBefore(uploadTransitions, 'running'), [...claimableStatuses]);
  });
});
