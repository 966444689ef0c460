/**
 * squeue lines as Slurm 22.05 prints them for `--format=%i|%T|%r|%V|%S|%e|%N|%k` with SLURM_TIME_FORMAT=%s
 * (the states a one-node test cluster cannot produce: node failures, preemption, out of memory, holds).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSqueue, statusOf } from './slurm-states.ts';

const one = (line: string) => {
  const [parsed] = parseSqueue(`${line}\n`);
  assert.ok(parsed, `no line in ${line}`);
  return statusOf(parsed);
};

describe('squeue states', () => {
  it('should report a waiting job as queued with its reason, and no estimated times', () => {
    assert.deepEqual(one('12|PENDING|Priority|1796680415|1796690000|1796699999||photon-dm:pdm-1-a-1'), {
      id: '12',
      state: 'queued',
      reason: 'Priority',
      queuedAt: '2026-12-07T21:53:35.000Z',
    });
  });

  it('should report a held job as held', () => {
    assert.equal(one('13|PENDING|JobHeldUser|1796680415|0|0||(null)').state, 'held');
    assert.equal(one('14|SUSPENDED|None|1796680415|1796680416|0|n1|(null)').state, 'held');
  });

  it('should report a running job with its start and nodes, not its expected end', () => {
    assert.deepEqual(one('15|RUNNING|None|1796680415|1796680416|1796684016|nid[001-004]|(null)'), {
      id: '15',
      state: 'running',
      queuedAt: '2026-12-07T21:53:35.000Z',
      startedAt: '2026-12-07T21:53:36.000Z',
      nodes: 'nid[001-004]',
    });
  });

  it("should give the ends Slurm caused a reason, and the command's own failure none", () => {
    const reasons = {
      'COMPLETED|None': ['done', undefined],
      'FAILED|NonZeroExitCode': ['failed', undefined],
      'FAILED|JobLaunchFailure': ['failed', 'JobLaunchFailure'],
      'CANCELLED|None': ['canceled', undefined],
      'TIMEOUT|TimeLimit': ['failed', 'TimeLimit'],
      'NODE_FAIL|NodeDown': ['failed', 'NodeFail'],
      'PREEMPTED|None': ['failed', 'Preempted'],
      'OUT_OF_MEMORY|OutOfMemory': ['failed', 'OutOfMemory'],
      'BOOT_FAIL|None': ['failed', 'BootFail'],
      'DEADLINE|None': ['failed', 'Deadline'],
      'SOMETHING_NEW|None': ['unknown', 'Slurm state SOMETHING_NEW'],
    };
    for (const [stateAndReason, [state, reason]] of Object.entries(reasons)) {
      const status = one(`16|${stateAndReason}|1796680415|1796680416|1796680476|n1|(null)`);
      assert.deepEqual([status.state, status.reason], [state, reason], stateAndReason);
    }
    assert.equal(
      one('16|TIMEOUT|TimeLimit|1796680415|1796680416|1796680476|n1|(null)').endedAt,
      '2026-12-07T21:54:36.000Z',
    );
  });

  it('should keep a comment holding the separator whole, and skip blank lines', () => {
    const lines = parseSqueue('\n17|RUNNING|None|1|2|3|n1|a|b|c\n\n');
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.comment, 'a|b|c');
  });
});
