import type { Kysely } from 'kysely';
import type { DialectProfile } from '../db/profile.ts';
import type { Database, FileRow } from '../db/tables.ts';
import { countQuery, type FileSearch, searchQuery } from './search-store.ts';
import { addToTotals, readKeyCounts, syncFileMetadata } from './summary-store.ts';

export type { FileSearch } from './search-store.ts';

export type SortKey = 'path' | 'size' | 'mtime';

export async function listFiles(
  db: Kysely<Database>,
  profile: DialectProfile,
  search: FileSearch & {
    sort: SortKey;
    descending: boolean;
    after?: [string | number, number];
    limit: number;
  },
): Promise<FileRow[]> {
  const direction = search.descending ? 'desc' : 'asc';
  let query = (await searchQuery(db, profile, search, { limit: search.limit }))
    .selectAll('files')
    .orderBy(`files.${search.sort}`, direction)
    .orderBy('files.id', direction)
    .limit(search.limit + 1);
  if (search.after) {
    const [value, id] = search.after;
    const beyond = search.descending ? '<' : '>';
    query = query.where((eb) =>
      eb.or([
        eb(`files.${search.sort}`, beyond, value as never),
        eb.and([eb(`files.${search.sort}`, '=', value as never), eb('files.id', beyond, id)]),
      ]),
    );
  }
  return query.execute();
}

export async function countFiles(
  db: Kysely<Database>,
  profile: DialectProfile,
  search: FileSearch,
): Promise<number> {
  const row = await (await countQuery(db, profile, search)).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The metadata keys of an experiment's files, with how many files have each. */
export async function metadataKeys(db: Kysely<Database>, experimentId: number) {
  return readKeyCounts(db, experimentId);
}

/** Replaces a file's metadata, and its derived rows; call it in a transaction. */
export async function setMetadata(
  trx: Kysely<Database>,
  profile: DialectProfile,
  id: number,
  metadata: Record<string, unknown>,
  now: string,
) {
  await trx
    .updateTable('files')
    .set({ metadata: JSON.stringify(metadata), updated_at: now })
    .where('id', '=', id)
    .execute();
  await syncFileMetadata(trx, profile, { ids: [id] });
}

/** Deletes file records, their derived rows, and their part of the totals; call it in a transaction. */
export async function deleteFileRecords(
  trx: Kysely<Database>,
  profile: DialectProfile,
  experimentId: number,
  paths: string[],
): Promise<number> {
  if (paths.length === 0) return 0;
  // What this transaction deleted, not what it was asked to: a concurrent delete of the same file counts once.
  const deleted = await trx
    .deleteFrom('files')
    .where('experiment_id', '=', experimentId)
    .where('path', 'in', paths)
    .returning(['id', 'size'])
    .execute();
  await syncFileMetadata(trx, profile, { ids: deleted.map((row) => row.id) });
  const bytes = deleted.reduce((sum, row) => sum + Number(row.size), 0);
  await addToTotals(trx, experimentId, -deleted.length, -bytes);
  return deleted.length;
}
