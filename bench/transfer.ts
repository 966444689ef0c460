/**
 * Verified copy against `cp` on the same disk, in the same run: a few large files (MB/s) and many small ones
 * (files/s). Prints one line per case, and for large files two more: cp followed by `sync` and the share
 * of copyVerified's time spent verifying; then the CPU each spends per MB, beside what the two checksums
 * alone cost, and the ceiling that puts on any verified copy with this machine's cores.
 *
 * The page cache cannot be dropped reliably without privileges, so both sides read sources that are in
 * it; each runs twice, alternately, and the best run of each counts. Between runs, `sync` flushes the
 * previous run's writes, so neither side pays for the other's. MB = 2^20 bytes.
 *
 * Usage: node --import tsx bench/transfer.ts [--large-count 10 --large-mb 100 --small-count 2000
 *        --small-kb 64 --concurrency 8 --directory /path/on/the/disk/to/measure]
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { copyVerified } from '../packages/server/src/transfer/verified-copy.ts';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    'large-count': { type: 'string', default: '10' },
    'large-mb': { type: 'string', default: '100' },
    'small-count': { type: 'string', default: '2000' },
    'small-kb': { type: 'string', default: '64' },
    concurrency: { type: 'string', default: '8' },
    directory: { type: 'string', default: tmpdir() },
  },
});
const largeCount = Number(values['large-count']);
const largeMb = Number(values['large-mb']);
const smallCount = Number(values['small-count']);
const smallKb = Number(values['small-kb']);
const concurrency = Number(values.concurrency);
const rounds = 2;

/** Seconds taken by `action`, after the previous run's writes are on disk. */
async function timed(action: () => Promise<unknown>): Promise<number> {
  await run('sync');
  const started = performance.now();
  await action();
  return (performance.now() - started) / 1000;
}

async function writeLargeFiles(directory: string): Promise<string[]> {
  await mkdir(directory);
  const files: string[] = [];
  for (let i = 0; i < largeCount; i++) {
    const path = join(directory, `frame-${i}.h5`);
    const handle = await open(path, 'w');
    for (let mb = 0; mb < largeMb; mb++) await handle.write(randomBytes(2 ** 20));
    await handle.close();
    files.push(path);
  }
  return files;
}

async function writeSmallFiles(directory: string): Promise<string[]> {
  await mkdir(directory);
  const names = Array.from({ length: smallCount }, (_, i) => `frame-${String(i).padStart(6, '0')}.tif`);
  for (const name of names) await writeFile(join(directory, name), randomBytes(smallKb * 1024));
  return names;
}

/** Copies every source into `destination` with at most `limit` copies at a time, as a DAQ would. */
async function copyAll(sources: string[], destination: string, limit: number): Promise<void> {
  const queue = [...sources];
  const copyNext = async (): Promise<void> => {
    for (let source = queue.shift(); source !== undefined; source = queue.shift()) {
      const name = source.slice(source.lastIndexOf('/') + 1);
      await copyVerified({
        source,
        destination: join(destination, name),
        onExisting: 'skip-identical-else-refuse',
      });
    }
  };
  await Promise.all(Array.from({ length: limit }, copyNext));
}

type Side = 'cp' | 'cpSync' | 'verified';

/**
 * Best seconds of each side, run alternately into fresh directories. `cpSync` is cp followed by `sync`:
 * copyVerified's files are on disk when it returns, cp's are still in the page cache.
 */
async function measure(work: string, copies: Record<'cp' | 'verified', (to: string) => Promise<unknown>>) {
  const best: Record<Side, number> = { cp: Infinity, cpSync: Infinity, verified: Infinity };
  for (let round = 0; round < rounds; round++) {
    for (const side of ['cp', 'cpSync', 'verified'] as const) {
      const to = join(work, `out-${side}-${round}`);
      await mkdir(to);
      const copy = copies[side === 'verified' ? 'verified' : 'cp'];
      const seconds = await timed(() => (side === 'cpSync' ? copy(to).then(() => run('sync')) : copy(to)));
      best[side] = Math.min(best[side], seconds);
      await rm(to, { recursive: true });
    }
  }
  return best;
}

/** The share of copyVerified's time spent after the copy pass: verification, rename, directory fsync. */
async function verificationShare(sources: string[], work: string): Promise<number> {
  let total = 0;
  let afterWrite = 0;
  for (const source of sources) {
    const started = performance.now();
    let written = started;
    await copyVerified({
      source,
      destination: join(work, 'share', 'frame.h5'),
      onExisting: 'overwrite-keep-old',
      oldVersionsDirectory: join(work, 'share-old'),
      // The test seam, used here only to note the time; it changes nothing in the copy.
      hooks: {
        afterWrite: async () => {
          written = performance.now();
        },
      },
    });
    total += performance.now() - started;
    afterWrite += performance.now() - written;
    await rm(join(work, 'share-old'), { recursive: true, force: true });
  }
  await rm(join(work, 'share'), { recursive: true });
  return afterWrite / total;
}

/** CPU milliseconds of this process (every thread) and of its finished children, user and system. */
async function cpuNow(): Promise<{ user: number; system: number; children: number }> {
  const { user, system } = process.cpuUsage();
  // /proc/self/stat: cutime and cstime (fields 16 and 17) in clock ticks of 10 ms; the name (field 2) may
  // hold spaces, so fields are counted after its closing parenthesis.
  const stat = await readFile('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const children = (Number(fields[13]) + Number(fields[14])) * 10;
  return { user: user / 1000, system: system / 1000, children };
}

/** Milliseconds of CPU one hash spends per MB, over 256 MB hashed in 4 MiB updates. */
function hashMsPerMb(algorithm: 'md5' | 'sha256'): number {
  const chunk = randomBytes(4 * 2 ** 20);
  const started = process.cpuUsage();
  const hash = createHash(algorithm);
  for (let i = 0; i < 64; i++) hash.update(chunk);
  hash.digest();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000 / 256;
}

/**
 * CPU per MB of copyVerified (all its threads) and of cp (its process), each copying every large file once,
 * and what MD5 and SHA-256 cost alone. A verified copy needs at least both hashes plus the kernel's work of
 * writing the bytes (cp's): divided among the cores, that bounds any verified copy on this machine.
 */
async function cpuBudget(sources: string[], work: string) {
  const before = await cpuNow();
  await copyAll(sources, join(work, 'budget-verified'), 1);
  const copied = await cpuNow();
  await mkdir(join(work, 'budget-cp'));
  await run('cp', [...sources, join(work, 'budget-cp')]);
  const after = await cpuNow();
  await rm(join(work, 'budget-verified'), { recursive: true });
  await rm(join(work, 'budget-cp'), { recursive: true });
  const megabytes = sources.length * largeMb;
  const md5 = hashMsPerMb('md5');
  const sha256 = hashMsPerMb('sha256');
  const cp = (after.children - copied.children) / megabytes;
  return {
    user: (copied.user - before.user) / megabytes,
    system: (copied.system - before.system) / megabytes,
    cp,
    md5,
    sha256,
    ceiling: (cpus().length * 1000) / (md5 + sha256 + cp),
  };
}

const rate = (amount: number, seconds: number) => (amount / seconds).toFixed(0);
const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(0)}%`;

const work = await mkdtemp(join(values.directory, 'dm-bench-transfer-'));
try {
  const { stdout: disk } = await run('df', ['--output=source,fstype', work]);
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model}), ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
      `Node ${process.version}, disk ${disk.trim().split('\n')[1]?.replace(/\s+/g, ' ')}`,
  );
  const large = await writeLargeFiles(join(work, 'large'));
  const megabytes = largeCount * largeMb;
  const l = await measure(work, {
    cp: (to) => run('cp', [...large, to]),
    verified: (to) => copyAll(large, to, 1),
  });
  console.log(
    `transfer large: copyVerified ${rate(megabytes, l.verified)} MB/s, cp ${rate(megabytes, l.cp)} MB/s ` +
      `(${percent(l.cp, l.verified)} of cp), ${largeCount} files of ${largeMb} MB`,
  );
  const share = await verificationShare(large.slice(0, 3), work);
  console.log(
    `transfer large: cp + sync ${rate(megabytes, l.cpSync)} MB/s (copyVerified ${percent(l.cpSync, l.verified)} ` +
      `of it); verification re-read and rename ${percent(share, 1)} of copyVerified's time`,
  );
  const budget = await cpuBudget(large, work);
  const ms = (value: number) => value.toFixed(2);
  console.log(
    `transfer large, CPU per MB: copyVerified ${ms(budget.user + budget.system)} ms (user ${ms(budget.user)}, ` +
      `system ${ms(budget.system)}), cp ${ms(budget.cp)} ms; MD5 alone ${ms(budget.md5)} ms, SHA-256 alone ` +
      `${ms(budget.sha256)} ms. Both hashes and cp's kernel work on ${cpus().length} cores cap any verified ` +
      `copy at ${rate(budget.ceiling, 1)} MB/s: ${percent(l.cp, megabytes / budget.ceiling)} of cp, ` +
      `${percent(l.cpSync, megabytes / budget.ceiling)} of cp + sync`,
  );
  await rm(join(work, 'large'), { recursive: true });

  const smallDirectory = join(work, 'small');
  const small = (await writeSmallFiles(smallDirectory)).map((name) => join(smallDirectory, name));
  const s = await measure(work, {
    cp: (to) => run('cp', ['-r', `${smallDirectory}/.`, to]),
    verified: (to) => copyAll(small, to, concurrency),
  });
  console.log(
    `transfer small: copyVerified ${rate(smallCount, s.verified)} files/s, cp ${rate(smallCount, s.cp)} files/s, ` +
      `cp + sync ${rate(smallCount, s.cpSync)} files/s; ${smallCount} files of ${smallKb} KB, ` +
      `${concurrency} copies at a time`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
