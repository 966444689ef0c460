/**
 * Workers die: SIGKILL the real server while jobs run, and start it again. Every job still ends; a stage that
 * was interrupted is retried (per `retries`) or failed, and its orphaned processes are killed. Two servers on
 * one PostgreSQL share the jobs without ever running one stage twice.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, it } from 'node:test';
import { setTimeout as pause } from 'node:timers/promises';
import { api, type ServerProcess } from '../support/server-process.ts';
import { serverStory } from '../support/server-story.ts';
import { describeBackends } from '../support/test-database.ts';
import { processEnded } from '../support/unix-accounts.ts';
import { readUntil } from '../support/wait.ts';

describeBackends('jobs under SIGKILL', (backend) => {
  const servers = serverStory(backend, 'dm-jobs-crash-');
  let marks: string;

  before(() => {
    marks = join(servers.root, 'marks');
    mkdirSync(marks);
  });

  const start = (name = 'a') =>
    servers.start({
      dataDirectory: `data-${name}`,
      args: ['--job-concurrency', '4'],
      // Stages run as the server itself (a personal installation): the marks they write are the test's.
      env: { DM_STAGE_SWITCH: 'none' },
    });
  const login = (server: ServerProcess) => servers.login(server);
  async function waitEnded(server: ServerProcess, token: string, ids: number[]) {
    // biome-ignore lint/suspicious/noExplicitAny: job records, asserted on field by field
    const jobs: any[] = await readUntil(
      () =>
        Promise.all(ids.map(async (id) => (await api(server.url, 'GET', `/api/v1/jobs/${id}`, token)).body)),
      (jobs) => jobs.every((job) => ['done', 'failed', 'aborted'].includes(job.status)),
      { timeout: 120_000, interval: 100 },
    );
    if (jobs.every((job) => ['done', 'failed', 'aborted'].includes(job.status))) return jobs;
    const stuck = jobs.filter((job) => !['done', 'failed', 'aborted'].includes(job.status));
    throw new Error(
      `jobs did not end: ${JSON.stringify(stuck, null, 1)}\nserver output:\n${server.output().slice(-4000)}`,
    );
  }

  it('finishes every job across three kills, retrying interrupted stages', async () => {
    let server = await start();
    const token = await login(server);
    const stage = (key: string) => ({
      command: `mkdir -p ${marks}/$id; echo ${key} >> ${marks}/$id/log; sleep 0.4`,
      retries: 4,
    });
    await api(server.url, 'POST', '/api/v1/workflows', token, {
      definition: { name: 'steps', owner: 'admin', stages: { A: stage('A'), B: stage('B'), C: stage('C') } },
    });
    await api(server.url, 'POST', '/api/v1/workflows', token, {
      definition: {
        name: 'fragile',
        owner: 'admin',
        stages: { A: { command: `sleep 60 & echo $! > ${marks}/orphan.pid; wait` } },
      },
    });
    // First, so that it is running when the first kill comes.
    const fragile = (await api(server.url, 'POST', '/api/v1/jobs', token, { workflow: 'fragile' })).body.id;
    const ids: number[] = [];
    for (let i = 0; i < 10; i++)
      ids.push((await api(server.url, 'POST', '/api/v1/jobs', token, { workflow: 'steps' })).body.id);
    for (let i = 0; i < 3; i++) {
      await pause(700); // a kill while stages run
      await server.kill();
      server = await start();
    }
    const jobs = await waitEnded(server, token, [...ids, fragile]);
    for (const job of jobs.slice(0, -1)) {
      assert.equal(job.status, 'done', JSON.stringify(job));
      const log = readFileSync(join(marks, String(job.id), 'log'), 'utf8')
        .trim()
        .split('\n');
      assert.deepEqual([...new Set(log)], ['A', 'B', 'C'], 'stages ran in order, each to completion');
    }
    const lost = jobs.at(-1);
    assert.equal(lost.status, 'failed');
    assert.match(lost.errorMessage, /worker running this stage was lost/);
    const orphan = Number(readFileSync(join(marks, 'orphan.pid'), 'utf8'));
    assert.ok(processEnded(orphan), 'the orphaned process group was killed');
    // The next story shares the database: it must have only its own two servers.
    await server.stop();
  });

  if (backend === 'postgres') {
    it('shares jobs between two servers on one database, never running a stage twice', async () => {
      const [one, two] = [await start('one'), await start('two')];
      const token = await login(one);
      await api(one.url, 'POST', '/api/v1/workflows', token, {
        definition: {
          name: 'once',
          owner: 'admin',
          stages: { A: { command: `mkdir ${marks}/once-$id && sleep 0.1` } },
        },
      });
      const ids: number[] = [];
      for (let i = 0; i < 30; i++) {
        const via = i % 2 === 0 ? one : two;
        ids.push((await api(via.url, 'POST', '/api/v1/jobs', token, { workflow: 'once' })).body.id);
      }
      const jobs = await waitEnded(two, token, ids);
      const failed = jobs.filter((job) => job.status !== 'done');
      // What a failure needs to be understood: the jobs, their logs, and what every server said.
      const story = async () => {
        const logs = await Promise.all(
          failed.map(async (job) => (await api(two.url, 'GET', `/api/v1/jobs/${job.id}/logs`, token)).body),
        );
        return (
          JSON.stringify({ failed, logs }, null, 1) +
          servers.started.map((server) => server.output().slice(-6000)).join('\n---\n')
        );
      };
      assert.deepEqual(
        failed.map((job) => job.errorMessage),
        [],
        `a second run of a stage would have failed its mkdir:\n${failed.length > 0 ? await story() : ''}`,
      );
      assert.equal(readdirSync(marks).filter((name) => name.startsWith('once-')).length, 30);
      assert.ok(existsSync(join(marks, `once-${ids[0]}`)));
    });
  }
});
