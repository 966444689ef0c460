import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mayMove, movesOf, statusesBefore } from '../claims/transitions.ts';
import { jobTransitions } from './transitions.ts';

describe('job status transitions', () => {
  it('lists every move a job may make', () => {
    assert.deepEqual(movesOf(jobTransitions), [
      'pending → running',
      'pending → aborted',
      'running → running',
      'running → done',
      'running → failed',
      'running → aborted',
    ]);
  });

  it('stops only pending and running jobs', () => {
    assert.deepEqual(statusesBefore(jobTransitions, 'aborted'), ['pending', 'running']);
    for (const ended of ['done', 'failed', 'aborted'] as const)
      assert.equal(mayMove(jobTransitions, ended, 'aborted'), false, ended);
  });

  it('ends only running jobs as done or failed, and never goes back to pending', () => {
    assert.deepEqual(statusesBefore(jobTransitions, 'done'), ['running']);
    assert.deepEqual(statusesBefore(jobTransitions, 'failed'), ['running']);
    assert.deepEqual(statusesBefore(jobTransitions, 'pending'), []);
  });
});
