/**
 * The usage figures, each one GROUP BY over an index: files by their creation time (`files_created`, which
 * also carries the experiment and the size, so the count never reads the table), jobs by their end time
 * (`jobs_end_time`), storage from the catalog's running totals (`file_totals`, no counting at all).
 *
 * Days are the first ten characters of the stored ISO-8601 UTC timestamps, the same on both databases.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/tables.ts';

/** Which stations count: every one (admins without a filter), or these ids. */
export type StationScope = 'all' | number[];

/** A half-open range of stored timestamps, `[from, to)`. */
export interface TimeRange {
  from: string;
  to: string;
}

const day = (column: string) => sql<string>`substr(${sql.ref(column)}, 1, 10)`;
const toNumber = (value: unknown) => Number(value ?? 0);

/** Files and bytes cataloged per day and station. */
export async function ingestedPerDay(db: Kysely<Database>, range: TimeRange, scope: StationScope) {
  let query = db
    .selectFrom('files as f')
    .innerJoin('experiments as e', 'e.id', 'f.experiment_id')
    .innerJoin('stations as s', 's.id', 'e.station_id')
    .select((eb) => [
      day('f.created_at').as('day'),
      's.name as station',
      eb.fn.countAll().as('files'),
      eb.fn.sum('f.size').as('bytes'),
    ])
    .where('f.created_at', '>=', range.from)
    .where('f.created_at', '<', range.to)
    .groupBy([day('f.created_at'), 's.name'])
    .orderBy(day('f.created_at'))
    .orderBy('s.name');
  if (scope !== 'all') query = query.where('e.station_id', 'in', scope.length ? scope : [-1]);
  const rows = await query.execute();
  return rows.map((r) => ({
    day: r.day,
    station: r.station,
    files: toNumber(r.files),
    bytes: toNumber(r.bytes),
  }));
}

/**
 * Jobs that ended per day, by status. Jobs tied to no experiment count for admins only (they belong to no
 * station).
 */
export async function jobsPerDay(db: Kysely<Database>, range: TimeRange, scope: StationScope) {
  let query = db
    .selectFrom('jobs as j')
    .leftJoin('experiments as e', 'e.id', 'j.experiment_id')
    .select((eb) => [day('j.end_time').as('day'), 'j.status', eb.fn.countAll().as('jobs')])
    .where('j.end_time', '>=', range.from)
    .where('j.end_time', '<', range.to)
    .where('j.status', 'in', ['done', 'failed', 'aborted'])
    .groupBy([day('j.end_time'), 'j.status'])
    .orderBy(day('j.end_time'));
  if (scope !== 'all') query = query.where('e.station_id', 'in', scope.length ? scope : [-1]);
  const rows = await query.execute();
  return rows.map((r) => ({ day: r.day, status: r.status, jobs: toNumber(r.jobs) }));
}

/** Storage used per station, from the catalog's totals. */
export async function storageByStation(db: Kysely<Database>, scope: StationScope) {
  let query = db
    .selectFrom('file_totals as t')
    .innerJoin('experiments as e', 'e.id', 't.experiment_id')
    .innerJoin('stations as s', 's.id', 'e.station_id')
    .select((eb) => [
      's.name as station',
      eb.fn.countAll().as('experiments'),
      eb.fn.sum('t.file_count').as('files'),
      eb.fn.sum('t.byte_count').as('bytes'),
    ])
    .where('t.file_count', '>', 0)
    .groupBy('s.name')
    .orderBy('s.name');
  if (scope !== 'all') query = query.where('e.station_id', 'in', scope.length ? scope : [-1]);
  const rows = await query.execute();
  return rows.map((r) => ({
    station: r.station,
    experiments: toNumber(r.experiments),
    files: toNumber(r.files),
    bytes: toNumber(r.bytes),
  }));
}

/** The experiments using the most storage. */
export async function storageByExperiment(db: Kysely<Database>, scope: StationScope, limit: number) {
  let query = db
    .selectFrom('file_totals as t')
    .innerJoin('experiments as e', 'e.id', 't.experiment_id')
    .innerJoin('stations as s', 's.id', 'e.station_id')
    .select(['e.name as experiment', 's.name as station', 't.file_count as files', 't.byte_count as bytes'])
    .where('t.file_count', '>', 0)
    .orderBy('t.byte_count', 'desc')
    .orderBy('e.name')
    .limit(limit);
  if (scope !== 'all') query = query.where('e.station_id', 'in', scope.length ? scope : [-1]);
  const rows = await query.execute();
  return rows.map((r) => ({ ...r, files: toNumber(r.files), bytes: toNumber(r.bytes) }));
}

/** The experiments that took in the most bytes in the range (files as the tie-breaker). */
export async function busiestExperiments(
  db: Kysely<Database>,
  range: TimeRange,
  scope: StationScope,
  limit: number,
) {
  let query = db
    .selectFrom('files as f')
    .innerJoin('experiments as e', 'e.id', 'f.experiment_id')
    .innerJoin('stations as s', 's.id', 'e.station_id')
    .select((eb) => [
      'e.name as experiment',
      's.name as station',
      eb.fn.countAll().as('files'),
      eb.fn.sum('f.size').as('bytes'),
    ])
    .where('f.created_at', '>=', range.from)
    .where('f.created_at', '<', range.to)
    .groupBy(['e.id', 'e.name', 's.name'])
    .orderBy(sql`sum(f.size)`, 'desc')
    .orderBy(sql`count(*)`, 'desc')
    .orderBy('e.name')
    .limit(limit);
  if (scope !== 'all') query = query.where('e.station_id', 'in', scope.length ? scope : [-1]);
  const rows = await query.execute();
  return rows.map((r) => ({
    experiment: r.experiment,
    station: r.station,
    files: toNumber(r.files),
    bytes: toNumber(r.bytes),
  }));
}

/** Names of the stations in scope, in name order. */
export async function stationNames(db: Kysely<Database>, scope: StationScope): Promise<string[]> {
  let query = db.selectFrom('stations').select('name').orderBy('name');
  if (scope !== 'all') query = query.where('id', 'in', scope.length ? scope : [-1]);
  return (await query.execute()).map((r) => r.name);
}
