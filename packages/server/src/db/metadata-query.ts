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

/**
 * The `file_metadata` rows of the files that `filter` selects (a condition on `files` as `f`), read from
 * their JSON by the database itself: the same parser as `metadataCondition`, so the two agree on every type.
 * Columns: file_id, experiment_id, key, value_text, value_number.
 */
export function metadataEntries(profile: DialectProfile, filter: RawBuilder<boolean>): RawBuilder<unknown> {
  return profile.name === 'sqlite'
    ? sql`select f.id as file_id, f.experiment_id as experiment_id, j.key as key,
            case when j.type = 'text' then j.value end as value_text,
            case when j.type in ('integer', 'real') then j.value end as value_number
          from files f, json_each(f.metadata) j where ${filter}`
    : sql`select f.id as file_id, f.experiment_id as experiment_id, j.key as key,
            case when jsonb_typeof(j.value) = 'string' then j.value #>> '{}' end as value_text,
            case when jsonb_typeof(j.value) = 'number' then (j.value #>> '{}')::numeric end as value_number
          from files f, jsonb_each(f.metadata) j where ${filter}`;
}

/**
 * A condition on the value columns of a `file_metadata` row (the key is matched by the caller), meaning what
 * `metadataCondition` means for the same operator. `!=` is not one: it matches files without the key.
 */
export function entryCondition(
  profile: DialectProfile,
  alias: string,
  operator: Exclude<MetadataOperator, '!='>,
  value: string | number | undefined,
): RawBuilder<boolean> {
  const text = sql.ref(`${alias}.value_text`);
  switch (operator) {
    case 'exists':
      return sql<boolean>`1 = 1`;
    case '~':
      return profile.name === 'sqlite'
        ? sql<boolean>`${text} glob ${String(value)}`
        : sql<boolean>`${text} like ${globToLike(String(value))} escape '\\'`;
    default:
      return typeof value === 'number'
        ? sql<boolean>`${sql.ref(`${alias}.value_number`)} ${sql.raw(operator)} ${value}`
        : sql<boolean>`${text} ${sql.raw(operator)} ${value}`;
  }
}

/**
 * `=` conditions as JSON containment, `metadata @> '{"sample": "x", "scan": 42}'`: the form PostgreSQL's GIN
 * index answers and its statistics estimate. For a string or a number it means what `=` means in
 * `metadataCondition` (`{"k": 42.0} @> {"k": 42}`; `{"k": "42"}` and `{"k": ["x"]}` do not contain 42, "x").
 * Conditions on distinct keys share one document: separate ones would each be estimated at a guess.
 */
export function metadataContains(
  column: string,
  equalities: Array<{ key: string; value: string | number }>,
): RawBuilder<boolean>[] {
  const documents: Record<string, string | number>[] = [];
  for (const { key, value } of equalities) {
    const free = documents.find((document) => !Object.hasOwn(document, key));
    if (free) free[key] = value;
    else documents.push({ [key]: value });
  }
  return documents.map((document) => sql<boolean>`${sql.ref(column)} @> ${JSON.stringify(document)}::jsonb`);
}

/**
 * `column` is one of `ids`, bound as one parameter however many there are (PostgreSQL: an integer array,
 * whose length the planner sees; SQLite: a JSON array read by `json_each`).
 */
export function idAmong(
  profile: DialectProfile,
  column: string,
  ids: readonly number[],
): RawBuilder<boolean> {
  switch (profile.name) {
    case 'postgres':
      return sql<boolean>`${sql.ref(column)} = any(${ids}::integer[])`;
    case 'sqlite':
      return sql<boolean>`${sql.ref(column)} in (select value from json_each(${JSON.stringify(ids)}))`;
    default: {
      const never: never = profile.name;
      throw new Error(`unknown dialect ${String(never)}`);
    }
  }
}
