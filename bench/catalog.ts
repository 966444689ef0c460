/**
 * The file catalog at scale: 1,000,000 file records in one experiment, searched, counted and listed by key
 * through the HTTP API of the real `dm serve`, on SQLite and (when PostgreSQL is installed) on PostgreSQL in
 * the same run. Prints the ingest rate and one line of latencies per database and query.
 *
 * Going through uploads would take hours, so the records are inserted straight into the `files` table of the
 * server's own database, from a second connection (`openDatabase`), while the server runs: 5,000 rows per
 * transaction, in multi-row INSERTs. The metadata is what a beamline writes: sample, temperature, energy,
 * an HDF5 title, scan number, detector, exposure, and an operator in one record of ten.
 *
 * Each database is measured in the state its own maintenance leaves it: PostgreSQL after `VACUUM ANALYZE`
 * (what autovacuum does shortly after a bulk load; done at once so it does not run during the measurement),
 * SQLite as the server keeps it (it never runs ANALYZE, so its planner has no statistics) and with the WAL
 * checkpointed.
 *
 * Latency: requests one at a time, each timed from fetch to the parsed body, after 3 warm-up requests; a
 * query gets up to --samples requests or --budget seconds, whichever ends first (at least 5 requests).
 * --explain prints the plan of each query (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL),
 * built with the catalog's own condition builders. --hold keeps servers and databases up at the end, printing
 * their URLs, until Ctrl-C, to examine them by hand.
 *
 * Usage: node --import tsx bench/catalog.ts [--records 1000000 --samples 50 --budget 60 --explain --hold
 *        --only sqlite|postgres]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CompiledQuery, type Kysely, sql } from 'kysely';
import { countQuery, searchQuery } from '../packages/server/src/catalog/search-store.ts';
import { addToTotals, syncFileMetadata } from '../packages/server/src/catalog/summary-store.ts';
import { openDatabase } from '../packages/server/src/db/connection.ts';
import type { MetadataOperator } from '../packages/server/src/db/metadata-query.ts';
import type { DialectProfile } from '../packages/server/src/db/profile.ts';
import type { Database } from '../packages/server/src/db/tables.ts';
import { api, startServerProcess } from '../packages/server/test/support/server-process.ts';
import { findPostgresBinaries, startPostgresCluster } from '../scripts/postgres-cluster.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    samples: { type: 'string', default: '50' },
    budget: { type: 'string', default: '60' },
    explain: { type: 'boolean', default: false },
    hold: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const records = Number(values.records);
const maxSamples = Number(values.samples);
const budgetMs = Number(values.budget) * 1000;
const warmUps = 3;
const minSamples = 5;
const rowsPerTransaction = 5_000;
const rowsPerInsert = 1_000; // 14 parameters a row: under SQLite's 32,766 and PostgreSQL's 65,535
const password = 'bench-admin-password';
const experimentName = 'catalog-bench';

// ---------------------------------------------------------------------------------------------------------
// The records

/** mulberry32: the same metadata every run, so result counts compare across runs and databases. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const proteins = [
  'lysozyme',
  'insulin',
  'ferritin',
  'myoglobin',
  'thaumatin',
  'catalase',
  'trypsin',
  'albumin',
  'hemoglobin',
  'collagen',
];
/** 50 samples: 10 proteins at 5 concentrations. */
const samples = proteins.flatMap((protein) => [1, 2, 5, 10, 20].map((mg) => `${protein}-${mg}mg`));
const detectors = ['eiger4m', 'pilatus1m', 'lambda750k'];
const operators = ['asmith', 'bjones', 'cwu', 'dpatel', 'emartin'];
const mtimeStart = Date.parse('2026-10-01T00:00:00.000Z');
const mtimeSpanMs = 30 * 24 * 3600 * 1000;

const scanOf = (n: number) => Math.floor(n / 1000);
const scanDirectory = (scan: number) => `scan_${String(scan).padStart(4, '0')}`;

/** One of `values`, chosen by `random`. */
function pick<T>(values: readonly T[], random: () => number): T {
  const value = values[Math.floor(random() * values.length)];
  if (value === undefined) throw new Error('nothing to pick from');
  return value;
}

function fileRow(experimentId: number, n: number, random: () => number, now: string) {
  const scan = scanOf(n);
  const sample = pick(samples, random);
  const metadata: Record<string, unknown> = {
    sample,
    temperature: Math.round((250 + random() * 100) * 100) / 100,
    energy: Math.round((5 + random() * 20) * 1000) / 1000,
    'entry/title': `${sample} scan ${scan} frame ${n % 1000}`,
    scan_number: scan,
    detector: pick(detectors, random),
    exposure: Math.round((0.001 + random() * 0.999) * 10000) / 10000,
  };
  if (random() < 0.1) metadata.operator = pick(operators, random);
  const hashes = randomBytes(48).toString('hex');
  return {
    experiment_id: experimentId,
    path: `${scanDirectory(scan)}/frame_${String(n).padStart(7, '0')}.h5`,
    size: 100_000 + Math.floor(random() * (1e9 - 100_000)),
    // Frames are taken over 30 days, in order, a few seconds of jitter apart.
    mtime: new Date(mtimeStart + Math.floor(((n + random()) / records) * mtimeSpanMs)).toISOString(),
    md5: hashes.slice(0, 32),
    sha256: hashes.slice(32) + randomBytes(16).toString('hex'),
    status: 'stored' as const,
    source: null,
    origin_type: 'daq' as const,
    origin_id: 1,
    transfer_ms: null,
    metadata: JSON.stringify(metadata),
    created_at: now,
    updated_at: now,
  };
}

async function ingest(db: Kysely<Database>, profile: DialectProfile, experimentId: number): Promise<number> {
  const random = seededRandom(20261121);
  const started = performance.now();
  let lastReport = started;
  for (let first = 0; first < records; first += rowsPerTransaction) {
    const now = new Date().toISOString();
    const rows: ReturnType<typeof fileRow>[] = [];
    for (let n = first; n < Math.min(first + rowsPerTransaction, records); n++) {
      rows.push(fileRow(experimentId, n, random, now));
    }
    // The records and what the catalog derives from them, in one transaction as the server writes them.
    await db.transaction().execute(async (trx) => {
      const ids: number[] = [];
      for (let i = 0; i < rows.length; i += rowsPerInsert) {
        const inserted = await trx
          .insertInto('files')
          .values(rows.slice(i, i + rowsPerInsert))
          .returning('id')
          .execute();
        for (const row of inserted) ids.push(row.id);
      }
      await syncFileMetadata(trx, profile, { fromId: Math.min(...ids), toId: Math.max(...ids) });
      const bytes = rows.reduce((sum, row) => sum + row.size, 0);
      await addToTotals(trx, experimentId, rows.length, bytes);
    });
    if (performance.now() - lastReport > 30_000) {
      lastReport = performance.now();
      const done = first + rows.length;
      const rate = Math.round(done / ((lastReport - started) / 1000));
      console.error(`  ... ${done.toLocaleString('en-US')} records, ${rate.toLocaleString('en-US')}/s`);
    }
  }
  return (performance.now() - started) / 1000;
}

// ---------------------------------------------------------------------------------------------------------
// The queries

interface Query {
  name: string;
  /** Path and query string after /api/v1/experiments/{name}/files. */
  path: string;
  /** The same query in SQL, built as the catalog store builds it, for --explain. */
  compile(db: Kysely<Database>, profile: DialectProfile, experimentId: number): Promise<CompiledQuery>;
}

const probeSample = 'lysozyme-5mg';
const rareScan = Math.min(42, scanOf(Math.max(records - 1, 0)));
const probeScan = scanDirectory(rareScan);

const where = (...conditions: string[]) =>
  conditions.map((condition) => `where=${encodeURIComponent(condition)}`).join('&');

type Condition = [key: string, operator: MetadataOperator, value: string | number | undefined];

const searchOf = (experimentId: number, conditions: Condition[], pathGlob?: string) => ({
  experimentId,
  pathGlob,
  conditions: conditions.map(([key, operator, value]) => ({ key, operator, value })),
});

/** What catalog/store.ts builds for a listing, through the same search builder. */
async function listSql(
  db: Kysely<Database>,
  profile: DialectProfile,
  experimentId: number,
  conditions: Condition[],
  options: { pathGlob?: string; sort?: 'path' | 'size'; descending?: boolean } = {},
) {
  const direction = options.descending ? 'desc' : 'asc';
  const search = searchOf(experimentId, conditions, options.pathGlob);
  return (await searchQuery(db, profile, search, { limit: 100 }))
    .selectAll('files')
    .orderBy(`files.${options.sort ?? 'path'}`, direction)
    .orderBy('files.id', direction)
    .limit(101)
    .compile();
}

async function countSql(
  db: Kysely<Database>,
  profile: DialectProfile,
  experimentId: number,
  conditions: Condition[],
) {
  return (await countQuery(db, profile, searchOf(experimentId, conditions))).compile();
}

const queries: Query[] = [
  {
    name: 'search sample+temperature',
    path: `?${where(`sample=${probeSample}`, 'temperature>=300')}&limit=100`,
    compile: (db, profile, id) =>
      listSql(db, profile, id, [
        ['sample', '=', probeSample],
        ['temperature', '>=', 300],
      ]),
  },
  {
    // About 20 matches in 1M: no early stop on the first 100, so every record is looked at.
    name: 'search sample+scan_number (rare)',
    path: `?${where(`sample=${probeSample}`, `scan_number=${rareScan}`)}&limit=100`,
    compile: (db, profile, id) =>
      listSql(db, profile, id, [
        ['sample', '=', probeSample],
        ['scan_number', '=', rareScan],
      ]),
  },
  {
    // A range that about 0.5% of the records satisfy: found through the index of numbers.
    name: 'search energy>=24.9 (rare range)',
    path: `?${where('energy>=24.9')}&limit=100`,
    compile: (db, profile, id) => listSql(db, profile, id, [['energy', '>=', 24.9]]),
  },
  {
    name: 'search operator exists',
    path: `?${where('operator exists')}&limit=100`,
    compile: (db, profile, id) => listSql(db, profile, id, [['operator', 'exists', undefined]]),
  },
  {
    name: `search pathGlob ${probeScan}/*`,
    path: `?pathGlob=${encodeURIComponent(`${probeScan}/*`)}&limit=100`,
    compile: (db, profile, id) => listSql(db, profile, id, [], { pathGlob: `${probeScan}/*` }),
  },
  {
    name: 'search sort -size',
    path: '?sort=-size&limit=100',
    compile: (db, profile, id) => listSql(db, profile, id, [], { sort: 'size', descending: true }),
  },
  {
    name: 'count sample',
    path: `/count?${where(`sample=${probeSample}`)}`,
    compile: (db, profile, id) => countSql(db, profile, id, [['sample', '=', probeSample]]),
  },
  {
    // Half of the records: the widest range count.
    name: 'count temperature>=300',
    path: `/count?${where('temperature>=300')}`,
    compile: (db, profile, id) => countSql(db, profile, id, [['temperature', '>=', 300]]),
  },
  {
    name: 'count all',
    path: '/count',
    compile: (db, profile, id) => countSql(db, profile, id, []),
  },
  {
    name: 'keys',
    path: '/keys',
    compile: async (db, _profile, id) =>
      db
        .selectFrom('file_metadata_keys')
        .select(['key', 'file_count'])
        .where('experiment_id', '=', id)
        .where('file_count', '>', 0)
        .orderBy('key')
        .compile(),
  },
];

interface Timing {
  p50: number;
  p99: number;
  max: number;
  requests: number;
  results: number;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

async function timeQuery(url: string, token: string): Promise<Timing> {
  const headers = { authorization: `Bearer ${token}` };
  let results = 0;
  let retries = 0;
  const once = async (): Promise<number> => {
    const started = performance.now();
    let response: Response;
    try {
      response = await fetch(url, { headers });
    } catch (error) {
      // Seen after the long ingest on a loaded machine: the request written to a connection the server had
      // closed (EPIPE). Not the query's time: try again on a new connection, and say so.
      retries++;
      if (retries > 5) throw error;
      console.error(`  (request failed: ${(error as Error).message}; retried)`);
      return once();
    }
    const body = (await response.json()) as { items?: unknown[]; count?: number };
    const ms = performance.now() - started;
    if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${JSON.stringify(body)}`);
    results = body.count ?? body.items?.length ?? 0;
    return ms;
  };
  for (let i = 0; i < warmUps; i++) await once();
  const times: number[] = [];
  let spent = 0;
  while (times.length < maxSamples && (times.length < minSamples || spent < budgetMs)) {
    const ms = await once();
    times.push(ms);
    spent += ms;
  }
  times.sort((a, b) => a - b);
  return {
    p50: percentile(times, 0.5),
    p99: percentile(times, 0.99),
    max: times.at(-1) ?? Number.NaN,
    requests: times.length,
    results,
  };
}

async function explain(db: Kysely<Database>, profile: DialectProfile, query: CompiledQuery) {
  const prefix = profile.name === 'sqlite' ? 'explain query plan ' : 'explain (analyze, buffers) ';
  const started = performance.now();
  const result = await db.executeQuery<Record<string, unknown>>(
    CompiledQuery.raw(prefix + query.sql, [...query.parameters]),
  );
  const ms = performance.now() - started;
  const lines =
    profile.name === 'sqlite'
      ? result.rows.map((row) => `${row.id}/${row.parent} ${row.detail}`)
      : result.rows.map((row) => String(row['QUERY PLAN']));
  return { ms, text: lines.map((line) => `    ${line}`).join('\n') };
}

// ---------------------------------------------------------------------------------------------------------
// One database

const round = (ms: number) => (ms < 10 ? ms.toFixed(1) : String(Math.round(ms)));
const thousands = (n: number) => Math.round(n).toLocaleString('en-US');

/** Measures one database; returns what stops its server and removes its data (after --hold). */
async function measure(label: string, postgresUrl: string | undefined): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dm-bench-catalog-'));
  const databaseUrl = postgresUrl ?? `sqlite:${join(dataDir, 'photon-dm.sqlite')}`;
  const server = await startServerProcess(
    ['--data-dir', dataDir, '--log-level', 'warn', '--database-url', databaseUrl],
    { DM_ADMIN_PASSWORD: password },
  );
  const handle = openDatabase({ url: databaseUrl, poolSize: 2 });
  const cleanup = async () => {
    await handle.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const { db, profile } = handle;
    const login = await api(server.url, 'POST', '/api/v1/auth/login', null, { username: 'admin', password });
    const token = login.body.token as string;
    await api(server.url, 'POST', '/api/v1/stations', token, { name: '8-ID-I' });
    const created = await api(server.url, 'POST', '/api/v1/experiments', token, {
      name: experimentName,
      station: '8-ID-I',
    });
    if (created.status !== 201 && created.status !== 200) {
      throw new Error(`creating the experiment: ${created.status} ${JSON.stringify(created.body)}`);
    }
    const experimentId = created.body.id as number;

    const seconds = await ingest(db, profile, experimentId);
    const maintenanceStarted = performance.now();
    let size: number;
    if (profile.name === 'postgres') {
      await sql`vacuum analyze files`.execute(db);
      await sql`vacuum analyze file_metadata`.execute(db);
      const row = await sql<{
        bytes: number;
      }>`select (pg_total_relation_size('files') + pg_total_relation_size('file_metadata'))::bigint as bytes`.execute(
        db,
      );
      size = Number(row.rows[0]?.bytes);
    } else {
      await sql`pragma wal_checkpoint(truncate)`.execute(db);
      size = statSync(databaseUrl.slice('sqlite:'.length)).size;
    }
    const maintenance = (performance.now() - maintenanceStarted) / 1000;
    console.log(
      `catalog ${label} ingest: ${thousands(records)} records in ${seconds.toFixed(1)} s, ` +
        `${thousands(records / seconds)} records/s; ` +
        `${profile.name === 'postgres' ? 'vacuum analyze' : 'wal checkpoint'} ${maintenance.toFixed(1)} s; ` +
        `${profile.name === 'postgres' ? 'files and file_metadata with indexes' : 'database file'} ` +
        `${thousands(size / 2 ** 20)} MiB`,
    );

    // The machine may be shared: its load says how far to trust the tail latencies.
    const load = () =>
      `load average ${loadavg()
        .map((value) => value.toFixed(1))
        .join(' ')}`;
    console.log(`catalog ${label} queries start: ${load()}`);
    const base = `${server.url}/api/v1/experiments/${experimentName}/files`;
    // The connection kept alive since before the ingest may have been closed by the server meanwhile: the
    // first request after a long ingest can fail on it (EPIPE), and is not measured anyway.
    await fetch(`${server.url}/api/health`).catch(() => undefined);
    for (const query of queries) {
      const timing = await timeQuery(base + query.path, token);
      console.log(
        `catalog ${label} ${query.name}: p50 ${round(timing.p50)} ms, p99 ${round(timing.p99)} ms, ` +
          `max ${round(timing.max)} ms (${thousands(timing.results)} results; ${timing.requests} requests)`,
      );
    }
    console.log(`catalog ${label} queries end: ${load()}`);
    if (values.explain) {
      for (const query of queries) {
        const plan = await explain(db, profile, await query.compile(db, profile, experimentId));
        console.log(`  plan ${label} ${query.name} (${round(plan.ms)} ms):\n${plan.text}`);
      }
    }
    if (values.hold) console.log(`  ${label}: server ${server.url}, database ${databaseUrl}`);
    return cleanup;
  } catch (error) {
    console.error(`server output (exit ${server.child.exitCode}):\n${server.output().slice(-4000)}`);
    await cleanup();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------

console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model}), ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
    `Node ${process.version}; ${thousands(records)} records, up to ${maxSamples} requests or ` +
    `${budgetMs / 1000} s a query`,
);
const cleanups: Array<() => Promise<void>> = [];
const stopAll = async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
};
try {
  if (values.only !== 'postgres') {
    const cleanup = await measure('sqlite', undefined);
    // Unless held, SQLite's server and files go before PostgreSQL is measured on the same cores.
    if (values.hold) cleanups.push(cleanup);
    else await cleanup();
  }
  if (values.only !== 'sqlite') {
    const binaries = findPostgresBinaries();
    if ('missing' in binaries) {
      console.log(`catalog postgres: skipped (${binaries.missing})`);
    } else {
      const cluster = await startPostgresCluster();
      cleanups.push(() => cluster.stop());
      console.log(`postgres: ${cluster.version}`);
      cleanups.push(await measure('postgres', cluster.url));
    }
  }
  if (values.hold) {
    console.log('holding: Ctrl-C (SIGINT) or SIGTERM stops the servers and removes the databases');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  }
} finally {
  await stopAll();
}
