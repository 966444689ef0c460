/**
 * A database of its own for each test file, on each backend.
 *
 * SQLite: a file in a fresh temp directory. PostgreSQL: a database on the cluster that `npm test` starts
 * (`DM_TEST_POSTGRES_URL`, see scripts/test.ts), cloned from a migrated template, which is far faster than
 * migrating each one (Graphile Worker tests the same way).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { openDatabase } from '../../src/db/connection.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { tempDir } from './temp-dir.ts';

export { type TempDir, tempDir } from './temp-dir.ts';

export type Backend = 'sqlite' | 'postgres';

export const backends: Backend[] = ['sqlite', 'postgres'];

export interface TestDatabase {
  /** For `openDatabase({ url })` or `DM_DATABASE_URL`. */
  readonly url: string;
  /** Deletes the database; PostgreSQL connections still open after 5 s are terminated. Safe to call twice. */
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** `false` for an empty database, to test migrations themselves. Default: migrated to the latest. */
  migrated?: boolean;
}

/**
 * Declares the suite once per backend, titled `title [sqlite]` and `title [postgres]`.
 *
 * Without PostgreSQL (`npm test` could not start it, or the file was run outside `npm test`), the
 * PostgreSQL suite holds a single skipped test carrying the reason, so that the runner's `skipped` count
 * and the report show what did not run. (A skipped `describe` would show its reason but count nothing.)
 *
 * @example
 * describeBackends('stations', (backend) => {
 *   let database: TestDatabase;
 *   before(async () => { database = await createTestDatabase(backend); });
 *   after(() => database.drop());
 *   it('should list a new station', async () => { ... });
 * });
 */
export function describeBackends(title: string, fn: (backend: Backend) => void): void {
  for (const backend of backends) {
    const name = `${title} [${backend}]`;
    const skipReason = backend === 'postgres' ? postgresSkipReason() : undefined;
    if (skipReason === undefined) {
      void describe(name, () => fn(backend));
    } else {
      void describe(name, () => {
        void it('runs against PostgreSQL', { skip: skipReason }, () => {});
      });
    }
  }
}

/**
 * Creates a database for one test file (or one test), migrated unless asked otherwise.
 *
 * @example
 * const database = await createTestDatabase('postgres');
 * const { db, close } = openDatabase({ url: database.url });
 */
export async function createTestDatabase(
  backend: Backend,
  options: TestDatabaseOptions = {},
): Promise<TestDatabase> {
  const migrated = options.migrated ?? true;
  switch (backend) {
    case 'sqlite':
      return createSqliteDatabase(migrated);
    case 'postgres':
      return createPostgresDatabase(migrated);
    default: {
      const never: never = backend;
      throw new Error(`unknown backend ${String(never)}`);
    }
  }
}

function postgresSkipReason(): string | undefined {
  if (process.env.DM_TEST_POSTGRES_URL) return undefined;
  return (
    process.env.DM_TEST_POSTGRES_SKIP_REASON ?? 'PostgreSQL not available (run the tests with `npm test`)'
  );
}

async function createSqliteDatabase(migrated: boolean): Promise<TestDatabase> {
  const directory = await tempDir('photon-dm-test-db-');
  const url = `sqlite:${join(directory.path, 'photon-dm.sqlite')}`;
  if (migrated) await migrate(url);
  return { url, drop: directory.remove };
}

const templateName = 'photon_template';
/** Any constant will do; it only has to be the same in every test process. */
const templateLockKey = 4_217_003;
let templateReady: Promise<void> | undefined;

async function createPostgresDatabase(migrated: boolean): Promise<TestDatabase> {
  const adminUrl = process.env.DM_TEST_POSTGRES_URL;
  if (!adminUrl) throw new Error(`no PostgreSQL for tests: ${postgresSkipReason()}`);
  if (migrated) {
    templateReady ??= ensureTemplate(adminUrl);
    await templateReady;
  }
  // Names we generate ourselves, so they can be quoted into the statement safely.
  const name = `test_${randomBytes(6).toString('hex')}`;
  const template = migrated ? templateName : 'template0';
  // FILE_COPY: the checkpoints it costs are cheap with fsync off, and it clones in half the time of
  // PostgreSQL 15's default WAL_LOG (measured here: 56 ms against 107 ms per clone).
  await withAdminClient(adminUrl, (client) =>
    client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}" STRATEGY FILE_COPY`),
  );
  let dropped: Promise<void> | undefined;
  const drop = () => withAdminClient(adminUrl, (client) => dropDatabase(client, name));
  return { url: databaseUrl(adminUrl, name), drop: () => (dropped ??= drop()) };
}

/**
 * Drops a database, politely first. `pg.Pool#end()` resolves before its connections have closed, and a
 * connection that FORCE terminates then makes the pool emit an `error` that nobody listens to any more: an
 * uncaught exception in the test file. A plain DROP waits up to 5 s for those sessions to end; only
 * connections still open after that (a test that never closed its pool) are terminated.
 */
async function dropDatabase(client: pg.Client, name: string): Promise<void> {
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}"`);
  } catch (error) {
    if ((error as { code?: string }).code !== objectInUse) throw error;
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}

/** SQLSTATE 55006: "database is being accessed by other users". */
const objectInUse = '55006';

/**
 * Creates `photon_template`, migrated to the latest, unless it exists. Test files run in parallel
 * processes, so an advisory lock makes exactly one of them build it while the others wait. It is built under
 * another name and renamed when complete, so a failed build never leaves a half-migrated template behind.
 *
 * The template is built once per cluster: fine because `npm test` starts a fresh cluster every run. On a
 * long-lived server it would have to be dropped whenever the migrations change.
 */
async function ensureTemplate(adminUrl: string): Promise<void> {
  await withAdminClient(adminUrl, async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [templateLockKey]);
    try {
      const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [templateName]);
      if (existing.rowCount !== 0) return;
      const building = `${templateName}_building`;
      await client.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
      await client.query(`CREATE DATABASE "${building}" TEMPLATE template0`);
      await migrate(databaseUrl(adminUrl, building));
      await client.query(`ALTER DATABASE "${building}" RENAME TO "${templateName}"`);
      await client.query(`ALTER DATABASE "${templateName}" WITH IS_TEMPLATE true`);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [templateLockKey]);
    }
  });
}

async function migrate(url: string): Promise<void> {
  const handle = openDatabase({ url, poolSize: 1 });
  try {
    await migrateToLatest(handle.db, handle.profile);
  } finally {
    await handle.close();
  }
}

async function withAdminClient<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(adminUrl: string, databaseName: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${databaseName}`;
  return url.toString();
}
