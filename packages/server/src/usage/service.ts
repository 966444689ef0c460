/**
 * The facility's resource utilization: what was ingested, which jobs ended how, what storage holds.
 *
 * Who sees what: admins every station; a station's managers their stations (all of them, or the one asked
 * for). Anybody else gets 403: usage is an operations view, and a scientist's own experiments already show
 * their file count and volume.
 */
import { managedStationIds } from '../authorization/policy.ts';
import type { Actor } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import { AppError, validationFailed } from '../errors/app-error.ts';
import { findStationByName } from '../stations/lookup.ts';
import type { Usage, UsageQuery } from './schemas.ts';
import * as store from './store.ts';

const defaultDays = 30;
const maxDays = 366;
const dayMs = 86_400_000;

function parseDay(text: string, field: string): number {
  const time = Date.parse(`${text}T00:00:00.000Z`);
  if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== text)
    throw validationFailed([{ field, message: `"${text}" is not a day (YYYY-MM-DD)` }]);
  return time;
}

/** The period asked for, checked: `from` ≤ `to`, at most a year. */
export function usagePeriod(
  query: UsageQuery,
  now: string,
): { from: string; to: string; range: store.TimeRange } {
  const to = query.to ?? now.slice(0, 10);
  const toTime = parseDay(to, 'to');
  const fromTime =
    query.from === undefined ? toTime - (defaultDays - 1) * dayMs : parseDay(query.from, 'from');
  if (fromTime > toTime) throw validationFailed([{ field: 'from', message: 'must not be after `to`' }]);
  if ((toTime - fromTime) / dayMs + 1 > maxDays)
    throw validationFailed([{ field: 'from', message: `the period is at most ${maxDays} days` }]);
  return {
    from: new Date(fromTime).toISOString().slice(0, 10),
    to,
    range: { from: new Date(fromTime).toISOString(), to: new Date(toTime + dayMs).toISOString() },
  };
}

export function createUsageService(context: ServiceContext) {
  const { db } = context;

  async function scopeOf(actor: Actor, stationName: string | undefined): Promise<store.StationScope> {
    const { principal } = actor;
    const station = stationName === undefined ? undefined : await findStationByName(db, stationName);
    if (stationName !== undefined && station === undefined)
      throw new AppError('station_not_found', `no station "${stationName}"`, { station: stationName });
    if (principal.isAdmin) return station ? [station.id] : 'all';
    const managed = await managedStationIds(db, principal);
    if (managed.length === 0)
      throw new AppError('forbidden', 'only admins and station managers may see usage');
    if (!station) return managed;
    if (!managed.includes(station.id))
      throw new AppError(
        'forbidden',
        `only admins and managers of station "${station.name}" may see its usage`,
        {
          station: station.name,
        },
      );
    return [station.id];
  }

  return {
    /**
     * @example
     * await usage.report(actor, { from: '2026-11-01', to: '2026-11-30', station: '8-ID-I' });
     */
    async report(actor: Actor, query: UsageQuery): Promise<Usage> {
      const period = usagePeriod(query, context.now());
      const scope = await scopeOf(actor, query.station);
      const [stations, ingestRows, jobRows, byStation, byExperiment] = await Promise.all([
        store.stationNames(db, scope),
        store.ingestedPerDay(db, period.range),
        store.jobsPerDay(db, period.range, scope),
        store.storageByStation(db, scope),
        store.storageByExperiment(db, scope, 50),
      ]);
      const names = inScope(
        await store.experimentsById(db, [...new Set(ingestRows.map((row) => row.experimentId))]),
        scope,
      );
      return {
        from: period.from,
        to: period.to,
        stations,
        ingested: perStationDay(ingestRows, names),
        jobs: jobsByDay(jobRows),
        storageByStation: byStation,
        storageByExperiment: byExperiment,
        busiestExperiments: busiest(ingestRows, names, 10),
      };
    },
  };
}

export type UsageService = ReturnType<typeof createUsageService>;

function jobsByDay(rows: { day: string; status: string; jobs: number }[]): Usage['jobs'] {
  const days = new Map<string, Usage['jobs'][number]>();
  for (const row of rows) {
    const entry = days.get(row.day) ?? { day: row.day, done: 0, failed: 0, aborted: 0, successRate: null };
    if (row.status === 'done' || row.status === 'failed' || row.status === 'aborted')
      entry[row.status] += row.jobs;
    days.set(row.day, entry);
  }
  return [...days.values()].map((entry) => {
    const ended = entry.done + entry.failed + entry.aborted;
    return { ...entry, successRate: ended === 0 ? null : entry.done / ended };
  });
}

type IngestRow = Awaited<ReturnType<typeof store.ingestedPerDay>>[number];
type Names = Map<number, { experiment: string; station: string }>;

/** Only the experiments of the stations in scope: the others' rows are then skipped. */
function inScope(
  names: Map<number, { experiment: string; station: string; stationId: number }>,
  scope: store.StationScope,
): Names {
  const kept: Names = new Map();
  for (const [id, { experiment, station, stationId }] of names)
    if (scope === 'all' || scope.includes(stationId)) kept.set(id, { experiment, station });
  return kept;
}

/** Per day and station, in day then station order. */
function perStationDay(rows: IngestRow[], names: Names): Usage['ingested'] {
  const sums = new Map<string, Usage['ingested'][number]>();
  for (const row of rows) {
    const station = names.get(row.experimentId)?.station;
    if (station === undefined) continue; // another station's, or deleted since
    const key = `${row.day} ${station}`;
    const sum = sums.get(key) ?? { day: row.day, station, files: 0, bytes: 0 };
    sums.set(key, { ...sum, files: sum.files + row.files, bytes: sum.bytes + row.bytes });
  }
  return [...sums.values()].sort((a, b) => a.day.localeCompare(b.day) || a.station.localeCompare(b.station));
}

/** The experiments that took in the most bytes (then files, then name). */
function busiest(rows: IngestRow[], names: Names, limit: number): Usage['busiestExperiments'] {
  const sums = new Map<number, Usage['busiestExperiments'][number]>();
  for (const row of rows) {
    const name = names.get(row.experimentId);
    if (name === undefined) continue;
    const sum = sums.get(row.experimentId) ?? { ...name, files: 0, bytes: 0 };
    sums.set(row.experimentId, { ...sum, files: sum.files + row.files, bytes: sum.bytes + row.bytes });
  }
  return [...sums.values()]
    .sort((a, b) => b.bytes - a.bytes || b.files - a.files || a.experiment.localeCompare(b.experiment))
    .slice(0, limit);
}
