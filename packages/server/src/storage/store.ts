/**
 * The SQL of experiments' storage: the state of each tree (`StorageState`, an intent log that lifecycle.ts
 * moves on and reconcile.ts finishes), the work that keeps a tree in use, and whose accounts may read it.
 */
import type { Kysely } from 'kysely';
import { readsExperiment } from '../authorization/experiment-readers.ts';
import { profileOf } from '../db/profile.ts';
import type { Database, ExperimentRow, StorageState } from '../db/tables.ts';
import { type StoredExperiment, selectStoredExperiments } from './lookup.ts';

export async function changeStorageState(
  db: Kysely<Database>,
  id: number,
  from: StorageState[],
  to: StorageState,
): Promise<boolean> {
  const result = await db
    .updateTable('experiments')
    .set({ storage_state: to })
    .where('id', '=', id)
    .where('storage_state', 'in', from)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * The experiment's storage state, read with a lock on its row held until `trx` ends: an exclusive one
 * (`exclusive`, for a deletion) or a shared one (for new work). On PostgreSQL a deletion and the start of a
 * DAQ, upload or job for the same experiment therefore run one after the other, never both on a view that
 * misses the other; SQLite's single writer already orders them. Undefined when the experiment is gone.
 */
export async function lockStorageState(
  trx: Kysely<Database>,
  id: number,
  exclusive: boolean,
): Promise<StorageState | undefined> {
  const locking = profileOf(trx as Kysely<unknown>).supportsForUpdate;
  const row = await trx
    .selectFrom('experiments')
    .select('storage_state')
    .where('id', '=', id)
    .$if(locking && exclusive, (query) => query.forUpdate())
    .$if(locking && !exclusive, (query) => query.forShare())
    .executeTakeFirst();
  return row?.storage_state;
}

/** The DAQs, uploads and jobs of an experiment that have not ended (pending or running), by id. */
export async function unfinishedWork(
  db: Kysely<Database>,
  id: number,
): Promise<{ daqs: number[]; uploads: number[]; jobs: number[] }> {
  const active = ['pending', 'running'] as const;
  const [daqs, uploads, jobs] = await Promise.all([
    db
      .selectFrom('daqs')
      .select('id')
      .where('experiment_id', '=', id)
      .where('status', 'in', active)
      .execute(),
    db
      .selectFrom('uploads')
      .select('id')
      .where('experiment_id', '=', id)
      .where('status', 'in', active)
      .execute(),
    db
      .selectFrom('jobs')
      .select('id')
      .where('experiment_id', '=', id)
      .where('status', 'in', active)
      .execute(),
  ]);
  const ids = (rows: { id: number }[]) => rows.map((row) => row.id).sort((a, b) => a - b);
  return { daqs: ids(daqs), uploads: ids(uploads), jobs: ids(jobs) };
}

export async function deleteExperimentRow(
  db: Kysely<Database>,
  id: number,
  state: StorageState,
): Promise<boolean> {
  const result = await db
    .deleteFrom('experiments')
    .where('id', '=', id)
    .where('storage_state', '=', state)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** The files the catalog holds of an experiment: its tree is in use while there are any. */
export async function countCatalogedFiles(db: Kysely<Database>, experimentId: number): Promise<number> {
  const row = await db
    .selectFrom('files')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('experiment_id', '=', experimentId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The unix accounts that may read an experiment's tree: its members' and its station's managers'. */
export async function readerAccountsOf(
  db: Kysely<Database>,
  experiment: Pick<ExperimentRow, 'id' | 'station_id'>,
): Promise<string[]> {
  const rows = await db
    .selectFrom('users as u')
    .select('u.unix_account')
    .where('u.unix_account', 'is not', null)
    .where('u.disabled_at', 'is', null)
    .where((eb) =>
      eb.or([
        eb(
          'u.id',
          'in',
          eb.selectFrom('experiment_members').select('user_id').where('experiment_id', '=', experiment.id),
        ),
        eb(
          'u.id',
          'in',
          eb.selectFrom('station_managers').select('user_id').where('station_id', '=', experiment.station_id),
        ),
      ]),
    )
    .execute();
  return rows.flatMap((row) => (row.unix_account === null ? [] : [row.unix_account]));
}

/** The ready experiments of a station, or those a user reads (as a member or a manager of their station). */
export async function readyExperimentsOf(
  db: Kysely<Database>,
  which: { stationId?: number; userId?: number },
): Promise<StoredExperiment[]> {
  let query = selectStoredExperiments(db).where('e.storage_state', '=', 'ready');
  const { stationId, userId } = which;
  if (stationId !== undefined) query = query.where('e.station_id', '=', stationId);
  if (userId !== undefined) {
    query = query.where((eb) => readsExperiment(eb, userId));
  }
  return query.execute();
}
