import type { Kysely } from 'kysely';
import type { AuditEventRow, Database } from '../db/tables.ts';

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
