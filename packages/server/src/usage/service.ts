/**
 * The facility's resource utilization: what was ingested, which jobs ended how, what storage holds.
 *
 * Who sees what: admins every station; a station's managers their stations (all of them, or the one asked
 * for). Anybody else gets 403: usage is an operations view, and a scientist's own experiments already show
 * their file count and volume.
 */
import { managedStationIds } from '../auth/policy.ts';
import type { Actor } from '../auth/principal.ts';
import type { ServiceContext } from '../context.ts';
import { AppError, validationFailed } from '../errors/app-error.ts';
import { findStationByName } from '../stations/store.ts';
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
      const [stations, ingested, jobRows, byStation, byExperiment, busiest] = await Promise.all([
        store.stationNames(db, scope),
        store.ingestedPerDay(db, period.range, scope),
        store.jobsPerDay(db, period.range, scope),
        store.storageByStation(db, scope),
        store.storageByExperiment(db, scope, 50),
        store.busiestExperiments(db, period.range, scope, 10),
      ]);
      return {
        from: period.from,
        to: period.to,
        stations,
        ingested,
        jobs: jobsByDay(jobRows),
        storageByStation: byStation,
        storageByExperiment: byExperiment,
        busiestExperiments: busiest,
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
