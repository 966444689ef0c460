/**
 * Fair share: a flood of jobs from one source (a DAQ's files, one user's batch) takes turns with everyone
 * else's jobs instead of queueing them behind. One worker slot makes the order observable.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';
import { until } from './support/wait.ts';

describeBackends('fair share of the workers', (backend) => {
  let t: TestApp;

  before(async () => {
    t = await createTestApp(backend, { DM_JOB_CONCURRENCY: '1', DM_STAGE_SWITCH: 'none' });
  });
  after(async () => {
    await t.close();
  });

  it("runs another user's job next, not after a batch of six", async () => {
    // Admins: their workflows may run as the server's account even when it is root (see workflows/run-as.ts).
    const ana = await t.user('ana', { isAdmin: true });
    const ben = await t.user('ben', { isAdmin: true });
    for (const [owner, token] of [
      ['ana', ana],
      ['ben', ben],
    ] as const) {
      const upserted = await t.call('POST', '/api/v1/workflows', {
        token,
        body: { definition: { name: 'nap', owner, stages: { A: { command: 'sleep 0.3' } } } },
      });
      assert.ok([200, 201].includes(upserted.status), JSON.stringify(upserted.body));
    }
    const batch: number[] = [];
    for (let i = 0; i < 6; i++)
      batch.push((await t.call('POST', '/api/v1/jobs', { token: ana, body: { workflow: 'nap' } })).body.id);
    const single = (await t.call('POST', '/api/v1/jobs', { token: ben, body: { workflow: 'nap' } })).body.id;

    const jobs: { id: number; status: string; startTime: string | null }[] = await until(
      async () => {
        const items: { id: number; status: string; startTime: string | null }[] = (
          await t.call('GET', '/api/v1/jobs?limit=100')
        ).body.items;
        return items.length === 7 && items.every((job) => job.status === 'done') && items;
      },
      { message: 'all seven jobs done' },
    );
    assert.ok(
      jobs.every((job) => job.status === 'done'),
      JSON.stringify(jobs.map((job) => job.status)),
    );
    const order = [...jobs]
      .sort((a, b) => (a.startTime ?? '').localeCompare(b.startTime ?? '') || a.id - b.id)
      .map((job) => job.id);
    assert.ok(
      order.indexOf(single) <= 2,
      `ben's job ran as number ${order.indexOf(single) + 1} of 7 (order ${order.join(', ')}; ana's: ${batch.join(', ')})`,
    );
  });
});
