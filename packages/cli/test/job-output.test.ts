import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Job, JobStage } from '@photon-dm/client';
import { workflowFormat } from '../src/commands/workflow.ts';
import { UsageError } from '../src/context.ts';
import { parseJobArguments, pickOne } from '../src/job-arguments.ts';
import { formatRunTime, jobTransitions, renderJob } from '../src/job-render.ts';

const stage = (fields: Partial<JobStage>): JobStage => ({
  status: 'done',
  startTime: '2026-11-21T10:00:00.000Z',
  endTime: '2026-11-21T10:00:01.500Z',
  errorMessage: null,
  childProcesses: [],
  ...fields,
});

const job = (fields: Partial<Job>): Job =>
  ({
    id: 7,
    owner: 's25idcuser',
    workflowName: 'example-01',
    workflowRevision: 2,
    status: 'running',
    stage: null,
    submissionTime: '2026-11-21T10:00:00.000Z',
    startTime: null,
    endTime: null,
    runTime: null,
    errorMessage: null,
    experimentName: 'e1',
    filePath: null,
    arguments: {},
    variables: {},
    submittedBy: 'admin',
    resubmittedFrom: null,
    fromStage: null,
    stopRequested: false,
    stages: {},
    ...fields,
  }) as Job;

describe('job arguments on the command line', () => {
  it('should take APS key:value and key=value, keeping separators inside values', () => {
    assert.deepEqual(parseJobArguments(['mode:fast', 'frames=100', 'when:12:00', 'q=a=b', 'empty=']), {
      arguments: { mode: 'fast', frames: '100', when: '12:00', q: 'a=b', empty: '' },
    });
  });

  it("should treat experimentName as the job's own field, and keep an APS filePath as an argument", () => {
    assert.deepEqual(parseJobArguments(['filePath:/tmp/a.h5', 'experimentName:e1']), {
      arguments: { filePath: '/tmp/a.h5' },
      experimentName: 'e1',
    });
    assert.equal(pickOne('--experiment', undefined, 'e1'), 'e1');
    assert.equal(pickOne('--experiment', 'e1', 'e1'), 'e1');
    assert.throws(() => pickOne('--experiment', 'e1', 'e2'), UsageError);
  });

  it('should refuse words that are not arguments, and a key given twice', () => {
    for (const word of ['fast', '=x', '1a:b', 'a b:c']) {
      assert.throws(() => parseJobArguments([word]), UsageError, word);
    }
    assert.throws(() => parseJobArguments(['a:1', 'a=2']), /given twice/);
  });
});

describe('workflow file formats', () => {
  it('should tell JSON, YAML and Python from the name, and refuse to guess otherwise', () => {
    assert.equal(workflowFormat('w.JSON', false), 'json');
    assert.equal(workflowFormat('w.yml', false), 'yaml');
    assert.equal(workflowFormat('w.yaml', false), 'yaml');
    assert.equal(workflowFormat('w.py', false), 'python');
    assert.equal(workflowFormat('workflow-spec', true), 'python');
    assert.throws(() => workflowFormat('w.txt', false), UsageError);
  });
});

describe('job output for people', () => {
  it('should show run times in tenths below a minute, then as a duration', () => {
    assert.equal(formatRunTime(null), '-');
    assert.equal(formatRunTime(0.04), '0s');
    assert.equal(formatRunTime(1.25), '1.3s');
    assert.equal(formatRunTime(3725), '1h2m5s');
  });

  it('should show each stage in order with its status, exit status, run time and error', () => {
    const failed = job({
      status: 'failed',
      stage: '02-B',
      errorMessage: 'stage 02-B failed',
      arguments: { mode: 'fast' },
      resubmittedFrom: 3,
      fromStage: '02-B',
      stages: {
        '02-B': stage({
          status: 'failed',
          errorMessage: 'exit status 3',
          childProcesses: [{ exitStatus: 3 } as JobStage['childProcesses'][number]],
        }),
        '01-A': stage({ childProcesses: [{ exitStatus: 0 } as JobStage['childProcesses'][number]] }),
      },
    });
    const text = renderJob(failed);
    assert.match(text, /^workflow: +s25idcuser\/example-01 \(revision 2\)$/m);
    assert.match(text, /^arguments: +mode=fast$/m);
    assert.match(text, /^resubmittedFrom: +3 \(from stage 02-B\)$/m);
    assert.match(text, /^error: +stage 02-B failed$/m);
    const table = text.slice(text.indexOf('STAGE'));
    assert.deepEqual(
      table.split('\n').map((line) => line.split(/ {2,}/)),
      [
        ['STAGE', 'STATUS', 'EXIT', 'RUNTIME', 'ERROR'],
        ['01-A', 'done', '0', '1.5s', '-'],
        ['02-B', 'failed', '3', '1.5s', 'exit status 3'],
      ],
    );
    assert.match(renderJob(job({ status: 'pending' })), /no stage has run yet/);
  });

  it('should list what changed between two looks at a job, stages before the job', () => {
    const running = job({
      status: 'running',
      stages: { '01-A': stage({ status: 'running', endTime: null }) },
    });
    const done = job({
      status: 'done',
      stages: {
        '01-A': stage({ childProcesses: [{ exitStatus: 0 } as JobStage['childProcesses'][number]] }),
        '02-B': stage({ status: 'skipped' }),
      },
    });
    assert.deepEqual(jobTransitions(undefined, running), ['job 7 stage 01-A running', 'job 7 running']);
    assert.deepEqual(jobTransitions(running, running), []);
    assert.deepEqual(jobTransitions(running, done), [
      'job 7 stage 01-A done (exit 0)',
      'job 7 stage 02-B skipped',
      'job 7 done',
    ]);
  });
});
