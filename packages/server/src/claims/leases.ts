/**
 * Background work claimed with leases (uploads, DAQs): a row is worked on by the process named in
 * `lease_owner` until `lease_expires_at`; the owner renews the lease as it goes. When the owner dies, its
 * lease expires and another process takes the row over. Lease owners name their process (`host:pid:random`),
 * so a lease held by a process of this host that no longer exists is taken at once: a server restarted after
 * a crash resumes its work immediately.
 *
 * claim-loop.ts claims and runs such work; claimLeased below is the claim of uploads and DAQs (jobs have
 * the scheduler's own, jobs/claim.ts).
 */

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/tables.ts';
import { isCode } from '../errors/error-code.ts';

export type LeasedTable = 'uploads' | 'daqs';

export const leaseMs = 30_000;

export function newLeaseOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

export function isDeadLocalOwner(owner: string | null): boolean {
  if (owner === null) return false;
  const [host, pid] = owner.split(':');
  if (host !== hostname() || !pid || Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return isCode(error, 'ESRCH');
  }
}

/**
 * The statuses claimLeased takes a row from: pending, or running under a lease that ended. The transition
 * tables of uploads and DAQs allow exactly these to move to running (their tests check it).
 */
export const claimableStatuses = ['pending', 'running'] as const;

/**
 * Which rows a claimer may take, as column equalities (`null` meaning IS NULL, a list meaning IN): the
 * server's DAQ runner takes `{ mode: 'server' }`, an agent `{ mode: 'agent', agent_name: 'its name' }`.
 */
export type ClaimFilter = Record<string, string | number | null | readonly number[]>;

export interface ClaimOptions {
  filter?: ClaimFilter;
  /**
   * Ids the claimer runs already. Their lease may have expired while the database's disk was full (no
   * renewal got through): claimed again, the same DAQ would run twice in one process.
   */
  running?: readonly number[];
  /** Runs in the claim's transaction: the caller's `running` event commits with the claim. */
  onClaimed?: (trx: Kysely<Database>, id: number, previousStatus: string) => Promise<void>;
}

/**
 * Claims the oldest row that is pending, or running under an expired lease or one of a dead local process.
 * The update is guarded by the state it read, so of two processes only one wins. Returns the row's id.
 * `onClaimed` runs in the claim's transaction (the first statement of which is the write, so on SQLite
 * it never has to upgrade a read lock).
 */
export async function claimLeased(
  db: Kysely<Database>,
  table: LeasedTable,
  owner: string,
  now: string,
  leaseUntil: string,
  options: ClaimOptions = {},
): Promise<number | undefined> {
  const { filter = {}, running = [], onClaimed } = options;
  let query = db
    .selectFrom(table)
    .select(['id', 'status', 'lease_expires_at', 'lease_owner'])
    .where('status', 'in', claimableStatuses)
    .orderBy('id');
  for (const [column, value] of Object.entries(filter)) {
    if (Array.isArray(value) && value.length === 0) return undefined;
    query =
      value === null
        ? query.where(sql.ref(column), 'is', null)
        : Array.isArray(value)
          ? query.where(sql.ref(column), 'in', value)
          : query.where(sql.ref(column), '=', value);
  }
  const rows = await query.execute();
  const candidate = rows.find(
    (row) =>
      !running.includes(row.id) &&
      (row.status === 'pending' || (row.lease_expires_at ?? '') < now || isDeadLocalOwner(row.lease_owner)),
  );
  if (!candidate) return undefined;
  // The claim and what the caller records with it (its `running` event) commit together.
  return db.transaction().execute(async (trx) => {
    const claimed = await trx
      .updateTable(table)
      .set((eb) => ({
        status: 'running' as const,
        lease_owner: owner,
        lease_expires_at: leaseUntil,
        start_time: eb.fn.coalesce('start_time', eb.val(now)),
        updated_at: now,
      }))
      .where('id', '=', candidate.id)
      .where('status', '=', candidate.status)
      .where((eb) =>
        candidate.lease_expires_at === null
          ? eb('lease_expires_at', 'is', null)
          : eb('lease_expires_at', '=', candidate.lease_expires_at),
      )
      .executeTakeFirst();
    if (claimed.numUpdatedRows === 0n) return undefined;
    await onClaimed?.(trx, candidate.id, candidate.status);
    return candidate.id;
  });
}

/** On a clean stop: the lease ends now, so the next start takes the row over at once. */
export async function releaseLease(
  db: Kysely<Database>,
  table: LeasedTable,
  id: number,
  owner: string,
  now: string,
): Promise<void> {
  await db
    .updateTable(table)
    .set({ lease_expires_at: now })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .execute();
}
