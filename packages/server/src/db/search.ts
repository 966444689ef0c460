import { type RawBuilder, sql } from 'kysely';
import { type DialectProfile, escapeLike } from './profile.ts';

/**
 * `column` contains `text`, ignoring case, with `%` and `_` in the text matched literally.
 * The explicit ESCAPE matters: PostgreSQL escapes with `\` by default, SQLite has no default at all.
 */
export function containsText(profile: DialectProfile, column: string, text: string): RawBuilder<boolean> {
  const pattern = `%${escapeLike(text)}%`;
  return sql<boolean>`${sql.ref(column)} ${sql.raw(profile.caseInsensitiveLike)} ${pattern} escape '\\'`;
}
