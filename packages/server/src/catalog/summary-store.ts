/**
 * What the catalog derives from its file records, written in the transaction that writes them: the
 * `file_metadata` rows (one per top-level key of a file's metadata, for indexed searches), how many files of
 * an experiment have each key (`file_metadata_keys`), and the experiment's file count and bytes
 * (`file_totals`).
 *
 * Counts only ever move by increments (`file_count = file_count + delta`, computed in the statement), never
 * by reading a count and writing it back, so writers in several processes on one PostgreSQL database do not
 * lose one another's changes. Rows are locked in one order, the file's record first, then key counts in key
 * order, then the totals, so that two writers never wait for each other in a cycle.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { metadataEntries } from '../db/metadata-query.ts';
import type { DialectProfile } from '../db/profile.ts';
import type { Database } from '../db/tables.ts';

/** Some files, by id: a list, or an inclusive range (a batch of a bulk load or of the migration). */
export type FileSelection = { ids: number[] } | { fromId: number; toId: number };

function selects(files: FileSelection, column: string): RawBuilder<boolean> {
  const ref = sql.ref(column);
  if ('ids' in files) {
    if (files.ids.length === 0) return sql<boolean>`1 = 0`;
    return sql<boolean>`${ref} in (${sql.join(files.ids)})`;
  }
  return sql<boolean>`${ref} between ${files.fromId} and ${files.toId}`;
}

/**
 * Brings the derived rows of `files` in step with their `files.metadata` as it now is: after a file's record
 * was inserted, its metadata changed, or it was deleted (its rows and key counts then go). Key counts move
 * by the difference between the old rows and the new entries, in one statement, in key order.
 *
 * @example
 * await db.transaction().execute(async (trx) => {
 *   await trx.updateTable('files').set({ metadata }).where('id', '=', id).execute();
 *   await syncFileMetadata(trx, profile, { ids: [id] });
 * });
 */
export async function syncFileMetadata(
  trx: Kysely<Database>,
  profile: DialectProfile,
  files: FileSelection,
): Promise<void> {
  const entries = metadataEntries(profile, selects(files, 'f.id'));
  const old = selects(files, 'file_id');
  // `where true`: SQLite would otherwise read the ON of ON CONFLICT as a join constraint.
  await sql`insert into file_metadata_keys (experiment_id, key, file_count)
    select experiment_id, key, sum(delta) from (
      select experiment_id, key, 1 as delta from (${entries}) e
      union all
      select experiment_id, key, -1 as delta from file_metadata where ${old}
    ) d where true group by experiment_id, key having sum(delta) <> 0 order by experiment_id, key
    on conflict (experiment_id, key)
    do update set file_count = file_metadata_keys.file_count + excluded.file_count`.execute(trx);
  await sql`delete from file_metadata where ${old}`.execute(trx);
  await sql`insert into file_metadata (file_id, experiment_id, key, value_text, value_number) ${entries}`.execute(
    trx,
  );
}

/** Adds to an experiment's file count and bytes (negative to remove). */
export async function addToTotals(
  trx: Kysely<Database>,
  experimentId: number,
  files: number,
  bytes: number,
): Promise<void> {
  if (files === 0 && bytes === 0) return;
  await trx
    .insertInto('file_totals')
    .values({ experiment_id: experimentId, file_count: files, byte_count: bytes })
    .onConflict((oc) =>
      oc.column('experiment_id').doUpdateSet((eb) => ({
        file_count: eb('file_totals.file_count', '+', eb.ref('excluded.file_count')),
        byte_count: eb('file_totals.byte_count', '+', eb.ref('excluded.byte_count')),
      })),
    )
    .execute();
}

/** The metadata keys of an experiment's files, with how many files have each: one indexed read. */
export async function readKeyCounts(db: Kysely<Database>, experimentId: number) {
  const rows = await db
    .selectFrom('file_metadata_keys')
    .select(['key', 'file_count'])
    .where('experiment_id', '=', experimentId)
    .where('file_count', '>', 0)
    .orderBy('key')
    .execute();
  return rows.map((row) => ({ key: row.key, count: Number(row.file_count) }));
}

/** An experiment's file count and bytes, without counting. */
export async function readTotals(db: Kysely<Database>, experimentId: number) {
  const row = await db
    .selectFrom('file_totals')
    .select(['file_count', 'byte_count'])
    .where('experiment_id', '=', experimentId)
    .executeTakeFirst();
  return { files: Number(row?.file_count ?? 0), bytes: Number(row?.byte_count ?? 0) };
}
