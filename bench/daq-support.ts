/**
 * What the DAQ benches share (bench/daq.ts, bench/daq-agent.ts): a client of the real server's API that
 * starts DAQs and waits for their files, the detector's writers, the CPU a process used, and formatting.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { api } from '../packages/server/test/support/server-process.ts';
import { findPostgresBinaries, startPostgresCluster } from '../scripts/postgres-cluster.ts';

export const MB = 2 ** 20;
/** How often the benches ask the server how far a DAQ is. */
export const pollMs = 100;
/** A wait ends early when the count has not moved for this long. */
const stallMs = 60_000;

export interface Daq {
  id: number;
  status: string;
  nProcessedFiles: number;
  nProcessingErrors: number;
  lastError: string | null;
}

export interface CatalogFile {
  experimentFilePath: string;
  createdAt: string;
  transferMs: number | null;
}

export interface DaqApiOptions {
  station: string;
  settleSeconds: number;
  /** A wait for a DAQ's files gives up after this long. */
  maxWaitMs: number;
}

export class DaqApi {
  constructor(
    readonly url: string,
    private readonly token: string,
    private readonly options: DaqApiOptions,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await api(this.url, method, path, this.token, body);
    if (response.status >= 300)
      throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as T;
  }

  /**
   * A new experiment and a DAQ on `directory` into it (run by `agent` if named, else by the server), once
   * its runner or agent has claimed it.
   */
  async startDaq(experiment: string, directory: string, agent?: string): Promise<Daq> {
    await this.call('POST', '/api/v1/experiments', { name: experiment, station: this.options.station });
    const daq = await this.call<Daq>('POST', '/api/v1/daqs', {
      experiment,
      dataDirectory: directory,
      settleSeconds: this.options.settleSeconds,
      ...(agent !== undefined && { agent }),
    });
    for (let waited = 0; waited < 30_000; waited += pollMs) {
      if ((await this.daq(daq.id)).status === 'running') return daq;
      await sleep(pollMs);
    }
    throw new Error(`DAQ ${daq.id} not running after 30 s`);
  }

  daq(id: number): Promise<Daq> {
    return this.call<Daq>('GET', `/api/v1/daqs/${id}`);
  }

  /**
   * Polls the DAQ every 100 ms until it has taken `count` files; the time of the poll that saw them all, in
   * performance.now() milliseconds. Gives up after maxWaitMs, or when the count has not moved for a
   * minute; the files taken by then are returned with the time of the last poll.
   */
  async waitForTaken(id: number, count: number): Promise<{ taken: number; at: number; complete: boolean }> {
    const started = performance.now();
    let taken = -1;
    let movedAt = started;
    while (true) {
      const daq = await this.daq(id);
      const at = performance.now();
      if (daq.nProcessingErrors > 0) throw new Error(`DAQ ${id}: ${daq.lastError}`);
      if (daq.nProcessedFiles >= count) return { taken: daq.nProcessedFiles, at, complete: true };
      if (daq.nProcessedFiles !== taken) {
        taken = daq.nProcessedFiles;
        movedAt = at;
      }
      if (at - started > this.options.maxWaitMs || at - movedAt > stallMs)
        return { taken, at, complete: false };
      await sleep(pollMs);
    }
  }

  /** Every catalog record of an experiment, in pages of 1,000. */
  async files(experiment: string): Promise<CatalogFile[]> {
    const files: CatalogFile[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page: { items: CatalogFile[]; nextCursor: string | null } = await this.call(
        'GET',
        `/api/v1/experiments/${experiment}/files?limit=1000${query}`,
      );
      files.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return files;
  }
}

/** One random buffer, each file made distinct by its number in the first bytes. */
export function writeSmallFile(path: string, content: Buffer, index: number): void {
  content.writeUInt32LE(index, 0);
  writeFileSync(path, content);
}

export const smallName = (i: number) => `frame-${String(i).padStart(6, '0')}.tif`;

/** Writes `count` files of `kb` KB, yielding to the event loop every 100 so the polls run; seconds taken. */
export async function writeSmallFiles(directory: string, count: number, kb: number): Promise<number> {
  const content = randomBytes(kb * 1024);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    writeSmallFile(join(directory, smallName(i)), content, i);
    if (i % 100 === 99) await new Promise(setImmediate);
  }
  return (performance.now() - started) / 1000;
}

/**
 * `count` files of `mb` MB in 4 MiB writes from a few random chunks, each chunk stamped with its file and
 * position; seconds taken.
 */
export async function writeLargeFiles(directory: string, count: number, mb: number): Promise<number> {
  const chunkBytes = 4 * MB;
  const chunks = Array.from({ length: 4 }, () => randomBytes(chunkBytes));
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const fd = openSync(join(directory, `scan-${String(i).padStart(4, '0')}.raw`), 'w');
    try {
      for (let written = 0, n = 0; written < mb * MB; n++) {
        const chunk = chunks[n % chunks.length];
        if (chunk === undefined) throw new Error('no chunks to write');
        chunk.writeUInt32LE(i, 0);
        chunk.writeUInt32LE(n, 4);
        const length = Math.min(chunkBytes, mb * MB - written);
        writeSync(fd, chunk, 0, length);
        written += length;
      }
    } finally {
      closeSync(fd);
    }
    await new Promise(setImmediate);
  }
  return (performance.now() - started) / 1000;
}

/** CPU seconds (user + system, all threads) process `pid` has used so far, from /proc; 0 without one. */
export async function cpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): utime and stime are the 14th and 15th fields.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export const ascending = (numbers: number[]) => [...numbers].sort((a, b) => a - b);
export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
export const percent = (part: number, whole: number) => `${fmt((100 * part) / whole)}%`;

/** The machine and the disk under `directory`, for a bench's first line, and the bytes free there. */
export async function describeMachine(directory: string): Promise<{ text: string; freeBytes: number }> {
  const { stdout } = await promisify(execFile)('df', ['-B1', '--output=source,fstype,avail', directory]);
  const [source, fstype, avail] = (stdout.trim().split('\n')[1] ?? '').trim().split(/\s+/);
  return {
    text:
      `machine: ${cpus().length} cores (${cpus()[0]?.model}), ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
      `Node ${process.version}, disk ${source} ${fstype}, ${fmt(Number(avail) / 2 ** 30)} GiB free`,
    freeBytes: Number(avail),
  };
}

/**
 * Runs `measure` on SQLite, then on a throwaway PostgreSQL cluster (fsync off, as in the tests) when its
 * binaries are installed, or on one of them with `only`.
 */
export async function eachDatabase(
  bench: string,
  only: string | undefined,
  measure: (label: 'sqlite' | 'postgres', databaseUrl: string | undefined) => Promise<void>,
): Promise<void> {
  if (only !== 'postgres') await measure('sqlite', undefined);
  if (only === 'sqlite') return;
  const binaries = findPostgresBinaries();
  if ('missing' in binaries) {
    console.log(`${bench} postgres: skipped (${binaries.missing})`);
    return;
  }
  const cluster = await startPostgresCluster();
  try {
    console.log(`postgres: ${cluster.version} (throwaway cluster, fsync off)`);
    await measure('postgres', cluster.url);
  } finally {
    await cluster.stop();
  }
}
