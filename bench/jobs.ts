/**
 * The workflow engine against issue 4's goals, in one process (createApp, jobs submitted through the API
 * with inject), on SQLite and (when PostgreSQL is installed) a throwaway PostgreSQL cluster in the same run.
 *
 * - throughput: N one-stage jobs (`true`) submitted at once, until all are done; against a plain loop that
 *   spawns the same N `/bin/sh -c true` with the same concurrency (the engine's, one per core), in the same
 *   run. The ratio is what the engine's bookkeeping costs.
 * - start latency: jobs submitted one at a time onto an idle engine (every 20 ms); startTime minus
 *   submissionTime of each, from the job records. Goal: p99 under 50 ms.
 * - per-stage overhead: jobs of S stages of `true`, run one at a time; (job runTime / S) minus the time one
 *   `/bin/sh -c true` takes in the plain loop. Goal: under 10 ms.
 *
 * Usage: node --import tsx bench/jobs.ts [--jobs 1000 --latency-jobs 200 --stages 20 --stage-jobs 20
 *        --only sqlite|postgres]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { type App, createApp } from '../packages/server/src/app.ts';
import { loadSettings } from '../packages/server/src/settings/settings.ts';
import { findPostgresBinaries, startPostgresCluster } from '../scripts/postgres-cluster.ts';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '1000' },
    'latency-jobs': { type: 'string', default: '200' },
    stages: { type: 'string', default: '20' },
    'stage-jobs': { type: 'string', default: '20' },
    only: { type: 'string' },
  },
});
const jobCount = Number(values.jobs);
const concurrency = cpus().length;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function spawnLoop(count: number, parallel: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next++ < count) {
      const child = spawn('/bin/sh', ['-c', 'true'], { stdio: 'ignore', detached: true });
      await once(child, 'exit');
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return performance.now() - started;
}

/** Through a real socket, as clients do (inject would run the requests without yielding to the engine's I/O). */
async function call(base: string, token: string, method: 'GET' | 'POST', url: string, body?: unknown) {
  const response = await fetch(base + url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status >= 300)
    throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  return await response.json();
}

async function waitAllEnded(app: App, since: number): Promise<void> {
  for (;;) {
    const row = await app.context.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('id', '>', since)
      .where('status', 'in', ['pending', 'running'])
      .executeTakeFirstOrThrow();
    if (Number(row.n) === 0) return;
    await sleep(20);
  }
}

async function lastJobId(app: App): Promise<number> {
  const row = await app.context.db
    .selectFrom('jobs')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst();
  return Number(row?.id ?? 0);
}

async function measure(name: string, databaseUrl: string) {
  const dataDir = await mkdtemp(join(tmpdir(), 'dm-bench-jobs-'));
  const settings = loadSettings({
    flags: { dataDir, databaseUrl, logLevel: 'silent' },
    env: { DM_ADMIN_PASSWORD: 'bench-password' },
  });
  const app = await createApp({ settings });
  try {
    const login = await app.http.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'admin', password: 'bench-password' },
    });
    const token = login.json().token as string;
    const base = await app.http.listen({ host: '127.0.0.1', port: 0 });
    const stages = Number(values.stages);
    await call(base, token, 'POST', '/api/v1/workflows', {
      definition: { name: 'noop', owner: 'admin', stages: { A: { command: 'true' } } },
    });
    const many: Record<string, { command: string }> = {};
    for (let i = 0; i < stages; i++) many[`S${String(i).padStart(3, '0')}`] = { command: 'true' };
    await call(base, token, 'POST', '/api/v1/workflows', {
      definition: { name: 'stages', owner: 'admin', stages: many },
    });

    // Throughput.
    const loopMs = await spawnLoop(jobCount, concurrency);
    let since = await lastJobId(app);
    let started = performance.now();
    for (let i = 0; i < jobCount; i++) await call(base, token, 'POST', '/api/v1/jobs', { workflow: 'noop' });
    await waitAllEnded(app, since);
    const engineMs = performance.now() - started;
    console.log(
      `${name} throughput: ${jobCount} jobs in ${(engineMs / 1000).toFixed(1)} s = ${Math.round(jobCount / (engineMs / 1000))} jobs/s; ` +
        `plain spawn loop ${Math.round(jobCount / (loopMs / 1000))}/s; engine/loop time ${(engineMs / loopMs).toFixed(1)}x`,
    );

    // Start latency on an idle engine.
    since = await lastJobId(app);
    for (let i = 0; i < Number(values['latency-jobs']); i++) {
      await call(base, token, 'POST', '/api/v1/jobs', { workflow: 'noop' });
      await sleep(20);
    }
    await waitAllEnded(app, since);
    const latency = (
      await app.context.db
        .selectFrom('jobs')
        .select(['submission_time', 'start_time'])
        .where('id', '>', since)
        .execute()
    )
      // A job not started yet has no latency to count.
      .flatMap((row) =>
        row.start_time === null ? [] : [Date.parse(row.start_time) - Date.parse(row.submission_time)],
      )
      .sort((a, b) => a - b);
    console.log(
      `${name} start latency (${latency.length} jobs): p50 ${percentile(latency, 50)} ms, p99 ${percentile(latency, 99)} ms, max ${latency.at(-1)} ms (goal p99 < 50 ms)`,
    );

    // Per-stage overhead, one job at a time.
    const oneSpawnMs = (await spawnLoop(200, 1)) / 200;
    const perStage: number[] = [];
    for (let i = 0; i < Number(values['stage-jobs']); i++) {
      since = await lastJobId(app);
      started = performance.now();
      await call(base, token, 'POST', '/api/v1/jobs', { workflow: 'stages' });
      await waitAllEnded(app, since);
      perStage.push((performance.now() - started) / stages - oneSpawnMs);
    }
    perStage.sort((a, b) => a - b);
    console.log(
      `${name} per-stage overhead (${stages} stages x ${perStage.length} jobs): p50 ${percentile(perStage, 50).toFixed(1)} ms, ` +
        `p90 ${percentile(perStage, 90).toFixed(1)} ms beyond one sh -c true (${oneSpawnMs.toFixed(1)} ms) (goal < 10 ms)`,
    );
  } finally {
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);
if (values.only !== 'postgres') {
  const dir = await mkdtemp(join(tmpdir(), 'dm-bench-jobs-db-'));
  await measure('sqlite', `sqlite:${join(dir, 'dm.sqlite')}`);
  await rm(dir, { recursive: true, force: true });
}
if (values.only !== 'sqlite') {
  const binaries = findPostgresBinaries();
  if ('missing' in binaries) console.log(`postgres: skipped (${binaries.missing})`);
  else {
    const cluster = await startPostgresCluster();
    try {
      console.log(`postgres: ${cluster.version} (throwaway cluster)`);
      await measure('postgres', cluster.url);
    } finally {
      await cluster.stop();
    }
  }
}
