/**
 * A file's catalog record, as other concepts use it: finding the records of paths (a DAQ, an upload or an
 * agent skips what is already cataloged; a job reads its input's record), and writing the record of a file
 * that is now in storage (only the take pipeline does). It holds its own SQL, as the catalog's narrow
 * interface: other folders use file records here, never through store.ts, which keeps the SQL of listing,
 * searching, re-describing and deleting them.
 */
import type { Kysely } from 'kysely';
import type { DialectProfile } from '../db/profile.ts';
import type { Database, FileOriginType, FileRow } from '../db/tables.ts';
import { addToTotals, syncFileMetadata } from './summary-store.ts';

export type { FileSearch } from './search-store.ts';

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

/** The records of these paths (those that have one), by path: one query for a DAQ's batch of files. */
export async function findFiles(
  db: Kysely<Database>,
  experimentId: number,
  paths: readonly string[],
): Promise<Map<string, FileRow>> {
  if (paths.length === 0) return new Map();
  const rows = await db
    .selectFrom('files')
    .selectAll()
    .where('experiment_id', '=', experimentId)
    .where('path', 'in', paths)
    .execute();
  return new Map(rows.map((row) => [row.path, row]));
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
 * Records a file that is now in storage, with its derived rows; call it in a transaction. Idempotent on
 * (experiment, path): taking the same file again updates its record, so a retry after a crash never makes a
 * second one.
 */
export async function upsertFile(
  trx: Kysely<Database>,
  profile: DialectProfile,
  file: StoredFile,
  existingMetadata: Record<string, unknown>,
): Promise<void> {
  const values = fileValues(file, existingMetadata);
  // Insert, or else update the record as it is once locked: the totals need to know which, and the old size.
  // A record deleted in between (by another process) makes the insert worth another try.
  for (let attempt = 1; ; attempt++) {
    const inserted = await trx
      .insertInto('files')
      .values({ experiment_id: file.experimentId, path: file.path, created_at: file.now, ...values })
      .onConflict((oc) => oc.columns(['experiment_id', 'path']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) {
      await syncFileMetadata(trx, profile, { ids: [inserted.id] });
      await addToTotals(trx, file.experimentId, 1, file.size);
      return;
    }
    const current = await trx
      .selectFrom('files')
      .select(['id', 'size'])
      .where('experiment_id', '=', file.experimentId)
      .where('path', '=', file.path)
      .$if(profile.supportsForUpdate, (query) => query.forUpdate())
      .executeTakeFirst();
    if (current) {
      await trx.updateTable('files').set(values).where('id', '=', current.id).execute();
      await syncFileMetadata(trx, profile, { ids: [current.id] });
      await addToTotals(trx, file.experimentId, 0, file.size - Number(current.size));
      return;
    }
    if (attempt === 3) throw new Error(`the record of "${file.path}" keeps changing under this write`);
  }
}

function fileValues(file: StoredFile, existingMetadata: Record<string, unknown>) {
  return {
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
}

/**
 * Inserts the records of files that have none yet, in one statement, with what is derived from them
 * (metadata index, counts); returns those inserted. One whose path has a record by now is left out: give it
 * to `upsertFile`. Call it in a transaction.
 *
 * @example
 * const inserted = await insertNewFiles(trx, profile, records);
 * for (const record of records) if (!inserted.has(record)) await upsertFile(trx, profile, record, {});
 */
export async function insertNewFiles(
  trx: Kysely<Database>,
  profile: DialectProfile,
  files: readonly StoredFile[],
): Promise<Set<StoredFile>> {
  if (files.length === 0) return new Set();
  const rows = await trx
    .insertInto('files')
    .values(
      files.map((file) => ({
        experiment_id: file.experimentId,
        path: file.path,
        created_at: file.now,
        ...fileValues(file, {}),
      })),
    )
    .onConflict((oc) => oc.columns(['experiment_id', 'path']).doNothing())
    .returning(['id', 'experiment_id', 'path', 'size'])
    .execute();
  if (rows.length === 0) return new Set();
  await syncFileMetadata(trx, profile, { ids: rows.map((row) => row.id) });
  const totals = new Map<number, { files: number; bytes: number }>();
  for (const row of rows) {
    const total = totals.get(row.experiment_id) ?? { files: 0, bytes: 0 };
    total.files++;
    total.bytes += Number(row.size);
    totals.set(row.experiment_id, total);
  }
  for (const [experimentId, { files, bytes }] of totals) await addToTotals(trx, experimentId, files, bytes);
  const key = (experimentId: number, path: string) => `${experimentId}/${path}`;
  const byKey = new Map(files.map((file) => [key(file.experimentId, file.path), file]));
  return new Set(rows.flatMap((row) => byKey.get(key(row.experiment_id, row.path)) ?? []));
}
