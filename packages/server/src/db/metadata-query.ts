/**
 * SQL over the JSON metadata of files, one expression per operator, written for each database. This is
 * the one place that knows SQLite's json_extract from PostgreSQL's jsonb operators.
 */
import { type RawBuilder, sql } from 'kysely';
import type { DialectProfile } from './profile.ts';

export type MetadataOperator = '=' | '!=' | '<' | '<=' | '>' | '>=' | '~' | 'exists';

/** `$."key"` for SQLite: quoting lets keys hold '/', '@', '.' (HDF5 paths and attributes). */
function sqlitePath(key: string): string {
  return `$."${key.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * A condition on one metadata key. Numbers compare as numbers and only with numbers; text compares as
 * text; `~` is a case-sensitive glob (`*`, `?`); `!=` also matches files that lack the key.
 */
export function metadataCondition(
  profile: DialectProfile,
  column: string,
  key: string,
  operator: MetadataOperator,
  value: string | number | undefined,
): RawBuilder<boolean> {
  const ref = sql.ref(column);
  if (profile.name === 'sqlite') {
    const path = sqlitePath(key);
    const extracted = sql`json_extract(${ref}, ${path})`;
    const type = sql`json_type(${ref}, ${path})`;
    switch (operator) {
      case 'exists':
        return sql<boolean>`${type} is not null`;
      case '~':
        return sql<boolean>`(${type} = 'text' and ${extracted} glob ${String(value)})`;
      case '!=':
        return sql<boolean>`(${type} is null or ${extracted} is not ${value})`;
      default:
        return typeof value === 'number'
          ? sql<boolean>`(${type} in ('integer', 'real') and ${extracted} ${sql.raw(operator)} ${value})`
          : sql<boolean>`(${type} = 'text' and ${extracted} ${sql.raw(operator)} ${value})`;
    }
  }
  const text = sql`(${ref} ->> ${key})`;
  const type = sql`jsonb_typeof(${ref} -> ${key})`;
  switch (operator) {
    case 'exists':
      return sql<boolean>`(${ref} ? ${key})`;
    case '~':
      return sql<boolean>`(${type} = 'string' and ${text} like ${globToLike(String(value))} escape '\\')`;
    case '!=':
      return sql<boolean>`(${text} is distinct from ${String(value)})`;
    default:
      // CASE keeps the cast from running on non-numbers: PostgreSQL does not promise to evaluate AND in order.
      return typeof value === 'number'
        ? sql<boolean>`(case when ${type} = 'number' then ${text}::numeric end) ${sql.raw(operator)} ${value}`
        : sql<boolean>`(${type} = 'string' and ${text} ${sql.raw(operator)} ${value})`;
  }
}

/** A case-sensitive glob on a text column: GLOB on SQLite, LIKE on PostgreSQL. */
export function columnGlob(profile: DialectProfile, column: string, pattern: string): RawBuilder<boolean> {
  return profile.name === 'sqlite'
    ? sql<boolean>`${sql.ref(column)} glob ${pattern}`
    : sql<boolean>`${sql.ref(column)} like ${globToLike(pattern)} escape '\\'`;
}

function globToLike(glob: string): string {
  return glob
    .replace(/[\\%_]/g, (c) => `\\${c}`)
    .replace(/\*/g, '%')
    .replace(/\?/g, '_');
}

/** The keys of every metadata map of one experiment's files, with how many files have each. */
export function metadataKeyCounts(
  profile: DialectProfile,
  experimentId: number,
): RawBuilder<{ key: string; count: number }> {
  return profile.name === 'sqlite'
    ? sql`select j.key as key, count(*) as count from files f, json_each(f.metadata) j
          where f.experiment_id = ${experimentId} group by j.key order by j.key`
    : sql`select k as key, count(*)::int as count from files f, jsonb_object_keys(f.metadata) k
          where f.experiment_id = ${experimentId} group by k order by k`;
}
