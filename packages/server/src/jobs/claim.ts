/**
 * claimNextJob: the scheduler's one decision. A running job whose worker is gone comes first (it was
 * started already; its lease has expired, or its owner was a process of this host that no longer exists).
 * Then fair share: of the oldest pending job of each share key, the one whose share key has the fewest jobs
 * running; between equals, the key whose last job started longest ago (round robin); then the oldest. One
 * DAQ's thousand files therefore take turns with everyone else's jobs instead of queueing them behind.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.ts';
import { isDeadLocalOwner } from '../leases.ts';

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
}

export async function claimNextJob(
  db: Kysely<Database>,
  options: ClaimOptions,
): Promise<ClaimedJob | undefined> {
  const orphan = await claimOrphan(db, options);
  if (orphan) return orphan;
  const heads = await db
    .selectFrom('jobs')
    .select(['share_key', (eb) => eb.fn.min<number>('id').as('id')])
    .where('status', '=', 'pending')
    .where('site', '=', options.site)
    .groupBy('share_key')
    .execute();
  if (heads.length === 0) return undefined;
  const running = new Map(
    (
      await db
        .selectFrom('jobs')
        .select(['share_key', (eb) => eb.fn.countAll<number>().as('n')])
        .where('status', '=', 'running')
        .where(
          'share_key',
          'in',
          heads.map((h) => h.share_key),
        )
        .groupBy('share_key')
        .execute()
    ).map((row) => [row.share_key, Number(row.n)]),
  );
  const lastStarted = new Map<string, string>();
  // One indexed MAX per share key (jobs_share_started): a grouped query over all keys would read every job
  // a busy DAQ ever had, on each claim.
  if (heads.length > 1) {
    for (const head of heads) {
      const row = await db
        .selectFrom('jobs')
        .select((eb) => eb.fn.max('start_time').as('last'))
        .where('share_key', '=', head.share_key)
        .executeTakeFirst();
      if (row?.last) lastStarted.set(head.share_key, row.last);
    }
  }
  heads.sort(
    (a, b) =>
      (running.get(a.share_key) ?? 0) - (running.get(b.share_key) ?? 0) ||
      (lastStarted.get(a.share_key) ?? '').localeCompare(lastStarted.get(b.share_key) ?? '') ||
      a.id - b.id,
  );
  for (const head of heads) {
    const claimed = await db
      .updateTable('jobs')
      .set((eb) => ({
        status: 'running' as const,
        lease_owner: options.owner,
        lease_expires_at: options.leaseUntil,
        start_time: eb.fn.coalesce('start_time', eb.val(options.now)),
        updated_at: options.now,
      }))
      .where('id', '=', head.id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (claimed.numUpdatedRows > 0n) return { id: head.id, takenOver: false, previousOwner: null };
  }
  return undefined;
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
