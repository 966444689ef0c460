import { type Static, Type } from '@sinclair/typebox';
import { invalidField } from '../errors/app-error.ts';

export const PageQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'page size' }),
    cursor: Type.Optional(Type.String({ maxLength: 512, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);
export type PageQuery = Static<typeof PageQuery>;

export function Page<T extends Parameters<typeof Type.Array>[0]>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()], {
      description: 'pass as `cursor` for the next page; null on the last page',
    }),
  });
}

/**
 * Keyset pagination: a cursor is the sort key of the last row returned, opaque to clients. Unlike OFFSET it
 * stays fast on page 10,000 and never skips or repeats a row when rows are inserted meanwhile.
 */
export function encodeCursor(key: string | number): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T extends string | number>(
  cursor: string | undefined,
  kind: 'string' | 'number',
): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof value === kind) return value as T;
  } catch {
    // fall through to the error below
  }
  throw invalidField('cursor', 'is not a cursor returned by this list');
}

/** Fetch `limit + 1` rows; the extra one only tells whether there is a next page. */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  key: (row: Row) => string | number,
  present: (row: Row) => Item,
): { items: Item[]; nextCursor: string | null } {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows.at(-1);
  return { items: pageRows.map(present), nextCursor: hasMore && last ? encodeCursor(key(last)) : null };
}
