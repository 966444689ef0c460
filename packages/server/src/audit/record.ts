/**
 * Recording an audit entry: audit's one write that other concepts make, inside the transaction of their own
 * change. Other folders record entries here, never through store.ts, which keeps the SQL of reading the log.
 */
import type { Kysely } from 'kysely';
import type { Actor } from '../authorization/principal.ts';
import { encodeJson } from '../db/profile.ts';
import type { Database } from '../db/tables.ts';

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
    | 'secret'
    | 'site';
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
