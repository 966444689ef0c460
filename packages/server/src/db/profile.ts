/**
 * The differences between the two databases, written down once.
 *
 * Everything outside `db/` talks to a `DialectProfile` instead of asking "are we embedded?", so a new
 * difference is a new field here, not an `if` scattered through the stores (pg-boss does the same).
 */
import { type Kysely, PostgresAdapter } from 'kysely';

export type DialectName = 'sqlite' | 'postgres';

export interface DialectProfile {
  readonly name: DialectName;
  /** Case-insensitive LIKE: SQLite's LIKE already ignores ASCII case, PostgreSQL needs ILIKE. */
  readonly caseInsensitiveLike: 'like' | 'ilike';
  /** Column type for JSON documents: `jsonb` on PostgreSQL (GIN-indexable), text on SQLite. */
  readonly jsonColumnType: 'jsonb' | 'text';
  /** PostgreSQL returns jsonb already parsed; SQLite returns the stored text. */
  readonly jsonIsParsedByDriver: boolean;
  /** Whether `SELECT ... FOR UPDATE SKIP LOCKED` exists (work claiming by leases). */
  readonly supportsSkipLocked: boolean;
  /** Whether `LISTEN/NOTIFY` can wake other processes (event streams); without it they poll. */
  readonly supportsListenNotify: boolean;
  /** Whether `SELECT ... FOR UPDATE` exists. SQLite needs none: a writing transaction excludes all others. */
  readonly supportsForUpdate: boolean;
  /**
   * How a metadata `=` condition is searched: PostgreSQL by JSON containment (`metadata @> '{"k": v}'`),
   * which its GIN index answers and its statistics estimate; SQLite through the `file_metadata` table.
   */
  readonly metadataEquality: 'containment' | 'normalized';
  /**
   * Which metadata conditions the catalog measures itself (a capped count) so that a rare one drives a
   * search (catalog/search-store.ts). SQLite: all, its planner has no statistics (the server never runs
   * ANALYZE). PostgreSQL: ranges (`<`, `<=`, `>`, `>=`) only. It estimates containment and key existence well,
   * but its statistics of `file_metadata.value_number` and `value_text` mix every key in one histogram, so a
   * range rare for its key (`energy>=24.9`, 0.5% of the files) looks common (`temperature` and `scan_number`
   * values are all above 24.9) and it walks the files testing each instead of using the index.
   */
  readonly measuredMetadataConditions: 'all' | 'ranges';
  /**
   * How a measured rare condition drives a search. 'subquery': `files.id in (select file_id ...)`, which
   * SQLite follows as written. 'ids': the matching ids themselves, as one array parameter, since PostgreSQL
   * would estimate a subquery from the same mixed statistics; with the ids it knows how many there are and
   * chooses between looking each up and walking the files in the order asked with a hashed test.
   */
  readonly metadataDriver: 'subquery' | 'ids';
}

export const sqliteProfile: DialectProfile = {
  name: 'sqlite',
  caseInsensitiveLike: 'like',
  jsonColumnType: 'text',
  jsonIsParsedByDriver: false,
  supportsSkipLocked: false,
  supportsListenNotify: false,
  supportsForUpdate: false,
  metadataEquality: 'normalized',
  measuredMetadataConditions: 'all',
  metadataDriver: 'subquery',
};

export const postgresProfile: DialectProfile = {
  name: 'postgres',
  caseInsensitiveLike: 'ilike',
  jsonColumnType: 'jsonb',
  jsonIsParsedByDriver: true,
  supportsSkipLocked: true,
  supportsListenNotify: true,
  supportsForUpdate: true,
  metadataEquality: 'containment',
  measuredMetadataConditions: 'ranges',
  metadataDriver: 'ids',
};

/**
 * The profile of the database behind a Kysely instance or transaction, for functions that get only `db`
 * (`publishEvent(trx, ...)` inside any service's transaction).
 */
export function profileOf(db: Kysely<unknown>): DialectProfile {
  return db.getExecutor().adapter instanceof PostgresAdapter ? postgresProfile : sqliteProfile;
}

/** Reads a JSON column written with `encodeJson`, whichever database returned it. */
export function decodeJson<T>(profile: DialectProfile, value: unknown): T {
  if (profile.jsonIsParsedByDriver || typeof value !== 'string') return value as T;
  return JSON.parse(value) as T;
}

/** Always bind JSON as text: node-postgres would turn a JS array into a PostgreSQL array literal. */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value);
}

/** Escapes `%`, `_` and the escape character itself for a LIKE pattern using `ESCAPE '\'`. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
