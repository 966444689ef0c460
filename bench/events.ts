/**
 * Live events: how fast events can be appended (the PostgreSQL advisory lock makes event-writing
 * transactions commit one at a time), and how long an event takes from commit to the streams of a real
 * `dm serve` in another process, with 1 and 100 streams open. The publisher is this process writing to the
 * database directly, as a worker process on another host would. Prints one line per database and case.
 *
 * Usage: node --import tsx bench/events.ts [-- --events 500 --writers 8]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../packages/server/src/db/connection.ts';
import { migrateToLatest } from '../packages/server/src/db/migrate.ts';
import { publishEvent } from '../packages/server/src/events/publish.ts';
import { insertEvent } from '../packages/server/src/events/store.ts';
import { anyEvent, openEventStream } from '../packages/server/test/support/event-stream.ts';
import { api, startServerProcess } from '../packages/server/test/support/server-process.ts';
import { findPostgresBinaries, startPostgresCluster } from '../scripts/postgres-cluster.ts';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '500' }, writers: { type: 'string', default: '8' } },
});
const eventCount = Number(values.events);
const writers = Number(values.writers);
const password = 'bench-admin-password';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Events per second appended by `writers` concurrent writers, with publishEvent and with a bare insert. */
async function appendRate(label: string, databaseUrl: string) {
  const database = openDatabase({ url: databaseUrl, poolSize: writers });
  try {
    await migrateToLatest(database.db, database.profile);
    for (const [how, append] of [
      ['publishEvent', () => publishEvent(database.db, anyEvent({ type: 'job.status', subjectId: 'bench' }))],
      ['bare insert', () => insertEvent(database.db, anyEvent({ type: 'job.status', subjectId: 'bench' }))],
    ] as const) {
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: writers }, async () => {
          while (next++ < eventCount) await append();
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `events append ${label}: ${how}, ${writers} writers: ${Math.round(eventCount / seconds)} events/s`,
      );
    }
  } finally {
    await database.close();
  }
}

/** Commit-to-receipt latency on `streams` streams of a server in another process. */
async function latency(label: string, databaseUrl: string, streams: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'dm-bench-events-'));
  const server = await startServerProcess(['--data-dir', dataDir, '--database-url', databaseUrl], {
    DM_ADMIN_PASSWORD: password,
  });
  const database = openDatabase({ url: databaseUrl, poolSize: 2 });
  try {
    const login = await api(server.url, 'POST', '/api/v1/auth/login', null, { username: 'admin', password });
    const readers = await Promise.all(
      Array.from({ length: streams }, () =>
        openEventStream(server.url, login.body.token, { query: 'subject=lat' }),
      ),
    );
    const delays: number[] = [];
    const count = 100;
    for (let index = 0; index < count; index++) {
      const published = performance.now();
      await publishEvent(database.db, anyEvent({ type: 'job.status', subjectId: 'lat', payload: { index } }));
      const committed = performance.now();
      const received = await Promise.all(
        readers.map((reader) => reader.next(30_000).then(() => performance.now())),
      );
      for (const at of received) delays.push(at - committed);
      // Spread out, so each event is measured on its own rather than as part of a burst.
      await new Promise((resolve) => setTimeout(resolve, 20 + ((published * 7) % 30)));
    }
    for (const reader of readers) reader.close();
    delays.sort((a, b) => a - b);
    console.log(
      `events latency ${label}: ${streams} streams, ${count} events: p50 ${percentile(delays, 50).toFixed(1)} ms, ` +
        `p99 ${percentile(delays, 99).toFixed(1)} ms, max ${(delays.at(-1) ?? Number.NaN).toFixed(1)} ms`,
    );
  } finally {
    await database.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);
const sqliteDir = mkdtempSync(join(tmpdir(), 'dm-bench-events-db-'));
try {
  const url = `sqlite:${join(sqliteDir, 'photon-dm.sqlite')}`;
  await appendRate('sqlite', url);
  for (const streams of [1, 100]) await latency('sqlite (other process: polling)', url, streams);
} finally {
  rmSync(sqliteDir, { recursive: true, force: true });
}
const binaries = findPostgresBinaries();
if ('missing' in binaries) {
  console.log(`events postgres: skipped (${binaries.missing})`);
} else {
  const cluster = await startPostgresCluster();
  try {
    await appendRate('postgres', cluster.url);
    for (const streams of [1, 100]) await latency('postgres (NOTIFY)', cluster.url, streams);
  } finally {
    await cluster.stop();
  }
}
