/**
 * The staging rows the agent API keeps: one per file version a DAQ agent is sending over HTTP, made when
 * the agent offers it, found while it sends, deleted once the file is taken. It holds its own SQL, as
 * staging's narrow interface: other folders use staging rows here, never through store.ts, which keeps the
 * SQL of clearing the staging of ended DAQs.
 */
import type { Kysely } from 'kysely';
import type { DaqStagingRow, Database } from '../db/tables.ts';

export interface FileVersion {
  daqId: number;
  path: string;
  size: number;
  mtime: string;
}

/**
 * The staging rows of many versions of one DAQ, made if new in one statement (one commit, where one per
 * file would be one WAL fsync each on SQLite), and the rows of other versions of the same paths (stale).
 * Idempotent, so a resent offer finds the same rows.
 */
export async function ensureStagings(
  db: Kysely<Database>,
  daqId: number,
  versions: readonly FileVersion[],
  now: string,
): Promise<{ rows: Map<string, DaqStagingRow>; stale: DaqStagingRow[] }> {
  const rows = new Map<string, DaqStagingRow>();
  const stale: DaqStagingRow[] = [];
  if (versions.length === 0) return { rows, stale };
  await db
    .insertInto('daq_staging')
    .values(
      versions.map((version) => ({
        daq_id: daqId,
        path: version.path,
        size: version.size,
        mtime: version.mtime,
        created_at: now,
      })),
    )
    .onConflict((oc) => oc.columns(['daq_id', 'path', 'size', 'mtime']).doNothing())
    .execute();
  const wanted = new Map(versions.map((version) => [version.path, version]));
  const found = await db
    .selectFrom('daq_staging')
    .selectAll()
    .where('daq_id', '=', daqId)
    .where('path', 'in', [...wanted.keys()])
    .execute();
  for (const row of found) {
    const version = wanted.get(row.path);
    if (version?.size === row.size && version.mtime === row.mtime) rows.set(row.path, row);
    else stale.push(row);
  }
  return { rows, stale };
}

export async function findStaging(
  db: Kysely<Database>,
  version: FileVersion,
): Promise<DaqStagingRow | undefined> {
  return db
    .selectFrom('daq_staging')
    .selectAll()
    .where('daq_id', '=', version.daqId)
    .where('path', '=', version.path)
    .where('size', '=', version.size)
    .where('mtime', '=', version.mtime)
    .executeTakeFirst();
}

export async function deleteStaging(db: Kysely<Database>, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.deleteFrom('daq_staging').where('id', 'in', ids).execute();
}
