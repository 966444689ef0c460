/**
 * A workflow cannot ask the machine for more than the facility allows: a parallel stage's processes and a
 * repeated stage's pace are bounded by the site's settings (DM_STAGE_MAX_PARALLEL, DM_MIN_REPEAT_PERIOD) and
 * by the limit admins set on a user. Workflows beyond the site's limits are refused when written, and ones
 * stored before are held to the limits when they run.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { saveRevision } from '../src/workflows/store.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';
import { until } from './support/wait.ts';

interface Process {
  startTime: string;
  endTime: string | null;
}

/** The most processes whose [start, end) intervals overlap at one moment. */
function mostAtOnce(processes: Process[]): number {
  const edges = processes.flatMap((p) => [
    { at: Date.parse(p.startTime), step: 1 },
    { at: Date.parse(p.endTime ?? p.startTime), step: -1 },
  ]);
  // At equal times an end comes first: a lane starts its next process the moment its last one ended.
  edges.sort((a, b) => a.at - b.at || a.step - b.step);
  let running = 0;
  let most = 0;
  for (const edge of edges) {
    running += edge.step;
    most = Math.max(most, running);
  }
  return most;
}

const sixFiles = ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => `/data/${name}.h5`).join('\n');

describeBackends('workflow limits', (backend) => {
  let t: TestApp;

  before(async () => {
    t = await createTestApp(backend, { DM_STAGE_MAX_PARALLEL: '3', DM_MIN_REPEAT_PERIOD: '0.4' });
  });
  after(() => t.close());

  async function finished(id: number) {
    return until(
      async () => {
        const job = (await t.call('GET', `/api/v1/jobs/${id}`)).body;
        return ['done', 'failed', 'aborted'].includes(job.status) && job;
      },
      { timeout: 60_000, message: `job ${id} ended` },
    );
  }

  /** A definition stored as if written before the limits existed (or before an admin lowered them). */
  async function storeUnchecked(definition: { name: string; owner: string }) {
    await saveRevision(t.app.context.db, {
      owner: definition.owner,
      name: definition.name,
      definition,
      runAs: { account: null, grant: null, stationId: null },
      by: 'admin',
      now: new Date().toISOString(),
    });
  }

  it('refuses a parallel stage above DM_STAGE_MAX_PARALLEL, naming the field', async () => {
    const definition = {
      name: 'fan-out',
      owner: 'admin',
      stages: { '01-count': { command: 'true', parallel: { fileList: sixFiles, maxConcurrent: 1000 } } },
    };
    const refused = await t.call('POST', '/api/v1/workflows', { body: { definition } });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'workflow_invalid');
    assert.deepEqual(
      refused.body.error.details.problems.map((p: { path: string }) => p.path),
      ['stages.01-count.parallel.maxConcurrent'],
    );
    assert.match(refused.body.error.message, /at most 3 .*DM_STAGE_MAX_PARALLEL/);
    const validated = await t.call('POST', '/api/v1/workflows/validate', { body: { definition } });
    assert.equal(validated.body.valid, false);
    assert.equal(validated.body.problems[0].path, 'stages.01-count.parallel.maxConcurrent');
    const within = {
      ...definition,
      stages: { '01-count': { command: 'true', parallel: { fileList: sixFiles, maxConcurrent: 3 } } },
    };
    assert.equal((await t.call('POST', '/api/v1/workflows', { body: { definition: within } })).status, 201);
  });

  it('refuses a repeatPeriod below DM_MIN_REPEAT_PERIOD, naming the field', async () => {
    const definition = {
      name: 'poll-fast',
      owner: 'admin',
      stages: { poll: { command: 'true', repeatPeriod: 0.001, repeatUntil: '"a" == "b"', maxRepeats: 5 } },
    };
    const refused = await t.call('POST', '/api/v1/workflows', { body: { definition } });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.error.details.problems[0].path, 'stages.poll.repeatPeriod');
    assert.match(refused.body.error.message, /DM_MIN_REPEAT_PERIOD/);
  });

  it('holds a stored workflow to the site limit when it runs', async () => {
    await storeUnchecked({
      name: 'stored-fan-out',
      owner: 'admin',
      stages: { A: { command: 'sleep 0.3', parallel: { fileList: sixFiles, maxConcurrent: 1000 } } },
    } as never);
    const { id } = (
      await t.call('POST', '/api/v1/jobs', { body: { workflow: 'stored-fan-out', owner: 'admin' } })
    ).body;
    const job = await finished(id);
    assert.equal(job.status, 'done', job.errorMessage);
    assert.equal(job.stages.A.childProcesses.length, 6);
    assert.ok(mostAtOnce(job.stages.A.childProcesses) <= 3, 'never more than DM_STAGE_MAX_PARALLEL at once');
  });

  it('waits at least DM_MIN_REPEAT_PERIOD between runs of a stored repeated stage', async () => {
    await storeUnchecked({
      name: 'stored-poll',
      owner: 'admin',
      stages: { poll: { command: 'true', repeatPeriod: 0.001, repeatUntil: '"a" == "b"', maxRepeats: 3 } },
    } as never);
    const { id } = (
      await t.call('POST', '/api/v1/jobs', { body: { workflow: 'stored-poll', owner: 'admin' } })
    ).body;
    const job = await finished(id);
    const starts = job.stages.poll.childProcesses.map((p: Process) => Date.parse(p.startTime));
    assert.equal(starts.length, 3);
    assert.ok(starts[2] - starts[0] >= 800, `two pauses of at least 0.4 s, got ${starts[2] - starts[0]} ms`);
  });

  it("holds a user's jobs to the limit an admin set, and only admins set it", async () => {
    const userToken = await t.user('lena');
    const selfService = await t.call('PATCH', '/api/v1/users/lena', {
      token: userToken,
      body: { maxStageProcesses: 100 },
    });
    assert.equal(selfService.status, 403, 'a user cannot raise their own limit');
    const set = await t.call('PATCH', '/api/v1/users/lena', { body: { maxStageProcesses: 1 } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.maxStageProcesses, 1);

    const definition = {
      name: 'lena-fan-out',
      owner: 'lena',
      stages: { A: { command: 'sleep 0.2', parallel: { fileList: sixFiles, maxConcurrent: 3 } } },
    };
    // Written by an admin (who says which account it runs as); the limit follows who starts the job.
    const written = await t.call('POST', '/api/v1/workflows', { body: { definition } });
    assert.equal(written.status, 201, JSON.stringify(written.body));
    const started = await t.call('POST', '/api/v1/jobs', {
      token: userToken,
      body: { workflow: 'lena-fan-out', owner: 'lena' },
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const job = await finished(started.body.id);
    assert.equal(job.status, 'done', job.errorMessage);
    assert.equal(mostAtOnce(job.stages.A.childProcesses), 1, 'one process at a time for this user');

    const cleared = await t.call('PATCH', '/api/v1/users/lena', { body: { maxStageProcesses: null } });
    assert.equal(cleared.body.maxStageProcesses, null);
  });
});
