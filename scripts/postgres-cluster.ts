/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: a fresh data directory in /tmp, a free loopback
 * port, no durability (fsync off: the data dies with the run anyway), removed again by `stop()`.
 *
 * Nothing here touches a PostgreSQL installed for other purposes: the cluster has its own directory, port
 * and socket directory, and is stopped by its own postmaster PID, never by name.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { exitOf, isAlive, killIfAlive, killProcessGroup, run, runToCompletion } from './processes.ts';

export interface PostgresBinaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

export interface PostgresCluster {
  /** Superuser connection to the `postgres` database, e.g. `postgres://postgres@127.0.0.1:40123/postgres`. */
  url: string;
  /** The postmaster's PID (not that of a `runuser` wrapper). */
  pid: number;
  /** `postgres (PostgreSQL) 15.18 ...`, for the run's log. */
  version: string;
  /** Stops the server (fast shutdown, SIGKILL if that fails) and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** PostgreSQL ≥ 15 is the production target (DESIGN.md); older servers lack e.g. `DROP DATABASE ... FORCE`. */
const minimumMajorVersion = 15;
const readyTimeoutMs = 15_000;
const portAttempts = 5;
const binaryNames = ['initdb', 'pg_ctl', 'postgres'] as const;

/**
 * Finds `initdb`, `pg_ctl` and `postgres` in one directory: on PATH first, then in Debian's
 * `/usr/lib/postgresql/<version>/bin` (highest version first), where the `postgresql` package installs them
 * without putting them on PATH.
 *
 * @example
 * const binaries = findPostgresBinaries();
 * if ('missing' in binaries) console.error(binaries.missing);
 */
export function findPostgresBinaries(): PostgresBinaries | { missing: string } {
  const pathDirectories = (process.env.PATH ?? '').split(delimiter).filter((entry) => entry !== '');
  const directories = [...pathDirectories, ...debianBinDirectories()];
  for (const directory of directories) {
    const candidate: PostgresBinaries = {
      initdb: join(directory, 'initdb'),
      pg_ctl: join(directory, 'pg_ctl'),
      postgres: join(directory, 'postgres'),
    };
    if (Object.values(candidate).every(isExecutable)) return candidate;
  }
  const found = binaryNames.filter((name) => directories.some((dir) => isExecutable(join(dir, name))));
  if (found.length === 0) {
    return {
      missing:
        'no PostgreSQL server binaries (initdb, pg_ctl, postgres) on PATH or in /usr/lib/postgresql/*/bin; ' +
        'install PostgreSQL >= 15 (Debian: apt-get install postgresql)',
    };
  }
  const absent = binaryNames.filter((name) => !found.includes(name));
  return { missing: `found ${found.join(', ')} but not ${absent.join(', ')} in the same directory` };
}

/**
 * Creates and starts a cluster. As root, PostgreSQL runs as the `postgres` system user (it refuses to run
 * as root), which is created if missing.
 *
 * @example
 * const cluster = await startPostgresCluster();
 * try { await runBenchmark(cluster.url); } finally { await cluster.stop(); }
 */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const binaries = findPostgresBinaries();
  if ('missing' in binaries) throw new Error(binaries.missing);
  const version = checkVersion(binaries.postgres);
  const root = await mkdtemp(join(tmpdir(), 'photon-dm-pg-'));
  try {
    const runAs = await prepareServerUser(root);
    const dataDirectory = join(root, 'data');
    await runToCompletion([...runAs, binaries.initdb], initdbArguments(dataDirectory), root);
    for (let attempt = 1; ; attempt++) {
      try {
        return await launch({
          binaries,
          runAs,
          root,
          dataDirectory,
          version,
          port: await freeLoopbackPort(),
        });
      } catch (error) {
        // Another process may take the port between our probe and the postmaster's bind.
        if (!(error instanceof PortTakenError) || attempt === portAttempts) throw error;
      }
    }
  } catch (error) {
    await rm(root, { recursive: true, force: true, maxRetries: 3 });
    throw error;
  }
}

function initdbArguments(dataDirectory: string): string[] {
  // --no-sync: nothing in a throwaway cluster is worth an fsync, and initdb's sync is most of its runtime.
  return [
    '-D',
    dataDirectory,
    '--auth=trust',
    '-U',
    'postgres',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
  ];
}

interface LaunchOptions {
  binaries: PostgresBinaries;
  runAs: string[];
  root: string;
  dataDirectory: string;
  version: string;
  port: number;
}

class PortTakenError extends Error {}

async function launch(options: LaunchOptions): Promise<PostgresCluster> {
  const { binaries, runAs, root, dataDirectory, port } = options;
  const logPath = join(root, `postgres-${port}.log`);
  const logFd = openSync(logPath, 'a');
  const [command = binaries.postgres, ...prefix] = [...runAs, binaries.postgres];
  const args = [...prefix, '-D', dataDirectory, '-p', String(port), '-k', root];
  for (const setting of serverSettings) args.push('-c', setting);
  // detached: a terminal's Ctrl-C goes to the test runner, which then stops the server in order; a server
  // in the same process group would receive SIGINT too and shut down under tests still running.
  const child = spawn(command, args, { cwd: root, detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  child.unref();
  let childExited = false;
  const exited = exitOf(child).finally(() => {
    childExited = true;
  });
  // Only while the group leader lives is its PID sure to still name our group.
  const killWrapperGroup = () => {
    if (!childExited) killProcessGroup(child.pid);
  };
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  try {
    await waitUntilReady(url, exited, logPath);
  } catch (error) {
    killWrapperGroup();
    await Promise.race([exited, sleep(5_000)]);
    throw error;
  }
  const pid = Number(readFileSync(join(dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0]);
  // Last resort if the caller never reaches stop() (an uncaught error, process.exit): no orphaned server.
  const killOnExit = () => {
    killIfAlive(pid);
    killWrapperGroup();
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
  process.on('exit', killOnExit);
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    const pgCtl = [...runAs, binaries.pg_ctl, 'stop', '-D', dataDirectory, '-m', 'fast', '-w', '-t', '10'];
    const [program = binaries.pg_ctl, ...pgCtlArgs] = pgCtl;
    const result = await run(program, pgCtlArgs, root);
    if (result.code !== 0 || isAlive(pid)) killIfAlive(pid);
    await Promise.race([exited, sleep(5_000)]);
    // Whatever outlived the postmaster: its backends, the runuser wrapper (all in the group of `detached`).
    killWrapperGroup();
    process.off('exit', killOnExit);
    await rm(root, { recursive: true, force: true, maxRetries: 3 });
  };
  return { url, pid, version: options.version, stop: () => (stopping ??= stop()) };
}

/** Speed over durability, and room for the many pools that parallel test files open. */
const serverSettings = [
  'listen_addresses=127.0.0.1',
  'fsync=off',
  'synchronous_commit=off',
  'full_page_writes=off',
  'max_connections=200',
];

async function waitUntilReady(url: string, exited: Promise<number | null>, logPath: string): Promise<void> {
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (hasExited) {
      const log = await logTail(logPath);
      if (log.includes('Address already in use')) throw new PortTakenError(log);
      throw startFailure('PostgreSQL exited during start-up', log);
    }
    if (await acceptsConnections(url)) return;
    await sleep(100);
  }
  throw startFailure(
    `PostgreSQL did not accept connections within ${readyTimeoutMs / 1000} s`,
    await logTail(logPath),
  );
}

/** First line: what happened and the log's last line (FATAL: ... usually), for one-line skip reasons. */
function startFailure(what: string, log: string): Error {
  const lastLine = log.split('\n').at(-1) ?? '';
  return new Error(
    `${what}: ${lastLine.replace(/^.*?\b(FATAL|PANIC|LOG|ERROR):\s*/, '$1: ')}\nserver log:\n${log}`,
  );
}

async function acceptsConnections(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on('error', () => {}); // a server shutting down mid-probe must not crash the run
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false; // "the database system is starting up", connection refused: ask again
  } finally {
    await client.end().catch(() => {});
  }
}

/** Returns the command prefix that runs a program as the server's user, and hands `root` to that user. */
async function prepareServerUser(root: string): Promise<string[]> {
  if (process.getuid?.() !== 0) return [];
  if (spawnSync('id', ['-u', 'postgres']).status !== 0) {
    const created = spawnSync('useradd', ['--system', '--no-create-home', 'postgres'], { encoding: 'utf8' });
    if (created.status !== 0) throw new Error(`cannot create the postgres user: ${created.stderr.trim()}`);
  }
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  await chown(root, uid, gid);
  return ['runuser', '-u', 'postgres', '--'];
}

function checkVersion(postgres: string): string {
  const result = spawnSync(postgres, ['--version'], { encoding: 'utf8' });
  const version = result.stdout.trim();
  const major = Number(/\(PostgreSQL\)\s+(\d+)/.exec(version)?.[1]);
  if (!(major >= minimumMajorVersion)) {
    throw new Error(`${postgres} is "${version}"; PostgreSQL >= ${minimumMajorVersion} is required`);
  }
  return version;
}

function debianBinDirectories(): string[] {
  try {
    return readdirSync('/usr/lib/postgresql')
      .filter((entry) => /^\d+$/.test(entry))
      .sort((a, b) => Number(b) - Number(a))
      .map((version) => `/usr/lib/postgresql/${version}/bin`);
  } catch {
    return [];
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function logTail(logPath: string, lines = 20): Promise<string> {
  const text = await readFile(logPath, 'utf8').catch(() => '(no log)');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
