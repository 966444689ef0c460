/** `dm usage`: the facility's use per day and station (staff). */
import type { Usage } from '@photon-dm/client';
import type { Command } from 'commander';
import { addClientOptions, type ClientOptions, createContext, type Runtime } from '../context.ts';
import { formatTable } from '../output.ts';

const percent = (rate: number | null) => (rate === null ? null : `${Math.round(rate * 100)}%`);

/** Per-station totals of the period, then jobs per day, storage and the busiest experiments. */
export function renderUsage(usage: Usage): string {
  const perStation = new Map<string, { station: string; files: number; bytes: number }>();
  for (const row of usage.ingested) {
    const total = perStation.get(row.station) ?? { station: row.station, files: 0, bytes: 0 };
    perStation.set(row.station, { ...total, files: total.files + row.files, bytes: total.bytes + row.bytes });
  }
  const amount = [
    { header: 'FILES', value: (r: { files: number }) => r.files },
    { header: 'BYTES', value: (r: { bytes: number }) => r.bytes },
  ];
  return [
    `Usage from ${usage.from} to ${usage.to} (UTC days) of ${usage.stations.join(', ') || 'no station'}`,
    '',
    'INGESTED IN THE PERIOD',
    formatTable([...perStation.values()], [{ header: 'STATION', value: (r) => r.station }, ...amount]),
    '',
    'JOBS ENDED PER DAY',
    formatTable(usage.jobs, [
      { header: 'DAY', value: (r) => r.day },
      { header: 'DONE', value: (r) => r.done },
      { header: 'FAILED', value: (r) => r.failed },
      { header: 'ABORTED', value: (r) => r.aborted },
      { header: 'SUCCESS', value: (r) => percent(r.successRate) },
    ]),
    '',
    'STORAGE PER STATION',
    formatTable(usage.storageByStation, [
      { header: 'STATION', value: (r) => r.station },
      { header: 'EXPERIMENTS', value: (r) => r.experiments },
      ...amount,
    ]),
    '',
    'BUSIEST EXPERIMENTS IN THE PERIOD',
    formatTable(usage.busiestExperiments, [
      { header: 'EXPERIMENT', value: (r) => r.experiment },
      { header: 'STATION', value: (r) => r.station },
      ...amount,
    ]),
  ].join('\n');
}

/**
 * @example
 * registerUsageCommands(program, runtime); // dm usage --from 2026-11-01 --to 2026-11-30 --station 8-ID-I
 */
export function registerUsageCommands(program: Command, runtime: Runtime): void {
  addClientOptions(
    program
      .command('usage')
      .description('files and bytes ingested, jobs ended and storage used, per day and station (staff)')
      .option('--from <day>', 'first UTC day, YYYY-MM-DD (default: 29 days before --to)')
      .option('--to <day>', 'last UTC day, YYYY-MM-DD (default: today)')
      .option('--station <name>', 'only this station'),
  ).action(async (options: ClientOptions & { from?: string; to?: string; station?: string }) => {
    const context = createContext(runtime, options);
    const { from, to, station } = options;
    const usage = await context.client.usage.report({
      ...(from !== undefined && { from }),
      ...(to !== undefined && { to }),
      ...(station !== undefined && { station }),
    });
    context.emit(usage, renderUsage);
  });
}
