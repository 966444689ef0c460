import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
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
 *
 * A cursor comes back from the client, so it is input like any other: `decodeCursor` checks it against the
 * shape its list wrote (a number, a string, a tuple...) before any query sees it. A forged cursor of the
 * wrong shape is a 400 naming `cursor`, never a database error.
 */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The shapes lists use; a list with another key passes its own TypeBox schema. */
export const CursorShape = {
  /** Row ids are 32-bit on PostgreSQL: a larger number would fail there as out of range. */
  id: Type.Integer({ minimum: 0, maximum: 2_147_483_647 }),
  name: Type.String({ maxLength: 512 }),
  /** A sort value and the unique name that breaks ties. */
  valueAndName: Type.Tuple([Type.String({ maxLength: 512 }), Type.String({ maxLength: 512 })]),
} as const;

/**
 * @example
 * decodeCursor(query.cursor, CursorShape.id) // 42, undefined without a cursor, or throws a 400
 */
export function decodeCursor<Shape extends TSchema>(
  cursor: string | undefined,
  shape: Shape,
): Static<Shape> | undefined {
  if (cursor === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (value !== undefined && Value.Check(shape, value)) return value;
  throw invalidField('cursor', 'is not a cursor returned by this list');
}

/**
 * Fetch `limit + 1` rows; the extra one only tells whether there is a next page. For lists that present
 * a page's rows together (one query for all of them), then build the page with the cursor given here.
 */
export function splitPage<Row>(
  rows: Row[],
  limit: number,
  key: (row: Row) => unknown,
): { rows: Row[]; nextCursor: string | null } {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows.at(-1);
  return { rows: pageRows, nextCursor: hasMore && last ? encodeCursor(key(last)) : null };
}

/** Fetch `limit + 1` rows; the extra one only tells whether there is a next page. */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  key: (row: Row) => unknown,
  present: (row: Row) => Item,
): { items: Item[]; nextCursor: string | null } {
  const page = splitPage(rows, limit, key);
  return { items: page.rows.map(present), nextCursor: page.nextCursor };
}
