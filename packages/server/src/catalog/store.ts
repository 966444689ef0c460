import type { Kysely } from 'kysely';
import { columnGlob, metadataCondition, metadataKeyCounts } from '../db/metadata-query.ts';
import type { DialectProfile } from '../db/profile.ts';
import type { Database, FileOriginType, FileRow } from '../db/tables.ts';
import type { Condition } from './where.ts';

/** Conditions on these names test the file's own columns, not its metadata. */
const columns: Record<string, 'path' | 'size' | 'mtime' | 'md5' | 'sha256'> = {
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
};

export interface FileSearch {
  experimentId: number;
  pathGlob?: string;
  conditions: Condition[];
}

function searchQuery(db: Kysely<Database>, profile: DialectProfile, search: FileSearch) {
  let query = db.selectFrom('files').where('experiment_id', '=', search.experimentId);
  if (search.pathGlob) query = query.where(columnGlob(profile, 'path', search.pathGlob));
  for (const condition of search.conditions) {
    const column = columns[condition.key];
    if (column === undefined) {
      query = query.where(
        metadataCondition(profile, 'metadata', condition.key, condition.operator, condition.value),
      );
    } else if (condition.operator === 'exists') {
      // Every file has its own columns.
    } else if (condition.operator === '~') {
      query = query.where(columnGlob(profile, column, String(condition.value)));
    } else {
      query = query.where(column, condition.operator, condition.value as never);
    }
  }
  return query;
}

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
  let query = searchQuery(db, profile, search)
    .selectAll()
    .orderBy(search.sort, direction)
    .orderBy('id', direction)
    .limit(search.limit + 1);
  if (search.after) {
    const [value, id] = search.after;
    const beyond = search.descending ? '<' : '>';
    query = query.where((eb) =>
      eb.or([
        eb(search.sort, beyond, value as never),
        eb.and([eb(search.sort, '=', value as never), eb('id', beyond, id)]),
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
  const row = await searchQuery(db, profile, search)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function metadataKeys(db: Kysely<Database>, profile: DialectProfile, experimentId: number) {
  const result = await metadataKeyCounts(profile, experimentId).execute(db);
  return result.rows.map((row) => ({ key: row.key, count: Number(row.count) }));
}

export async function findFile(
  db: Kysely<Database>,
  experimentId: number,
  path: string,
): Promise<FileRow | undefined> {
  return db
    .selectFrom('files')
    .selectAll()
    .where('experiment_id', '=', experimentId)
    .where('path', '=', path)
    .executeTakeFirst();
}

export interface StoredFile {
  experimentId: number;
  path: string;
  size: number;
  mtime: string;
  md5: string;
  sha256: string;
  source: string | null;
  originType: FileOriginType;
  originId: number | null;
  transferMs: number | null;
  /** Read from the file itself; merged over the record's existing metadata so user keys survive a re-take. */
  contentMetadata: Record<string, unknown>;
  now: string;
}

/**
 * Records a file that is now in storage. Idempotent on (experiment, path): taking the same file again
 * updates its record, so a retry after a crash never makes a second one.
 */
export async function upsertFile(
  db: Kysely<Database>,
  file: StoredFile,
  existingMetadata: Record<string, unknown>,
): Promise<void> {
  const values = {
    size: file.size,
    mtime: file.mtime,
    md5: file.md5,
    sha256: file.sha256,
    status: 'stored' as const,
    source: file.source,
    origin_type: file.originType,
    origin_id: file.originId,
    transfer_ms: file.transferMs,
    metadata: JSON.stringify({ ...existingMetadata, ...file.contentMetadata }),
    updated_at: file.now,
  };
  await db
    .insertInto('files')
    .values({ experiment_id: file.experimentId, path: file.path, created_at: file.now, ...values })
    .onConflict((oc) => oc.columns(['experiment_id', 'path']).doUpdateSet(values))
    .execute();
}

export async function setMetadata(
  db: Kysely<Database>,
  id: number,
  metadata: Record<string, unknown>,
  now: string,
) {
  await db
    .updateTable('files')
    .set({ metadata: JSON.stringify(metadata), updated_at: now })
    .where('id', '=', id)
    .execute();
}

export async function deleteFileRecords(
  db: Kysely<Database>,
  experimentId: number,
  paths: string[],
): Promise<number> {
  if (paths.length === 0) return 0;
  const result = await db
    .deleteFrom('files')
    .where('experiment_id', '=', experimentId)
    .where('path', 'in', paths)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function countExperimentFiles(db: Kysely<Database>, experimentId: number): Promise<number> {
  const row = await db
    .selectFrom('files')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('experiment_id', '=', experimentId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
