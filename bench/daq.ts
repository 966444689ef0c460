/**
 * The DAQ end to end against issue 3's goals, through the real `dm serve` (a separate process), on SQLite and
 * (when PostgreSQL is installed) on a throwaway PostgreSQL cluster in the same run. Every DAQ is started
 * through the API with `settleSeconds` 0.2 (the default is 5 s); the server's defaults find files (watch hints
 * looked at every 100 ms, full rescans every DM_DAQ_RESCAN_SECONDS = 15 s). A writer in
 * this process plays the detector, writing into the monitored directory on the same disk as the storage.
 *
 * - small: N files of 64 KB written as fast as the writer can; time from the first write until the DAQ's
 *   nProcessedFiles (GET /api/v1/daqs/{id}, polled every 100 ms) reaches N, in files/s; against `cp -r` of
 *   the same files to another directory on the same disk. Goal: at least 1,000 files/s.
 * - large: M files of S MB, the same way, in MB/s; against one `cp` of the same files. Goal: at least 80% of
 *   `cp`.
 * - latency: small files written at a steady rate (200 files/s for 20 s), each one's close time noted; then
 *   createdAt of its catalog record minus that close time, per file. Goal: p99 under 1 s.
 *
 * Each line also says how much of the DAQ's time went into taking files: the catalog records the time each
 * file's copy, checksums and metadata took (`transferMs`), and what the wall clock shows beyond their sum is
 * scanning, settling and the checks between files. `cp` copies the same files after the DAQ has taken
 * them, best of two runs (see timeCp); `cp + sync` counts writing them to disk too, as the DAQ's fsyncs do.
 * The page cache cannot be dropped without privileges. MB = 2^20 bytes.
 *
 * --cpu-prof-dir DIR starts the servers under `node --cpu-prof` and leaves one profile per server in DIR
 * (the figures are then slower than without).
 *
 * Usage: node --import tsx bench/daq.ts [--small-count 10000 --small-kb 64 --large-count 20 --large-mb 200
 *        --latency-rate 200 --latency-seconds 20 --cases small,large,latency --only sqlite|postgres
 *        --max-wait 300 --cpu-prof-dir DIR]
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import {
  api,
  dmBin,
  type ServerProcess,
  startServerProcess,
} from '../packages/server/test/support/server-process.ts';
import {
  ascending,
  type CatalogFile,
  cpuSeconds,
  DaqApi,
  describeMachine,
  eachDatabase,
  fmt,
  MB,
  percent,
  percentile,
  smallName,
  writeLargeFiles,
  writeSmallFile,
  writeSmallFiles,
} from './daq-support.ts';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    'small-count': { type: 'string', default: '10000' },
    'small-kb': { type: 'string', default: '64' },
    'large-count': { type: 'string', default: '20' },
    'large-mb': { type: 'string', default: '200' },
    'latency-rate': { type: 'string', default: '200' },
    'latency-seconds': { type: 'string', default: '20' },
    cases: { type: 'string', default: 'small,large,latency' },
    only: { type: 'string' },
    'max-wait': { type: 'string', default: '300' },
    'cpu-prof-dir': { type: 'string' },
  },
});
const smallCount = Number(values['small-count']);
const smallKb = Number(values['small-kb']);
let largeCount = Number(values['large-count']);
const largeMb = Number(values['large-mb']);
const latencyRate = Number(values['latency-rate']);
const latencySeconds = Number(values['latency-seconds']);
const cases = new Set(values.cases.split(','));
const maxWaitMs = Number(values['max-wait']) * 1000;
const cpuProfDir = values['cpu-prof-dir'];
const settleSeconds = 0.2;
const password = 'bench-admin-password';
const station = '8-ID-I';

// ---------------------------------------------------------------------------------------------------------
// The server and its API

/** `dm serve` as startServerProcess starts it, but under `node --cpu-prof` (not allowed in NODE_OPTIONS). */
async function startProfiledServer(args: string[], env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, dmBin, 'serve', '--port', '0', ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const url = /Photon DM listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url !== undefined) resolve(url);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
  return {
    url,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return (await exited)[0] as number | null;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Writers, cp, arithmetic

/**
 * Best seconds of `cp`, and of `cp` then `sync`, copying into fresh directories under `work`: each runs
 * twice, alternately, after a `sync`. The first run may read sources the kernel has evicted since the DAQ
 * read them (this VM pages out what has not been touched for about 30 s); the best run reads them from
 * the page cache, as the DAQ did.
 */
async function timeCp(
  work: string,
  cpArgs: (to: string) => string[],
): Promise<{ cp: number; cpSync: number }> {
  const best = { cp: Infinity, cpSync: Infinity };
  for (let round = 0; round < 2; round++) {
    for (const side of ['cp', 'cpSync'] as const) {
      const to = join(work, `cp-${side}`);
      await mkdir(to);
      await run('sync');
      const started = performance.now();
      await run('cp', cpArgs(to));
      if (side === 'cpSync') await run('sync');
      best[side] = Math.min(best[side], (performance.now() - started) / 1000);
      await rm(to, { recursive: true });
    }
  }
  return best;
}

const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

/**
 * The p50 of the catalog's `transferMs` (from the start of a file's take to its record; small files are
 * taken in batches, so a file's time is its batch's), and the CPU the server used per file, user + system,
 * all its threads: the measure of cost that a busy or idle machine changes least.
 */
function takeTimes(files: CatalogFile[], cpuSeconds: number): string {
  const ms = ascending(files.map((file) => file.transferMs ?? 0));
  return (
    `take p50 ${fmt(percentile(ms, 50), 1)} ms; server CPU ${fmt((1000 * cpuSeconds) / files.length, 2)} ms a file ` +
    `(${fmt(cpuSeconds, 1)} s)`
  );
}

let serverPid: number | undefined;
/** CPU seconds (user + system) the server process has used so far. */
const serverCpuSeconds = () => cpuSeconds(serverPid);

// ---------------------------------------------------------------------------------------------------------
// The cases

async function small(client: DaqApi, work: string, label: string): Promise<void> {
  const detector = join(work, 'small-detector');
  await mkdir(detector);
  const daq = await client.startDaq('daq-small', detector);
  await run('sync');
  const cpuBefore = await serverCpuSeconds();
  const started = performance.now();
  const writing = writeSmallFiles(detector, smallCount, smallKb);
  const done = await client.waitForTaken(daq.id, smallCount);
  const cpu = (await serverCpuSeconds()) - cpuBefore;
  const writerSeconds = await writing;
  await client.call('POST', `/api/v1/daqs/${daq.id}/stop`);
  const seconds = (done.at - started) / 1000;
  const files = await client.files('daq-small');
  const cp = await timeCp(work, (to) => ['-r', `${detector}/.`, to]);
  const rate = done.taken / seconds;
  console.log(
    `daq ${label} small: ${fmt(done.taken)}${done.complete ? '' : ` of ${fmt(smallCount)} (gave up)`} files ` +
      `of ${smallKb} KB in ${fmt(seconds, 1)} s = ${fmt(rate)} files/s end to end; ` +
      `cp -r ${fmt(smallCount / cp.cp)} files/s, cp -r + sync ${fmt(smallCount / cp.cpSync)} files/s; ` +
      `writer ${fmt(smallCount / writerSeconds)} files/s; ${takeTimes(files, cpu)}; ` +
      `goal >= 1,000 files/s ${met(done.complete && rate >= 1000)}`,
  );
  await rm(detector, { recursive: true });
}

async function large(client: DaqApi, work: string, label: string): Promise<void> {
  const detector = join(work, 'large-detector');
  await mkdir(detector);
  const daq = await client.startDaq('daq-large', detector);
  await run('sync');
  const cpuBefore = await serverCpuSeconds();
  const started = performance.now();
  const writing = writeLargeFiles(detector, largeCount, largeMb);
  const done = await client.waitForTaken(daq.id, largeCount);
  const cpu = (await serverCpuSeconds()) - cpuBefore;
  const writerSeconds = await writing;
  await client.call('POST', `/api/v1/daqs/${daq.id}/stop`);
  const seconds = (done.at - started) / 1000;
  const files = await client.files('daq-large');
  const sources = (await readdir(detector)).map((name) => join(detector, name));
  const cp = await timeCp(work, (to) => [...sources, to]);
  const rate = (done.taken * largeMb) / seconds;
  const total = largeCount * largeMb;
  console.log(
    `daq ${label} large: ${done.taken}${done.complete ? '' : ` of ${largeCount} (gave up)`} files of ` +
      `${largeMb} MB in ${fmt(seconds, 1)} s = ${fmt(rate)} MB/s end to end; cp ${fmt(total / cp.cp)} MB/s ` +
      `(DAQ ${percent(rate, total / cp.cp)} of it), cp + sync ${fmt(total / cp.cpSync)} MB/s ` +
      `(DAQ ${percent(rate, total / cp.cpSync)}); writer ${fmt(total / writerSeconds)} MB/s; ` +
      `${takeTimes(files, cpu)}; goal >= 80% of cp ${met(done.complete && rate >= 0.8 * (total / cp.cp))}`,
  );
  await rm(detector, { recursive: true });
}

async function latency(client: DaqApi, work: string, label: string): Promise<void> {
  const detector = join(work, 'latency-detector');
  await mkdir(detector);
  const daq = await client.startDaq('daq-latency', detector);
  const count = Math.round(latencyRate * latencySeconds);
  const content = randomBytes(smallKb * 1024);
  const closedAt = new Map<string, number>();
  await run('sync');
  const started = Date.now();
  let late = 0;
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / latencyRate;
    const ahead = due - Date.now();
    if (ahead > 0) await sleep(ahead);
    else if (ahead < -20) late++;
    const name = smallName(i);
    writeSmallFile(join(detector, name), content, i);
    // writeFileSync returns once the file is closed.
    closedAt.set(name, Date.now());
  }
  const writeSeconds = (Date.now() - started) / 1000;
  const done = await client.waitForTaken(daq.id, count);
  await client.call('POST', `/api/v1/daqs/${daq.id}/stop`);
  const files = await client.files('daq-latency');
  const rows = files
    .map((file) => {
      const close = closedAt.get(file.experimentFilePath);
      if (close === undefined) throw new Error(`${file.experimentFilePath} was taken but not written here`);
      return { close, total: Date.parse(file.createdAt) - close, take: file.transferMs ?? 0 };
    })
    .sort((a, b) => a.close - b.close);
  const totals = ascending(rows.map((row) => row.total));
  const waits = ascending(rows.map((row) => row.total - row.take));
  const takes = ascending(rows.map((row) => row.take));
  const quarter = Math.floor(rows.length / 4);
  const p99Of = (part: typeof rows) => fmt(percentile(ascending(part.map((row) => row.total)), 99));
  console.log(
    `daq ${label} latency: ${fmt(done.taken)}${done.complete ? '' : ` of ${fmt(count)} (gave up)`} files of ` +
      `${smallKb} KB at ${fmt(count / writeSeconds)} files/s (target ${latencyRate}, ${late} writes late by ` +
      `> 20 ms) for ${fmt(writeSeconds, 1)} s: close to catalog record p50 ${fmt(percentile(totals, 50))} ms, ` +
      `p90 ${fmt(percentile(totals, 90))} ms, p99 ${fmt(percentile(totals, 99))} ms, ` +
      `max ${fmt(totals.at(-1) ?? Number.NaN)} ms; of which before the take p50 ${fmt(percentile(waits, 50))} ` +
      `/ p99 ${fmt(percentile(waits, 99))} ms, the take p50 ${fmt(percentile(takes, 50), 1)} / ` +
      `p99 ${fmt(percentile(takes, 99), 1)} ms; p99 of the first quarter ${p99Of(rows.slice(0, quarter))} ms, ` +
      `of the last ${p99Of(rows.slice(-quarter))} ms; ` +
      `goal p99 < 1 s ${met(done.complete && percentile(totals, 99) < 1000)}`,
  );
  await rm(detector, { recursive: true });
}

async function measure(label: string, databaseUrl: string | undefined, root: string): Promise<void> {
  const work = await mkdtemp(join(root, `${label}-`));
  const args = [
    '--data-dir',
    join(work, 'data'),
    '--log-level',
    'warn',
    ...(databaseUrl ? ['--database-url', databaseUrl] : []),
  ];
  const env = { DM_ADMIN_PASSWORD: password };
  const server = cpuProfDir ? await startProfiledServer(args, env) : await startServerProcess(args, env);
  serverPid = server.child.pid;
  try {
    const login = await api(server.url, 'POST', '/api/v1/auth/login', null, { username: 'admin', password });
    const client = new DaqApi(server.url, login.body.token as string, { station, settleSeconds, maxWaitMs });
    await client.call('POST', '/api/v1/stations', { name: station });
    if (cases.has('small')) await small(client, work, label);
    if (cases.has('large')) await large(client, work, label);
    if (cases.has('latency')) await latency(client, work, label);
  } finally {
    const code = await server.stop();
    if (code !== 0) console.log(`server exited with ${code}:\n${server.output()}`);
    await rm(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------

const root = await mkdtemp(join(tmpdir(), 'dm-bench-daq-'));
try {
  const machine = await describeMachine(root);
  console.log(
    `${machine.text}; DAQs with settleSeconds ${settleSeconds}, the server's default discovery ` +
      '(watch hints, 15 s rescans)',
  );

  // One database at a time holds the large sources, the DAQ's copies and cp's copy: three times the data,
  // plus the small files three times over; 2 GiB kept free.
  if (cases.has('large')) {
    const spare = machine.freeBytes - 3 * smallCount * smallKb * 1024 - 2 * 2 ** 30;
    const fits = Math.floor(spare / (3 * largeMb * MB));
    if (fits < largeCount) {
      console.log(`note: only room for ${fits} large files of ${largeMb} MB, not ${largeCount}: fewer taken`);
      largeCount = Math.max(1, fits);
    }
  }
  await eachDatabase('daq', values.only, (label, url) => measure(label, url, root));
} finally {
  await rm(root, { recursive: true, force: true });
}
