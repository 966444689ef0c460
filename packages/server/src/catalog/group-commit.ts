/**
 * Group commit of catalog writes: every write asked for while a transaction commits goes into the next
 * transaction together, so a DAQ taking 4 files at once pays one commit (one WAL fsync on SQLite, one round
 * trip of COMMIT on PostgreSQL) for all of them instead of one each. A lone write waits for nothing: it
 * starts its transaction at once. Each write still commits whole (its record, processing request and event
 * together), and none is visible before the commit, so a crash loses a batch exactly as it lost one file
 * before: the file is in storage, uncataloged, and the DAQ catalogs it again (an identical copy) on restart.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.ts';

export type CatalogWrite = (trx: Kysely<Database>) => Promise<void>;

export interface GroupCommit {
  /** Runs `write` in a transaction shared with the writes queued alongside it; resolves once committed. */
  run(write: CatalogWrite): Promise<void>;
}

interface Queued {
  write: CatalogWrite;
  resolve(): void;
  reject(error: unknown): void;
}

/** At most this many writes share a transaction, so one commit never holds the database for long. */
const maxBatch = 64;

/**
 * @example
 * const group = createGroupCommit(context.db);
 * await Promise.all(files.map((file) => group.run((trx) => upsertFile(trx, profile, file, {}))));
 */
export function createGroupCommit(db: Kysely<Database>): GroupCommit {
  let queue: Queued[] = [];
  let committing = false;

  const commitBatch = async (batch: Queued[]) => {
    try {
      await db.transaction().execute(async (trx) => {
        for (const queued of batch) await queued.write(trx);
      });
      for (const queued of batch) queued.resolve();
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      // One bad write must not fail the others: each commits (or fails) alone.
      for (const queued of batch) {
        await db.transaction().execute(queued.write).then(queued.resolve, queued.reject);
      }
    }
  };

  const drain = async () => {
    committing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch);
        queue = queue.slice(maxBatch);
        await commitBatch(batch);
      }
    } finally {
      committing = false;
    }
  };

  return {
    run(write) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ write, resolve, reject });
        if (!committing) void drain();
      });
    },
  };
}
