/**
 * claimNextJob: the scheduler's one decision. A running job whose worker is gone comes first (it was
 * started already; its lease has expired, or its owner was a process of this host that no longer exists).
 * Then fair share: of the oldest pending job of each share key, the one whose share key has the fewest jobs
 * running; between equals, the key whose last job started longest ago (round robin); then the oldest. One
 * DAQ's thousand files therefore take turns with everyone else's jobs instead of queueing them behind.
 * The fair-share claim is one guarded UPDATE: one round trip, plus the orphan scan when it is due.
 */
import type { Kysely } from 'kysely';
import { isDeadLocalOwner } from '../claims/leases.ts';
import { profileOf } from '../db/profile.ts';
import type { Database } from '../db/tables.ts';

export interface ClaimedJob {
  id: number;
  /** True when the job was running under a worker that is gone: its running stage was interrupted. */
  takenOver: boolean;
  previousOwner: string | null;
}

export interface ClaimOptions {
  owner: string;
  site: string;
  now: string;
  leaseUntil: string;
  /** Jobs this worker runs now: never taken over by itself, whatever their lease says. */
  runningHere: ReadonlySet<number>;
  /**
   * Whether to look for orphans first. That reads every running job of the site, so a busy worker does it
   * about once a second rather than before each of its claims (runner.ts).
   */
  lookForOrphans: boolean;
}

export async function claimNextJob(
  db: Kysely<Database>,
  options: ClaimOptions,
): Promise<ClaimedJob | undefined> {
  if (options.lookForOrphans) {
    const orphan = await claimOrphan(db, options);
    if (orphan) return orphan;
  }
  return await claimFairShare(db, options);
}

/**
 * One statement: the next job by fair share, moved to running if still pending. On PostgreSQL the choice
 * locks its row and skips rows other claimers hold (`FOR UPDATE SKIP LOCKED`), so two servers claiming at
 * once take different jobs instead of queueing on one; on SQLite the statement is alone anyway. Either way
 * the `status = 'pending'` guard decides: a claim that loses a race updates nothing, and the runner claims
 * again at its next wake (at most a second later).
 */
async function claimFairShare(db: Kysely<Database>, options: ClaimOptions): Promise<ClaimedJob | undefined> {
  const heads = db
    .selectFrom('jobs as h')
    .select((eb) => eb.fn.min<number>('h.id').as('id'))
    .where('h.status', '=', 'pending')
    .where('h.site', '=', options.site)
    .groupBy('h.share_key');
  let next = db
    .selectFrom('jobs as j')
    .select('j.id')
    .where('j.id', 'in', heads)
    .orderBy((eb) =>
      eb
        .selectFrom('jobs as r')
        .select((rb) => rb.fn.countAll().as('n'))
        .where('r.status', '=', 'running')
        .whereRef('r.share_key', '=', 'j.share_key'),
    )
    // One indexed MAX per head (jobs_share_started); a key that never started a job comes first.
    .orderBy((eb) =>
      eb.fn.coalesce(
        eb
          .selectFrom('jobs as s')
          .select((sb) => sb.fn.max('s.start_time').as('last'))
          .whereRef('s.share_key', '=', 'j.share_key'),
        eb.val(''),
      ),
    )
    .orderBy('j.id')
    .limit(1);
  if (profileOf(db as Kysely<unknown>).supportsSkipLocked) next = next.forUpdate().skipLocked();
  const claimed = await db
    .updateTable('jobs')
    .set((eb) => ({
      status: 'running' as const,
      lease_owner: options.owner,
      lease_expires_at: options.leaseUntil,
      start_time: eb.fn.coalesce('start_time', eb.val(options.now)),
      updated_at: options.now,
    }))
    .where('id', '=', next)
    .where('status', '=', 'pending')
    .returning('id')
    .executeTakeFirst();
  return claimed ? { id: claimed.id, takenOver: false, previousOwner: null } : undefined;
}

/**
 * A job of this worker's own lease can be an orphan too: one whose run ended without recording its end (a
 * database error at the wrong moment). Its lease is no longer renewed, so it expires like any other.
 */
async function claimOrphan(db: Kysely<Database>, options: ClaimOptions): Promise<ClaimedJob | undefined> {
  const rows = await db
    .selectFrom('jobs')
    .select(['id', 'lease_owner', 'lease_expires_at'])
    .where('status', '=', 'running')
    .where('site', '=', options.site)
    .orderBy('id')
    .execute();
  for (const row of rows) {
    if (options.runningHere.has(row.id)) continue;
    if (!((row.lease_expires_at ?? '') < options.now || isDeadLocalOwner(row.lease_owner))) continue;
    const claimed = await db
      .updateTable('jobs')
      .set({ lease_owner: options.owner, lease_expires_at: options.leaseUntil, updated_at: options.now })
      .where('id', '=', row.id)
      .where('status', '=', 'running')
      .where('lease_owner', '=', row.lease_owner)
      .where((eb) =>
        row.lease_expires_at === null
          ? eb('lease_expires_at', 'is', null)
          : eb('lease_expires_at', '=', row.lease_expires_at),
      )
      .executeTakeFirst();
    if (claimed.numUpdatedRows > 0n) return { id: row.id, takenOver: true, previousOwner: row.lease_owner };
  }
  return undefined;
}
