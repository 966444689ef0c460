/** The figures of one usage report: charts per day, then storage and the busiest experiments as bar tables. */
import type { Usage } from '@photon-dm/client';
import { useMemo } from 'react';
import { formatBytes, formatNumber } from '../components/format.ts';
import { BarTable } from './bar-table.tsx';
import { daysBetween, seriesByKey } from './days.ts';
import { type ChartSeries, palette, TimeChart } from './time-chart.tsx';

const percent = (value: number) => `${Math.round(value)} %`;
const count = (value: number) => formatNumber(Math.round(value));

export function UsageReport({ usage }: { usage: Usage }) {
  const days = useMemo(() => daysBetween(usage.from, usage.to), [usage]);
  const seconds = useMemo(() => days.map((day) => Date.parse(`${day}T00:00:00Z`) / 1000), [days]);
  const stations = useMemo(() => [...new Set(usage.ingested.map((row) => row.station))].sort(), [usage]);
  const perStation = (amountOf: (row: Usage['ingested'][number]) => number): ChartSeries[] => {
    const series = seriesByKey(days, usage.ingested, (row) => row.station, amountOf);
    return stations.map((name, i) => ({
      label: name,
      values: series.get(name) ?? [],
      color: palette[i % palette.length] ?? '#888',
    }));
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: derived from usage, days and stations only
  const files = useMemo(() => perStation((row) => row.files), [usage, days, stations]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: derived from usage, days and stations only
  const bytes = useMemo(() => perStation((row) => row.bytes), [usage, days, stations]);
  const jobs = useMemo((): ChartSeries[] => {
    const byDay = new Map(usage.jobs.map((row) => [row.day, row]));
    return [
      {
        label: 'Ended jobs',
        values: days.map((day) => {
          const row = byDay.get(day);
          return row ? row.done + row.failed + row.aborted : 0;
        }),
        color: palette[0] ?? '#0072B2',
        bars: true,
      },
      {
        label: 'Success rate',
        values: days.map((day) => {
          const rate = byDay.get(day)?.successRate;
          return rate === null || rate === undefined ? null : rate * 100;
        }),
        color: palette[2] ?? '#009E73',
        right: true,
      },
    ];
  }, [usage, days]);

  const totalFiles = usage.ingested.reduce((sum, row) => sum + row.files, 0);
  const totalBytes = usage.ingested.reduce((sum, row) => sum + row.bytes, 0);
  const ended = usage.jobs.reduce((sum, row) => sum + row.done + row.failed + row.aborted, 0);
  const done = usage.jobs.reduce((sum, row) => sum + row.done, 0);

  return (
    <>
      <dl className="headline" aria-label="In the period">
        <div>
          <dt>Files ingested</dt>
          <dd>{formatNumber(totalFiles)}</dd>
        </div>
        <div>
          <dt>Bytes ingested</dt>
          <dd>{formatBytes(totalBytes)}</dd>
        </div>
        <div>
          <dt>Jobs ended</dt>
          <dd>{formatNumber(ended)}</dd>
        </div>
        <div>
          <dt>Success rate</dt>
          <dd>{ended === 0 ? '–' : percent((100 * done) / ended)}</dd>
        </div>
      </dl>
      <div className="usage-charts">
        <section className="panel">
          <h2>Files ingested per day</h2>
          <TimeChart
            title="Files ingested per day, per station"
            days={seconds}
            series={files}
            format={count}
            integers
          />
        </section>
        <section className="panel">
          <h2>Bytes ingested per day</h2>
          <TimeChart
            title="Bytes ingested per day, per station"
            days={seconds}
            series={bytes}
            format={formatBytes}
          />
        </section>
        <section className="panel">
          <h2>Jobs per day</h2>
          <TimeChart
            title="Jobs ended per day, and their success rate"
            days={seconds}
            series={jobs}
            format={count}
            integers
            formatRight={percent}
          />
        </section>
      </div>
      <div className="grid">
        <BarTable
          caption="Storage per station"
          headers={['Station']}
          extraHeader="Files"
          valueHeader="Used"
          rows={usage.storageByStation.map((row) => ({
            key: row.station,
            cells: [row.station],
            extra: formatNumber(row.files),
            value: row.bytes,
            shown: formatBytes(row.bytes),
          }))}
        />
        <BarTable
          caption="Busiest experiments in the period"
          headers={['Experiment', 'Station']}
          extraHeader="Files"
          valueHeader="Ingested"
          rows={usage.busiestExperiments.map((row) => ({
            key: row.experiment,
            cells: [row.experiment, row.station],
            extra: formatNumber(row.files),
            value: row.bytes,
            shown: formatBytes(row.bytes),
          }))}
        />
      </div>
      <div className="grid">
        <BarTable
          caption="Storage per experiment (largest 50)"
          headers={['Experiment', 'Station']}
          extraHeader="Files"
          valueHeader="Used"
          rows={usage.storageByExperiment.map((row) => ({
            key: row.experiment,
            cells: [row.experiment, row.station],
            extra: formatNumber(row.files),
            value: row.bytes,
            shown: formatBytes(row.bytes),
          }))}
        />
        <IngestedTable usage={usage} />
      </div>
    </>
  );
}

/** The per-day figures behind the charts, newest first (what a screen reader reads instead of the canvas). */
function IngestedTable({ usage }: { usage: Usage }) {
  const rows = [...usage.ingested].reverse();
  return (
    <table>
      <caption>Ingested per day and station</caption>
      <thead>
        <tr>
          <th scope="col">Day (UTC)</th>
          <th scope="col">Station</th>
          <th scope="col" className="num">
            Files
          </th>
          <th scope="col" className="num">
            Bytes
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={`${row.day} ${row.station}`}>
            <td>{row.day}</td>
            <td>{row.station}</td>
            <td className="num">{formatNumber(row.files)}</td>
            <td className="num">{formatBytes(row.bytes)}</td>
          </tr>
        ))}
        {rows.length === 0 && (
          <tr>
            <td colSpan={4}>Nothing was ingested in the period.</td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
