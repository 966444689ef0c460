/**
 * GET /api/v1/experiments/{name} under load: requests/s and latency percentiles at 50 concurrent
 * connections, from autocannon in this process against the real `dm serve` in another, on SQLite and (when
 * PostgreSQL is installed) on PostgreSQL, side by side in one run. Prints one line per database.
 *
 * Usage: npm run bench [-- --duration 20 --connections 50]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { api, startServerProcess } from '../packages/server/test/support/server-process.ts';
import { findPostgresBinaries, startPostgresCluster } from '../scripts/postgres-cluster.ts';

const { values } = parseArgs({
  options: { duration: { type: 'string', default: '15' }, connections: { type: 'string', default: '50' } },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const password = 'bench-admin-password';

async function measure(label: string, databaseUrl: string | undefined) {
  const dataDir = mkdtempSync(join(tmpdir(), 'dm-bench-'));
  const args = [
    '--data-dir',
    dataDir,
    '--log-level',
    'warn',
    ...(databaseUrl ? ['--database-url', databaseUrl] : []),
  ];
  const server = await startServerProcess(args, { DM_ADMIN_PASSWORD: password });
  try {
    const login = await api(server.url, 'POST', '/api/v1/auth/login', null, { username: 'admin', password });
    const token = login.body.token as string;
    await api(server.url, 'POST', '/api/v1/users', token, { username: 'alice', password: 'alice-password' });
    await api(server.url, 'POST', '/api/v1/stations', token, { name: '8-ID-I' });
    // Some neighbours, so the lookup is not in a one-row table.
    for (let i = 0; i < 200; i++) {
      await api(server.url, 'POST', '/api/v1/experiments', token, {
        name: `exp-${i}`,
        station: '8-ID-I',
        pi: 'alice',
      });
    }
    const alice = await api(server.url, 'POST', '/api/v1/auth/login', null, {
      username: 'alice',
      password: 'alice-password',
    });
    const url = `${server.url}/api/v1/experiments/exp-100`;
    // The admin skips the membership checks; the PI, a plain user, is the common case.
    for (const [who, bearer] of [
      ['admin', token],
      ['pi', alice.body.token as string],
    ] as const) {
      const headers = { authorization: `Bearer ${bearer}` };
      const check = await fetch(url, { headers });
      if (check.status !== 200) throw new Error(`GET as ${who} returned ${check.status}`);
      // Warm-up: JIT and caches, not measured.
      await autocannon({ url, connections, duration: 3, headers });
      const result = await autocannon({ url, connections, duration, headers });
      const failed = result.non2xx + result.errors + result.timeouts;
      console.log(
        `experiment-get ${label} as ${who}: ${Math.round(result.requests.average)} req/s, ` +
          `latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms; ` +
          `${connections} connections, ${duration} s, ${result.requests.total} requests, ${failed} failed`,
      );
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);
await measure('sqlite', undefined);
const binaries = findPostgresBinaries();
if ('missing' in binaries) {
  console.log(`experiment-get postgres: skipped (${binaries.missing})`);
} else {
  const cluster = await startPostgresCluster();
  try {
    await measure('postgres', cluster.url);
  } finally {
    await cluster.stop();
  }
}
