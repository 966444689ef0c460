import type { Kysely } from 'kysely';
import type { Actor } from '../authorization/principal.ts';
import { encodeJson } from '../db/profile.ts';
import type { AuditEventRow, Database } from '../db/tables.ts';

export interface AuditEntry {
  /** `concept.verb`, e.g. `experiment.create`, `user.disable`. */
  action: string;
  targetType:
    | 'user'
    | 'token'
    | 'station'
    | 'experiment'
    | 'experiment_type'
    | 'file'
    | 'upload'
    | 'daq'
    | 'workflow'
    | 'job'
    | 'secret';
  targetName: string;
  stationName?: string | null;
  experimentName?: string | null;
  /** What changed. Never a secret: passwords and tokens are written as `"(set)"`. */
  details?: Record<string, unknown>;
}

/** Who did it, when, in which request: the first argument of `recordAudit` for calls made by a user. */
export function auditWho(actor: Actor, now: string) {
  return { actor: actor.principal.username, requestId: actor.requestId, now };
}

/** Written inside the transaction of the change itself: an audited change and its record commit together. */
export async function recordAudit(
  db: Kysely<Database>,
  who: { actor: string; requestId: string | null; now: string },
  entry: AuditEntry,
): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      occurred_at: who.now,
      actor: who.actor,
      action: entry.action,
      target_type: entry.targetType,
      target_name: entry.targetName,
      station_name: entry.stationName ?? null,
      experiment_name: entry.experimentName ?? null,
      details: encodeJson(entry.details ?? {}),
      request_id: who.requestId,
    })
    .execute();
}

export interface AuditFilter {
  experimentName?: string;
  actor?: string;
  action?: string;
  /** Only events about these stations' experiments or the stations themselves (for station managers). */
  stationNames?: string[];
  beforeId?: number;
  limit: number;
}

/** Newest first. */
export async function listAuditEvents(db: Kysely<Database>, filter: AuditFilter): Promise<AuditEventRow[]> {
  let query = db
    .selectFrom('audit_events')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(filter.limit + 1);
  if (filter.experimentName !== undefined) query = query.where('experiment_name', '=', filter.experimentName);
  if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.stationNames !== undefined) {
    if (filter.stationNames.length === 0) return [];
    query = query.where('station_name', 'in', filter.stationNames);
  }
  if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
  return query.execute();
}

/** The names of these stations: audit records name a station, as it was called then, not its id. */
export async function namesOfStations(db: Kysely<Database>, ids: number[]): Promise<string[]> {
  const rows = await db.selectFrom('stations').select('name').where('id', 'in', ids).execute();
  return rows.map((r) => r.name);
}
