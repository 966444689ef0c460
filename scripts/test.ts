/**
 * `npm test`: every `*.test.ts` under packages/<name>/src and packages/<name>/test, run by Node's test runner
 * through tsx, with one throwaway PostgreSQL cluster shared by the whole run.
 *
 *   npm test                                   all files
 *   npm test -- packages/cli experiments       only files whose path contains one of these texts
 *   npm test -- --test-name-pattern=refuse     arguments starting with `-` go to `node --test` (use `--x=y`)
 *   npm run test:quick                         `--quick`: no browser, no PostgreSQL, no SIGKILL story
 *
 * The quick tier leaves out the portal's end-to-end suites (packages/web/test, a real browser each) and the
 * crash suites (packages/<name>/test/crash: servers and agents killed with SIGKILL and started again), and runs
 * on SQLite only: what to run while working; `npm test` runs everything, as CI does.
 *
 * Its last lines are the run's summary (`# tests N`, `# pass N`, `# fail N`, ...): CI reads them.
 *
 * The test files get `DM_TEST_POSTGRES_URL` (a superuser URL to the cluster's `postgres` database) or, when
 * no PostgreSQL could be started, `DM_TEST_POSTGRES_SKIP_REASON`; `test/support/test-database.ts` reads them.
 *
 * Environment:
 *   CI=true                 PostgreSQL must start: without it the run fails before any test (the suite must
 *                           prove both databases in CI, and a silently skipped half would look green).
 *   DM_TEST_TIMING_ROWS=N   rows of the closing table of slowest files and tests (10 by default).
 *   DM_TEST_CONCURRENCY=N   test files run at once (2 by default).
 *   DM_TEST_BUNDLE=off      run the test files through tsx instead of as bundles (scripts/test-build.ts).
 *   DM_TEST_POSTGRES=off    do not start PostgreSQL: the PostgreSQL suites are skipped, as on a machine
 *                           without it (to check that path, or to iterate faster on SQLite only).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { type Dirent, readdirSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { buildCliIfChanged } from './build-cli.ts';
import { buildPortal, portalIsStale } from './build-web.ts';
import { type PostgresCluster, startPostgresCluster } from './postgres-cluster.ts';
import { buildTestFiles, type TestBuild } from './test-build.ts';
import { timingTable } from './test-timings.ts';

const repositoryRoot = resolve(import.meta.dirname, '..');
const inCi = process.env.CI === 'true' || process.env.CI === '1';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const runnerOptions = args.filter((arg) => arg.startsWith('-') && arg !== '--quick');
  const filters = args.filter((arg) => !arg.startsWith('-')).map((arg) => arg.replace(/^\.\//, ''));
  const files = longestFirst(
    findTestFiles().filter(
      (file) =>
        (filters.length === 0 || filters.some((f) => file.includes(f))) &&
        !(quick && outsideQuickTier.some((part) => file.includes(part))),
    ),
  );
  if (files.length === 0) {
    note(filters.length > 0 ? `no test file matches ${filters.join(' or ')}` : 'no test files found');
    return filters.length > 0 ? 1 : 0;
  }

  // `dm` as one bundle: each of the CLI tests' hundreds of commands then starts in a third of the time.
  await buildCliIfChanged();
  // Built once here: the portal's test files run in parallel and would otherwise race to build it.
  if (files.some((file) => file.startsWith('packages/web/')) && portalIsStale()) {
    note('building the portal for its tests');
    buildPortal();
  }

  const interruption = new Interruption();
  const postgres = quick ? { skipReason: 'npm run test:quick runs on SQLite only' } : await providePostgres();
  if ('skipReason' in postgres) {
    if (inCi && !quick) {
      note(`PostgreSQL is required when CI=true, but it is unavailable: ${postgres.skipReason}`);
      return 1;
    }
    note(`PostgreSQL tests skipped: ${postgres.skipReason}`);
  } else {
    note(
      `PostgreSQL test cluster: ${postgres.cluster.url} (pid ${postgres.cluster.pid}, ${postgres.cluster.version})`,
    );
  }
  try {
    if (interruption.signal !== undefined) return 128 + constants.signals[interruption.signal];
    const code = await runTests(files, runnerOptions, postgres, interruption);
    // An interrupted run is incomplete whatever the runner says (it may exit 0 or 1 on SIGINT).
    return interruption.signal === undefined ? code : 128 + constants.signals[interruption.signal];
  } finally {
    if ('cluster' in postgres) await postgres.cluster.stop();
  }
}

/**
 * Runs the test files with the spec reporter for people and, unless the caller chose reporters, TAP into a
 * file from which the summary is printed again at the very end: the spec reporter lists failures after its
 * own summary, and CI reads the last lines (`# tests N`, `# pass N`, `# fail N`). Just before that summary
 * comes where the time went (scripts/test-timings.ts): the slowest files and tests.
 */
async function runTests(
  files: string[],
  runnerOptions: string[],
  postgres: PostgresForTests,
  interruption: Interruption,
): Promise<number> {
  const testBuild = await buildIfWanted(files);
  try {
    return await runTestFiles(files, testBuild, runnerOptions, postgres, interruption);
  } finally {
    await testBuild?.remove();
  }
}

/** The test files as bundles (scripts/test-build.ts) unless DM_TEST_BUNDLE=off: then through tsx. */
async function buildIfWanted(files: string[]): Promise<TestBuild | undefined> {
  if (process.env.DM_TEST_BUNDLE === 'off') return undefined;
  const started = performance.now();
  const testBuild = await buildTestFiles(repositoryRoot, files);
  note(`built ${files.length} test files in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return testBuild;
}

async function runTestFiles(
  files: string[],
  testBuild: TestBuild | undefined,
  runnerOptions: string[],
  postgres: PostgresForTests,
  interruption: Interruption,
): Promise<number> {
  const summaryFile = join(tmpdir(), `photon-dm-test-${process.pid}.tap`);
  const timingsFile = join(tmpdir(), `photon-dm-test-${process.pid}.timings`);
  const ownReporters = !runnerOptions.some((option) => option.startsWith('--test-reporter'));
  const reporters = ownReporters ? ['--test-reporter=spec', '--test-reporter-destination=stdout'] : [];
  if (ownReporters) {
    reporters.push('--test-reporter=tap', `--test-reporter-destination=${summaryFile}`);
    reporters.push(
      '--test-reporter=./scripts/test-timings-reporter.mjs',
      `--test-reporter-destination=${timingsFile}`,
    );
  }
  // Bundles need no loader; source maps make their stacks name the TypeScript lines.
  const loader = testBuild === undefined ? ['--import', 'tsx'] : ['--enable-source-maps'];
  const runner = spawn(
    process.execPath,
    [
      ...loader,
      '--test',
      `--test-concurrency=${concurrency()}`,
      ...reporters,
      ...runnerOptions,
      ...(testBuild?.bundles ?? files),
    ],
    { cwd: repositoryRoot, stdio: 'inherit', env: testEnvironment(postgres) },
  );
  interruption.forwardTo(runner);
  const code = await exitCodeOf(runner);
  if (!ownReporters) return code;
  const tap = await readFile(summaryFile, 'utf8').catch(() => '');
  await rm(summaryFile, { force: true });
  const timings = await timingTable(timingsFile, Number(process.env.DM_TEST_TIMING_ROWS ?? 10), (file) =>
    testBuild === undefined ? file : testBuild.sourceOf(file),
  );
  await rm(timingsFile, { force: true });
  // The whole run, builds and PostgreSQL's start included (the summary's duration_ms is the runner's only):
  // the figure that must stay under 20 minutes in CI.
  timings.push(
    `# whole run: ${(performance.now() / 1000).toFixed(0)} s (portal build, PostgreSQL start, tests)`,
  );
  process.stdout.write(`${timings.join('\n')}\n`);
  const summary = tap.split('\n').filter((line) => summaryLine.test(line));
  if ('skipReason' in postgres) summary.unshift(`# PostgreSQL tests skipped: ${postgres.skipReason}`);
  if (summary.length > 0) process.stdout.write(`${summary.join('\n')}\n`);
  return code;
}

/** Test files run at once: DM_TEST_CONCURRENCY, or 2 (one per core here; see docs/benchmarks.md). */
function concurrency(): number {
  const given = Number(process.env.DM_TEST_CONCURRENCY ?? 2);
  return Number.isInteger(given) && given > 0 ? given : 2;
}

const summaryLine = /^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /;

/** Path parts of the suites `--quick` leaves out: a browser each, or SIGKILL stories. */
const outsideQuickTier = ['packages/web/test/', '/test/crash/'];

/**
 * The files in the order they start: the suites that take longest first (SIGKILL stories, then browsers,
 * then those that start servers and schedulers), so that no four-minute suite starts last while the other
 * lane idles; alphabetical within each group, so runs are alike everywhere.
 */
const startFirst = ['/test/crash/', 'packages/web/test/', '/test/processes/', 'packages/cli/test/', 'sites-'];

function longestFirst(files: string[]): string[] {
  const group = (file: string) => {
    const index = startFirst.findIndex((part) => file.includes(part));
    return index === -1 ? startFirst.length : index;
  };
  return [...files].sort((a, b) => group(a) - group(b) || (a < b ? -1 : a > b ? 1 : 0));
}

type PostgresForTests = { cluster: PostgresCluster } | { skipReason: string };

async function providePostgres(): Promise<PostgresForTests> {
  if (process.env.DM_TEST_POSTGRES === 'off') return { skipReason: 'DM_TEST_POSTGRES=off' };
  try {
    return { cluster: await startPostgresCluster() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // The full story (initdb output, server log tail) for people; its first line for the skip notes.
    if (message.includes('\n')) note(message);
    return { skipReason: message.split('\n')[0] ?? message };
  }
}

function testEnvironment(postgres: PostgresForTests): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // A URL or reason inherited from the caller's shell would point the tests at the wrong server.
  delete env.DM_TEST_POSTGRES_URL;
  delete env.DM_TEST_POSTGRES_SKIP_REASON;
  if ('cluster' in postgres) env.DM_TEST_POSTGRES_URL = postgres.cluster.url;
  else env.DM_TEST_POSTGRES_SKIP_REASON = postgres.skipReason;
  return env;
}

/** Repository-relative paths with `/`, sorted so that runs are in the same order everywhere. */
function findTestFiles(): string[] {
  const files: string[] = [];
  const packagesDirectory = join(repositoryRoot, 'packages');
  for (const entry of readdirSync(packagesDirectory, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    for (const folder of ['src', 'test'])
      collectTestFiles(join(packagesDirectory, entry.name, folder), files);
  }
  return files.map((file) => relative(repositoryRoot, file).split(sep).join('/')).sort();
}

function collectTestFiles(directory: string, files: string[]): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(directory, { withFileTypes: true });
  } catch {
    return; // a package without this folder
  }
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') collectTestFiles(path, files);
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) files.push(path);
  }
}

/**
 * Ctrl-C reaches the runner directly (same process group); `kill <pid>` of this script reaches only us, so
 * we pass it on. Either way we wait for the runner to end, then stop PostgreSQL. A second signal kills the
 * runner outright.
 */
class Interruption {
  signal: NodeJS.Signals | undefined;
  #runner: ChildProcess | undefined;

  constructor() {
    process.on('SIGINT', (signal) => this.#receive(signal));
    process.on('SIGTERM', (signal) => this.#receive(signal));
  }

  forwardTo(runner: ChildProcess): void {
    this.#runner = runner;
  }

  #receive(signal: NodeJS.Signals): void {
    const repeated = this.signal !== undefined;
    this.signal = signal;
    const runner = this.#runner;
    if (runner !== undefined && runner.exitCode === null && runner.signalCode === null) {
      runner.kill(repeated ? 'SIGKILL' : signal);
    }
  }
}

function exitCodeOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.on('error', (error) => {
      note(`cannot run the test runner: ${error.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) =>
      resolve(code ?? 128 + (signal === null ? 0 : constants.signals[signal])),
    );
  });
}

function note(message: string): void {
  process.stderr.write(`${message}\n`);
}

process.exit(await main());
