import { type Kysely, sql } from 'kysely';

/**
 * How many sessions of this database wait on a lock now (PostgreSQL only): what a test observes to know
 * that a statement it started is blocked, instead of sleeping and hoping it has got that far.
 * `pg_stat_activity` rather than `pg_locks`: it is filtered by database, and other test files share the
 * cluster.
 *
 * @example
 *   await until(async () => (await lockWaits(db)) > 0, { message: 'the deletion waits on the lock' });
 */
export async function lockWaits<T>(db: Kysely<T>): Promise<number> {
  const { rows } = await sql<{ waiting: string }>`
    SELECT count(*) AS waiting FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(db);
  return Number(rows[0]?.waiting ?? 0);
}
