/**
 * `GET /api/v1/usage` at 1,000,000 file records: 3 stations, 30 experiments, records created over 30 days,
 * through the HTTP API of the real `dm serve`, on SQLite and (when installed) PostgreSQL. As in
 * bench/catalog.ts the records go straight into the server's database from a second connection (uploads would
 * take hours), with the experiments' running totals (`addToTotals`) in the same transaction; no metadata rows,
 * which usage never reads. PostgreSQL is measured after `VACUUM ANALYZE`, SQLite as the server leaves it.
 * Prints one line per database and period: p50 / p99 of the requests, one at a time.
 *
 * Usage: node --import tsx bench/usage.ts [--records 1000000 --samples 20 --only sqlite|postgres]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { addToTotals } from '../packages/server/src/catalog/summary-store.ts';
import { openDatabase } from '../packages/server/src/db/connection.ts';
import { api, startServerProcess } from '../packages/server/test/support/server-process.ts';
import { findPostgresBinaries, startPostgresCluster } from '../scripts/postgres-cluster.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    samples: { type: 'string', default: '20' },
    only: { type: 'string' },
  },
});
const records = Number(values.records);
const samples = Number(values.samples);
const password = 'bench-admin-password';
const stations = ['8-ID-I', '2-BM', '32-ID-B'];
const experimentsPerStation = 10;
const days = 30;
const dayMs = 86_400_000;
const end = Date.parse('2026-11-21T00:00:00.000Z');
const rowsPerTransaction = 5_000;
const rowsPerInsert = 1_000;

async function setUp(url: string, token: string): Promise<number[]> {
  const ids: number[] = [];
  for (const station of stations) {
    await api(url, 'POST', '/api/v1/stations', token, { name: station });
    for (let i = 0; i < experimentsPerStation; i++) {
      const created = await api(url, 'POST', '/api/v1/experiments', token, {
        name: `${station}-e${i}`,
        station,
      });
      if (created.status !== 201)
        throw new Error(`experiment: ${created.status} ${JSON.stringify(created.body)}`);
      ids.push(created.body.id as number);
    }
  }
  return ids;
}

async function ingest(databaseUrl: string, experimentIds: number[]): Promise<number> {
  const { db, close } = openDatabase({ url: databaseUrl, poolSize: 2 });
  const started = performance.now();
  try {
    for (let first = 0; first < records; first += rowsPerTransaction) {
      await db.transaction().execute(async (trx) => {
        const totals = new Map<number, { files: number; bytes: number }>();
        for (let at = first; at < Math.min(records, first + rowsPerTransaction); at += rowsPerInsert) {
          const rows = [];
          for (let n = at; n < Math.min(records, at + rowsPerInsert); n++) {
            const experimentId = experimentIds[n % experimentIds.length];
            if (experimentId === undefined) throw new Error('no experiments to count into');
            const created = new Date(
              end - days * dayMs + Math.floor((n / records) * days * dayMs),
            ).toISOString();
            const size = 100_000 + ((n * 7919) % 1_000_000_000);
            const hashes = randomBytes(48).toString('hex');
            rows.push({
              experiment_id: experimentId,
              path: `scan_${Math.floor(n / 1000)}/frame_${n}.h5`,
              size,
              mtime: created,
              md5: hashes.slice(0, 32),
              sha256: hashes.slice(32),
              status: 'stored' as const,
              source: null,
              origin_type: 'daq' as const,
              origin_id: 1,
              transfer_ms: null,
              metadata: '{}',
              created_at: created,
              updated_at: created,
            });
            const total = totals.get(experimentId) ?? { files: 0, bytes: 0 };
            totals.set(experimentId, { files: total.files + 1, bytes: total.bytes + size });
          }
          await trx.insertInto('files').values(rows).execute();
        }
        for (const [id, total] of totals) await addToTotals(trx, id, total.files, total.bytes);
      });
    }
    const seconds = (performance.now() - started) / 1000;
    if (databaseUrl.startsWith('postgres')) await sql`vacuum analyze files`.execute(db);
    return seconds;
  } finally {
    await close();
  }
}

async function time(url: string, token: string): Promise<string> {
  const once = async (): Promise<{ ms: number; files: number }> => {
    const started = performance.now();
    let response: Response;
    try {
      response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    } catch {
      // After the long ingest the kept-alive connection may have been closed by the server: not the
      // query's time, so ask again on a new one (as bench/catalog.ts does).
      return once();
    }
    const body = (await response.json()) as { ingested?: { files: number }[] };
    if (response.status !== 200) throw new Error(`${url}: ${response.status} ${JSON.stringify(body)}`);
    return { ms: performance.now() - started, files: body.ingested?.reduce((s, r) => s + r.files, 0) ?? 0 };
  };
  await once();
  const times: number[] = [];
  let files = 0;
  for (let i = 0; i < samples; i++) {
    const result = await once();
    times.push(result.ms);
    files = result.files;
  }
  times.sort((a, b) => a - b);
  const pick = (p: number) => (times[Math.max(0, Math.ceil(p * times.length) - 1)] ?? Number.NaN).toFixed(0);
  return `${pick(0.5)} / ${pick(0.99)} ms (${files.toLocaleString('en-US')} files counted)`;
}

async function measure(label: string, postgresUrl: string | undefined): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dm-bench-usage-'));
  const databaseUrl = postgresUrl ?? `sqlite:${join(dataDir, 'photon-dm.sqlite')}`;
  const server = await startServerProcess(
    ['--data-dir', dataDir, '--log-level', 'warn', '--database-url', databaseUrl],
    { DM_ADMIN_PASSWORD: password },
  );
  try {
    const login = await api(server.url, 'POST', '/api/v1/auth/login', null, { username: 'admin', password });
    const token = login.body.token as string;
    const ids = await setUp(server.url, token);
    const seconds = await ingest(databaseUrl, ids);
    console.log(`usage ${label}: ${records.toLocaleString('en-US')} records in ${seconds.toFixed(0)} s`);
    const last = new Date(end - dayMs).toISOString().slice(0, 10);
    const periods = [
      ['30 days, all stations', `from=${new Date(end - days * dayMs).toISOString().slice(0, 10)}&to=${last}`],
      [
        '30 days, one station',
        `from=${new Date(end - days * dayMs).toISOString().slice(0, 10)}&to=${last}&station=2-BM`,
      ],
      ['7 days, all stations', `from=${new Date(end - 7 * dayMs).toISOString().slice(0, 10)}&to=${last}`],
      ['1 day, all stations', `from=${last}&to=${last}`],
    ];
    for (const [name, query] of periods) {
      const load = (loadavg()[0] ?? 0).toFixed(1);
      console.log(
        `usage ${label} ${name}: ${await time(`${server.url}/api/v1/usage?${query}`, token)}, load ${load}`,
      );
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (values.only !== 'postgres') await measure('sqlite', undefined);
if (values.only !== 'sqlite') {
  const binaries = findPostgresBinaries();
  if ('missing' in binaries) console.log(`usage postgres: skipped (${binaries.missing})`);
  else {
    const cluster = await startPostgresCluster();
    try {
      await measure('postgres', cluster.url);
    } finally {
      await cluster.stop();
    }
  }
}
