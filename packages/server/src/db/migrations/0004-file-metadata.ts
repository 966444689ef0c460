/**
 * Indexed metadata for the catalog: `file_metadata` (one row per top-level key of each file's metadata),
 * with per-experiment key counts and file totals, and their backfill from the existing records.
 *
 * The backfill reads each record's JSON with the database's own JSON functions, in batches of file ids, then
 * counts keys and totals from what it wrote. Its SQL is written out here, not shared with the catalog, so
 * that this migration stays what it was when released.
 *
 * Kysely runs a PostgreSQL migration in a transaction but not a SQLite one: on SQLite the whole migration is
 * one transaction of its own, so a process killed during the backfill leaves the database at 0003, and the
 * next start does it again from the beginning.
 */
import { type Kysely, sql } from 'kysely';
import type { DialectProfile } from '../profile.ts';
import type { Migration } from './migration.ts';

const batchSize = 10_000;

export function fileMetadata(profile: DialectProfile): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (profile.name === 'sqlite') await sql`begin immediate`.execute(db);
      try {
        await createTables(db, profile);
        await backfill(db, profile);
        if (profile.name === 'sqlite') await sql`commit`.execute(db);
      } catch (error) {
        if (profile.name === 'sqlite') await sql`rollback`.execute(db);
        throw error;
      }
    },
  };
}

async function createTables(db: Kysely<unknown>, profile: DialectProfile) {
  // No foreign key to files: a record is deleted before its rows, whose key counts are taken from them.
  await db.schema
    .createTable('file_metadata')
    .addColumn('file_id', 'integer', (c) => c.notNull())
    .addColumn('experiment_id', 'integer', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value_text', 'text')
    // numeric: exact on PostgreSQL, as `::numeric` compared before; NUMERIC affinity on SQLite.
    .addColumn('value_number', 'numeric')
    .addPrimaryKeyConstraint('file_metadata_pk', ['file_id', 'key'])
    .$call((table) => (profile.name === 'sqlite' ? table.modifyEnd(sql`without rowid`) : table))
    .execute();
  // Searches by key and value within an experiment; file_id last, so the indexes answer alone (covering).
  await db.schema
    .createIndex('file_metadata_text')
    .on('file_metadata')
    .columns(['experiment_id', 'key', 'value_text', 'file_id'])
    .execute();
  await db.schema
    .createIndex('file_metadata_number')
    .on('file_metadata')
    .columns(['experiment_id', 'key', 'value_number', 'file_id'])
    .execute();
  await db.schema
    .createTable('file_metadata_keys')
    .addColumn('experiment_id', 'integer', (c) =>
      c.notNull().references('experiments.id').onDelete('cascade'),
    )
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('file_count', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('file_metadata_keys_pk', ['experiment_id', 'key'])
    .execute();
  await db.schema
    .createTable('file_totals')
    .addColumn('experiment_id', 'integer', (c) =>
      c.primaryKey().references('experiments.id').onDelete('cascade'),
    )
    .addColumn('file_count', 'bigint', (c) => c.notNull())
    .addColumn('byte_count', 'bigint', (c) => c.notNull())
    .execute();
}

async function backfill(db: Kysely<unknown>, profile: DialectProfile) {
  const last = await sql<{ id: number | null }>`select max(id) as id from files`.execute(db);
  const maxId = Number(last.rows[0]?.id ?? 0);
  for (let from = 1; from <= maxId; from += batchSize) {
    const to = from + batchSize - 1;
    await (profile.name === 'sqlite'
      ? sql`insert into file_metadata (file_id, experiment_id, key, value_text, value_number)
          select f.id, f.experiment_id, j.key,
            case when j.type = 'text' then j.value end,
            case when j.type in ('integer', 'real') then j.value end
          from files f, json_each(f.metadata) j where f.id between ${from} and ${to}`
      : sql`insert into file_metadata (file_id, experiment_id, key, value_text, value_number)
          select f.id, f.experiment_id, j.key,
            case when jsonb_typeof(j.value) = 'string' then j.value #>> '{}' end,
            case when jsonb_typeof(j.value) = 'number' then (j.value #>> '{}')::numeric end
          from files f, jsonb_each(f.metadata) j where f.id between ${from} and ${to}`
    ).execute(db);
  }
  await sql`insert into file_metadata_keys (experiment_id, key, file_count)
    select experiment_id, key, count(*) from file_metadata group by experiment_id, key`.execute(db);
  await sql`insert into file_totals (experiment_id, file_count, byte_count)
    select experiment_id, count(*), sum(size) from files group by experiment_id`.execute(db);
}
