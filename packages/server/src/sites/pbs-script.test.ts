import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RemoteSpec } from './adapter.ts';
import { batchScript, jobName, qsubArguments } from './pbs-script.ts';

const spec = (overrides: Partial<RemoteSpec> = {}): RemoteSpec => ({
  key: 'pdm-7-reconstruct-1',
  command: 'true',
  directory: '/eagle/pdm/run 7/',
  environment: {},
  ...overrides,
});

describe('qsub options', () => {
  it('should name the job within 15 characters, and carry the key in its variables', () => {
    assert.deepEqual(qsubArguments(spec(), {}), [
      'qsub',
      ...['-N', jobName('pdm-7-reconstruct-1')],
      ...['-v', 'PDM_KEY=pdm-7-reconstruct-1'],
      ...['-S', '/bin/bash'],
      ...['-o', '/eagle/pdm/run 7/.pdm/pdm-7-reconstruct-1.out'],
      ...['-e', '/eagle/pdm/run 7/.pdm/pdm-7-reconstruct-1.err'],
    ]);
    assert.equal(jobName('pdm-7-a-1'), 'pdm-7-a-1');
    assert.match(jobName('pdm-7-reconstruct-1'), /^pdm-7--[0-9a-f]{8}$/);
    assert.notEqual(jobName('pdm-7-reconstruct-1'), jobName('pdm-7-reconstruct-2'));
    assert.match(jobName('7-starts-with-a-digit'), /^pdm-[0-9a-f]{8}$/);
  });

  it("should take the stage's resources first and the site's defaults for the rest", () => {
    const argv = qsubArguments(
      spec({ resources: { nodes: 50, gpus: 4 }, attributes: { walltimeSeconds: 90061, queue: 'prod' } }),
      {
        resources: { nodes: 1, tasksPerNode: 4, exclusive: true },
        attributes: { queue: 'debug', account: 'APSDataProcessing' },
      },
    );
    assert.deepEqual(argv.slice(11), [
      ...['-l', 'select=50:mpiprocs=4:ngpus=4'],
      ...['-l', 'place=scatter:excl'],
      ...['-l', 'walltime=25:01:01'],
      ...['-q', 'prod'],
      ...['-A', 'APSDataProcessing'],
    ]);
    const reserved = qsubArguments(spec({ attributes: { queue: 'prod', reservation: 'R1234' } }), {});
    assert.deepEqual(reserved.slice(11), ['-q', 'R1234'], 'a reservation is a queue in PBS');
  });

  it('should refuse what PBS has not, or would misread', () => {
    assert.throws(() => qsubArguments(spec({ attributes: { qos: 'high' } }), {}), /PBS has no QOS/);
    assert.throws(() => qsubArguments(spec({ attributes: { queue: 'a -q b' } }), {}), /not a valid name/);
    assert.throws(() => qsubArguments(spec({ resources: { gpus: 0.5 } }), {}), /positive integer/);
  });
});

describe('the PBS batch script', () => {
  it('should change into the stage directory itself and record PBS_JOBID', () => {
    const script = batchScript(spec());
    const directory = Buffer.from('/eagle/pdm/run 7/').toString('base64');
    assert.ok(script.includes(`pdm_set pdm_directory '${directory}' && cd -- "$pdm_directory" || exit 125`));
    assert.ok(script.includes(`printf '%s\\n' "$PBS_JOBID" >.pdm/pdm-7-reconstruct-1.id`));
    assert.ok(!script.includes('#PBS'), 'no directive qsub would read');
  });
});
