/**
 * The SQL of a catalog search: a path glob and `--where` conditions on an experiment's files.
 *
 * Metadata conditions go through the `file_metadata` table's indexes (summary-store.ts keeps it), `=` on
 * PostgreSQL through JSON containment on the GIN index instead (`DialectProfile.metadataEquality`). `!=` keeps
 * testing the JSON itself: it matches files without the key, which no index of the key can find, and it
 * selects most files anyway.
 *
 * Which condition drives the search matters more than anything else at 1M records: a rare value must be
 * found through its index, not by walking every file. Where the planner cannot know which conditions are
 * rare (SQLite: every condition, it has no statistics; PostgreSQL: ranges, whose statistics mix every key),
 * the conditions are measured first (a count that stops at a cap, or the key count for `exists`) and the
 * most selective one drives, as a subquery (SQLite) or as the ids it matches (PostgreSQL; see
 * `DialectProfile.metadataDriver`); if none is selective, a listing walks the files in the order asked and
 * stops once its page is full, as before.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import {
  columnGlob,
  entryCondition,
  idAmong,
  metadataCondition,
  metadataContains,
} from '../db/metadata-query.ts';
import type { DialectProfile } from '../db/profile.ts';
import type { Database } from '../db/tables.ts';
import { defined } from '../errors/defined.ts';
import { readTotals } from './summary-store.ts';
import type { Condition } from './where.ts';

/**
 * Conditions on these names test the file's own columns, not its metadata. A Map, not an object: a
 * metadata key such as `valueOf` or `constructor` must not find Object.prototype's member and be taken for
 * a column (route-fuzz.test.ts found that 500).
 */
const columns = new Map<string, 'path' | 'size' | 'mtime' | 'md5' | 'sha256'>(
  Object.entries({
    path: 'path',
    experimentFilePath: 'path',
    size: 'size',
    fileSize: 'size',
    mtime: 'mtime',
    fileModificationTime: 'mtime',
    md5: 'md5',
    md5Sum: 'md5',
    sha256: 'sha256',
    sha256Sum: 'sha256',
  }),
);

export interface FileSearch {
  experimentId: number;
  pathGlob?: string;
  conditions: Condition[];
}

type IndexedCondition = Condition & { operator: Exclude<Condition['operator'], '!='> };

/**
 * Whether a condition with `matches` matches should drive a listing of `limit` files out of `total`:
 * driving costs about one lookup per match; walking the files in order until the page is full costs about
 * limit × total / matches. Counts always drive: they must see every match.
 */
function worthDriving(matches: number, limit: number, total: number): boolean {
  return matches * matches < limit * total;
}

export type SearchPurpose = 'count' | { limit: number };

/** `files.id` has a `file_metadata` row for the condition's key whose value satisfies it. */
function entryFilter(
  profile: DialectProfile,
  experimentId: number,
  condition: IndexedCondition,
  fileId: RawBuilder<unknown>,
): RawBuilder<boolean> {
  const { key, operator, value } = condition;
  const test = entryCondition(profile, 'm', operator, value);
  return sql<boolean>`exists (select 1 from file_metadata m
    where m.file_id = ${fileId} and m.experiment_id = ${experimentId} and m.key = ${key} and ${test})`;
}

/** The files matching one condition, as `files.id in (...)`: the driving condition of a search. */
function entrySource(profile: DialectProfile, experimentId: number, condition: IndexedCondition) {
  const test = entryCondition(profile, 'm', condition.operator, condition.value);
  return sql<boolean>`${sql.ref('files.id')} in (select m.file_id from file_metadata m
    where m.experiment_id = ${experimentId} and m.key = ${condition.key} and ${test})`;
}

/** How many files match, exact up to `cap`. */
async function estimate(
  db: Kysely<Database>,
  profile: DialectProfile,
  experimentId: number,
  condition: IndexedCondition,
  cap: number,
): Promise<number> {
  if (condition.operator === 'exists') {
    const row = await db
      .selectFrom('file_metadata_keys')
      .select('file_count')
      .where('experiment_id', '=', experimentId)
      .where('key', '=', condition.key)
      .executeTakeFirst();
    return Number(row?.file_count ?? 0);
  }
  // A glob's matches cannot be found by a range of the index: it scans the key's rows, so it only drives
  // when nothing else can.
  if (condition.operator === '~') return cap;
  const test = entryCondition(profile, 'm', condition.operator, condition.value);
  const result = await sql<{ n: number }>`select count(*) as n from (select 1 from file_metadata m
    where m.experiment_id = ${experimentId} and m.key = ${condition.key} and ${test} limit ${cap}) p`.execute(
    db,
  );
  return Number(result.rows[0]?.n ?? 0);
}

/** Whether the catalog measures this condition itself rather than trusting the planner's estimate. */
function isMeasured(profile: DialectProfile, condition: IndexedCondition): boolean {
  switch (profile.measuredMetadataConditions) {
    case 'all':
      return true;
    case 'ranges':
      return ['<', '<=', '>', '>='].includes(condition.operator);
    default: {
      const never: never = profile.measuredMetadataConditions;
      throw new Error(`unknown measurement ${String(never)}`);
    }
  }
}

interface Measured {
  condition: IndexedCondition;
  /** Exact when below `cap`; `cap` means at least that many. */
  matches: number;
  cap: number;
}

/** The most selective of the measured conditions, if it should drive the search. */
async function chooseDriver(
  db: Kysely<Database>,
  profile: DialectProfile,
  experimentId: number,
  indexed: IndexedCondition[],
  purpose: SearchPurpose,
): Promise<Measured | undefined> {
  const candidates = indexed.filter((condition) => isMeasured(profile, condition));
  if (candidates.length === 0) return undefined;
  const limit = purpose === 'count' ? 100 : purpose.limit;
  const { files: total } = await readTotals(db, experimentId);
  // Beyond this many matches no condition is worth driving a listing; it also bounds each measurement.
  const cap = Math.max(limit, Math.ceil(Math.sqrt(limit * total)));
  let best: Measured | undefined;
  for (const condition of candidates) {
    const matches = await estimate(db, profile, experimentId, condition, cap);
    if (!best || matches < best.matches) best = { condition, matches, cap };
    if (matches === 0) break;
  }
  if (!best || (purpose !== 'count' && !worthDriving(best.matches, limit, total))) return undefined;
  return best;
}

interface Driver {
  /**
   * 'subquery': the condition's subquery is the search's only way in, and is not tested again. 'ids': the
   * ids it matched, read by the statement before; the condition is tested again, since a file may change.
   */
  form: DialectProfile['metadataDriver'];
  condition: IndexedCondition;
  filter: RawBuilder<boolean>;
}

/** How the chosen condition enters the search on this database; undefined when it cannot drive. */
async function drivingFilter(
  db: Kysely<Database>,
  profile: DialectProfile,
  experimentId: number,
  measured: Measured,
): Promise<Driver | undefined> {
  const { condition } = measured;
  switch (profile.metadataDriver) {
    case 'subquery':
      return { form: 'subquery', condition, filter: entrySource(profile, experimentId, condition) };
    case 'ids': {
      // Only a count below the cap is exact: at the cap, the ids would be some of the matches, not all.
      if (measured.matches >= measured.cap) return undefined;
      const test = entryCondition(profile, 'm', condition.operator, condition.value);
      const rows = await sql<{ file_id: number }>`select m.file_id from file_metadata m
        where m.experiment_id = ${experimentId} and m.key = ${condition.key} and ${test}`.execute(db);
      const ids = rows.rows.map((row) => row.file_id);
      return { form: 'ids', condition, filter: idAmong(profile, 'files.id', ids) };
    }
    default: {
      const never: never = profile.metadataDriver;
      throw new Error(`unknown driver ${String(never)}`);
    }
  }
}

/** Splits the metadata conditions by how they are searched on this database. */
function classify(profile: DialectProfile, conditions: Condition[], allIndexed: boolean) {
  const metadata = conditions.filter((condition) => columns.get(condition.key) === undefined);
  const contained =
    profile.metadataEquality === 'containment' && !allIndexed
      ? metadata.filter((c) => c.operator === '=')
      : [];
  const indexed = metadata.filter(
    (c): c is IndexedCondition => c.operator !== '!=' && !contained.includes(c),
  );
  const unindexed = metadata.filter((c) => c.operator === '!=');
  return { contained, indexed, unindexed };
}

/**
 * A count that needs nothing of the files' own rows (only metadata conditions that an index answers) is
 * counted in `file_metadata` alone, from the driving condition's index: on both databases, since an index
 * of 20,000 entries beats reading 20,000 records. Otherwise undefined.
 */
async function metadataOnlyCount(db: Kysely<Database>, profile: DialectProfile, search: FileSearch) {
  if (search.pathGlob || search.conditions.length === 0) return undefined;
  const { indexed } = classify(profile, search.conditions, true);
  if (indexed.length !== search.conditions.length) return undefined;
  const driver =
    (await chooseDriver(db, profile, search.experimentId, indexed, 'count'))?.condition ??
    indexed.find((c) => c.operator === '=') ??
    defined(indexed[0], 'an indexed condition');
  let query = db
    .selectFrom('file_metadata as d')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('d.experiment_id', '=', search.experimentId)
    .where('d.key', '=', driver.key)
    .where(entryCondition(profile, 'd', driver.operator, driver.value));
  for (const condition of indexed) {
    if (condition !== driver) {
      query = query.where(entryFilter(profile, search.experimentId, condition, sql.ref('d.file_id')));
    }
  }
  return query;
}

/**
 * The count of a search, as a query selecting `n`.
 *
 * @example
 * const { n } = await (await countQuery(db, profile, search)).executeTakeFirstOrThrow();
 */
export async function countQuery(db: Kysely<Database>, profile: DialectProfile, search: FileSearch) {
  if (isUnfiltered(search)) {
    return db
      .selectFrom('file_totals')
      .select('file_count as n')
      .where('experiment_id', '=', search.experimentId);
  }
  return (
    (await metadataOnlyCount(db, profile, search)) ??
    (await searchQuery(db, profile, search, 'count')).select((eb) => eb.fn.countAll<number>().as('n'))
  );
}

/**
 * The search as a query on `files`, its conditions chosen to be driven through an index where one helps.
 *
 * @example
 * const query = await searchQuery(db, profile, { experimentId: 1, conditions }, { limit: 100 });
 * await query.selectAll('files').orderBy('files.path').limit(101).execute();
 */
export async function searchQuery(
  db: Kysely<Database>,
  profile: DialectProfile,
  search: FileSearch,
  purpose: SearchPurpose,
) {
  const { contained, indexed, unindexed } = classify(profile, search.conditions, false);
  const measured = await chooseDriver(db, profile, search.experimentId, indexed, purpose);
  const driver = measured && (await drivingFilter(db, profile, search.experimentId, measured));

  let query = db.selectFrom('files');
  // A subquery is the only way in: `+` keeps SQLite from using the experiment's indexes on files instead.
  query =
    driver?.form === 'subquery'
      ? query.where(sql`+${sql.ref('files.experiment_id')}`, '=', search.experimentId)
      : query.where('files.experiment_id', '=', search.experimentId);
  if (driver) query = query.where(driver.filter);
  for (const condition of indexed) {
    if (driver?.form !== 'subquery' || condition !== driver.condition) {
      query = query.where(entryFilter(profile, search.experimentId, condition, sql.ref('files.id')));
    }
  }
  const equalities = contained.map((c) => ({ key: c.key, value: c.value as string | number }));
  for (const containment of metadataContains('files.metadata', equalities)) query = query.where(containment);
  for (const condition of unindexed) {
    query = query.where(metadataCondition(profile, 'files.metadata', condition.key, '!=', condition.value));
  }
  if (search.pathGlob) query = query.where(columnGlob(profile, 'files.path', search.pathGlob));
  for (const condition of search.conditions) {
    const column = columns.get(condition.key);
    if (column === undefined || condition.operator === 'exists') {
      // Metadata, done above; or a file's own column, which every file has.
    } else if (condition.operator === '~') {
      query = query.where(columnGlob(profile, `files.${column}`, String(condition.value)));
    } else {
      query = query.where(`files.${column}`, condition.operator, condition.value as never);
    }
  }
  return query;
}

/** Whether the search has no condition at all: its count is the experiment's total. */
export function isUnfiltered(search: FileSearch): boolean {
  return !search.pathGlob && search.conditions.length === 0;
}
