/**
 * A worker renews the leases of its running jobs while it keeps claiming new ones. A job claimed while a
 * renewal is on its way is held all the same: it must run to its end once, not be stopped as if another
 * worker had taken it (it then ended without an end, and its stage ran again 30 s later, when its lease
 * expired). A second runner renewing every millisecond makes that moment come often.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { type JobRunner, startJobRunner } from '../src/jobs/runner.ts';
import { createOutputMatcher, type OutputMatcher } from '../src/workflows/output-variables.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';
import { until } from './support/wait.ts';

describeBackends('job lease renewal', (backend) => {
  let t: TestApp;
  let marks: string;
  let matcher: OutputMatcher;
  let runner: JobRunner;

  before(async () => {
    marks = mkdtempSync(join(tmpdir(), 'dm-lease-renewal-'));
    t = await createTestApp(backend, { DM_JOB_CONCURRENCY: '1', DM_STAGE_SWITCH: 'none' });
    matcher = createOutputMatcher();
    runner = startJobRunner(t.app.context, { matcher, concurrency: 4, checkMs: 1 });
  });
  after(async () => {
    await runner.stop();
    await matcher.close();
    await t.close();
    rmSync(marks, { recursive: true, force: true });
  });

  it('runs every stage once while renewals and claims overlap', async () => {
    const created = await t.call('POST', '/api/v1/workflows', {
      body: {
        definition: {
          name: 'once-each',
          owner: 'admin',
          stages: { A: { command: `mkdir ${marks}/job-$id && sleep 0.05` } },
        },
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) {
      const job = await t.call('POST', '/api/v1/jobs', { body: { workflow: 'once-each' } });
      assert.equal(job.status, 201, JSON.stringify(job.body));
      ids.push(job.body.id);
      runner.wake();
    }
    // biome-ignore lint/suspicious/noExplicitAny: job records, asserted on field by field
    const jobs: any[] = await until(
      async () => {
        const read = await Promise.all(
          ids.map(async (id) => (await t.call('GET', `/api/v1/jobs/${id}`)).body),
        );
        return read.every((job) => ['done', 'failed', 'aborted'].includes(job.status)) && read;
      },
      // A generous bound: with the fault, a stopped job ended only after its 30 s lease, and failed then.
      { timeout: 120_000, message: 'every job ended' },
    );
    assert.deepEqual(
      jobs.filter((job) => job.status !== 'done').map((job) => [job.id, job.status, job.errorMessage]),
      [],
      'every job done, its stage run once (a second run would fail its mkdir)',
    );
    assert.equal(readdirSync(marks).length, ids.length);
  });
});
