import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { type DatabaseConnection, type Driver, Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { type DialectProfile, postgresProfile, sqliteProfile } from './profile.ts';
import type { Database } from './tables.ts';

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly profile: DialectProfile;
  /** The URL with any password masked, for logs and `/api/health`. */
  readonly displayUrl: string;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** `sqlite:/path/to/file.sqlite` or `postgres://user:pass@host:port/db`. */
  url: string;
  /** PostgreSQL connections per process. */
  poolSize?: number;
}

/**
 * Opens the database named by a URL.
 *
 * SQLite runs in WAL mode with `synchronous=FULL`: a committed transaction has been fsynced, so a power cut
 * or SIGKILL never loses an acknowledged write. `busy_timeout` lets a second process (`dm db migrate` next
 * to a running server) wait for the lock instead of failing at once.
 *
 * @example
 * const { db, close } = openDatabase({ url: 'sqlite:./dm-data/photon-dm.sqlite' });
 */
export function openDatabase(options: DatabaseOptions): DatabaseHandle {
  const { url } = options;
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      types: { getTypeParser },
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, profile: postgresProfile, displayUrl: maskPassword(url), close: () => db.destroy() };
  }
  if (url.startsWith('sqlite:')) {
    const path = resolve(url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, ''));
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // Made 0600 by us before SQLite opens it: SQLite would make it 0644, and gives its -wal and -shm the
    // database file's mode, so all three stay private to the server's account (system/private-files.ts).
    closeSync(openSync(path, 'a', 0o600));
    const sqlite = new SqliteDatabase(path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    const db = new Kysely<Database>({ dialect: new SqliteDialectKeepingErrors(sqlite) });
    return { db, profile: sqliteProfile, displayUrl: `sqlite:${path}`, close: () => db.destroy() };
  }
  throw new Error(`unsupported database URL "${maskPassword(url)}": use sqlite:PATH or postgres://...`);
}

/**
 * Kysely rolls a transaction back after any error in it, COMMIT included. SQLite may have rolled it back
 * already (SQLITE_FULL, SQLITE_IOERR: "the transaction may or may not be rolled back automatically"), and a
 * second ROLLBACK fails with "cannot rollback - no transaction is active", which replaced the real error:
 * a full disk became an internal error. So the rollback runs only while a transaction is open.
 */
class SqliteDialectKeepingErrors extends SqliteDialect {
  constructor(private readonly sqlite: SqliteDatabase.Database) {
    super({ database: withStatementCache(sqlite) });
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    const rollback = driver.rollbackTransaction.bind(driver);
    driver.rollbackTransaction = async (connection: DatabaseConnection) => {
      if (this.sqlite.inTransaction) await rollback(connection);
    };
    return driver;
  }
}

/**
 * Kysely's SQLite driver prepares every statement anew, which was the largest single cost of a simple GET
 * (bench/experiment-get.ts). Statements are reusable, and Kysely runs one query at a time on its single
 * connection, so caching them by SQL text is safe. Bounded, oldest first out, since SQL built with `in (...)`
 * lists varies with the list length.
 */
function withStatementCache(sqlite: SqliteDatabase.Database, capacity = 500) {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement) return statement;
      statement = sqlite.prepare(sql);
      const oldest = cache.keys().next();
      if (cache.size >= capacity && !oldest.done) cache.delete(oldest.value);
      cache.set(sql, statement);
      return statement;
    },
  };
}

/**
 * node-postgres returns int8 (bigint columns, count(*)) as strings to avoid precision loss; file sizes and
 * counts stay far below 2^53, and SQLite returns numbers, so both databases hand the stores numbers.
 */
const int8Oid = 20;
function getTypeParser(oid: number, format?: 'text' | 'binary') {
  if (oid === int8Oid && format !== 'binary') return (value: string) => Number(value);
  return pg.types.getTypeParser(oid, format as 'text');
}

export function maskPassword(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]+:)[^@]*@/i, '$1***@');
}
