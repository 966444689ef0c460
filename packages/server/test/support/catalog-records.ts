/**
 * File records written straight through the catalog's store, and a check that everything the catalog derives
 * from them (file_metadata, key counts, totals) is exactly what the records say.
 */
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { upsertFile } from '../../src/catalog/file-records.ts';
import type { DatabaseHandle } from '../../src/db/connection.ts';
import { metadataEntries } from '../../src/db/metadata-query.ts';
import { decodeJson } from '../../src/db/profile.ts';

/** Creates a station (once) and an experiment in it; returns the experiment's id. */
export async function addExperiment(handle: DatabaseHandle, name: string): Promise<number> {
  const now = new Date().toISOString();
  const { db } = handle;
  await db
    .insertInto('stations')
    .values({ name: 'test-station', created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const station = await db
    .selectFrom('stations')
    .select('id')
    .where('name', '=', 'test-station')
    .executeTakeFirstOrThrow();
  const row = await db
    .insertInto('experiments')
    .values({
      name,
      station_id: station.id,
      status: 'running',
      storage_state: 'ready',
      created_at: now,
      updated_at: now,
    } as never)
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Takes a file into the catalog as ingest does (its metadata replaces, as if read from the file). */
export async function putFile(
  handle: DatabaseHandle,
  experimentId: number,
  path: string,
  metadata: Record<string, unknown>,
  size = 1000,
): Promise<void> {
  const now = new Date().toISOString();
  await handle.db.transaction().execute((trx) =>
    upsertFile(
      trx,
      handle.profile,
      {
        experimentId,
        path,
        size,
        mtime: now,
        md5: 'd41d8cd98f00b204e9800998ecf8427e',
        sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        source: null,
        originType: 'manual',
        originId: null,
        transferMs: null,
        contentMetadata: metadata,
        now,
      },
      {},
    ),
  );
}

/** Asserts that the derived rows are exactly what the file records say, for every experiment. */
export async function assertDerivedExact(handle: DatabaseHandle): Promise<void> {
  const { db, profile } = handle;
  const files = await db.selectFrom('files').select(['id', 'experiment_id', 'size', 'metadata']).execute();
  const keys = new Map<string, number>();
  const totals = new Map<number, { files: number; bytes: number }>();
  for (const file of files) {
    for (const key of Object.keys(decodeJson<Record<string, unknown>>(profile, file.metadata))) {
      const name = `${file.experiment_id} ${key}`;
      keys.set(name, (keys.get(name) ?? 0) + 1);
    }
    const total = totals.get(file.experiment_id) ?? { files: 0, bytes: 0 };
    totals.set(file.experiment_id, { files: total.files + 1, bytes: total.bytes + Number(file.size) });
  }
  const keyRows = await db
    .selectFrom('file_metadata_keys')
    .selectAll()
    .where('file_count', '!=', 0)
    .execute();
  assert.deepEqual(
    new Map(keyRows.map((row) => [`${row.experiment_id} ${row.key}`, Number(row.file_count)])),
    keys,
    'key counts',
  );
  const totalRows = await db.selectFrom('file_totals').selectAll().execute();
  assert.deepEqual(
    new Map(
      totalRows
        .filter((row) => Number(row.file_count) !== 0 || Number(row.byte_count) !== 0)
        .map((row) => [row.experiment_id, { files: Number(row.file_count), bytes: Number(row.byte_count) }]),
    ),
    totals,
    'file totals',
  );
  const entries = await sql<Entry>`${metadataEntries(profile, sql<boolean>`1 = 1`)}`.execute(db);
  const stored = await db.selectFrom('file_metadata').selectAll().execute();
  assert.deepEqual(normalize(stored), normalize(entries.rows), 'file_metadata rows');
}

interface Entry {
  file_id: number;
  experiment_id: number;
  key: string;
  value_text: string | null;
  value_number: number | string | null;
}

function normalize(rows: Entry[]): string[] {
  return rows
    .map((row) =>
      JSON.stringify([
        row.file_id,
        row.experiment_id,
        row.key,
        row.value_text,
        row.value_number === null ? null : Number(row.value_number),
      ]),
    )
    .sort();
}
