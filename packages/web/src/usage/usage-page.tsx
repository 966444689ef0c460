/**
 * Usage: the facility's resource utilization at a glance, for staff (the API refuses anybody else). The
 * period and station live in the URL, so a view shown on the control-room projector can be bookmarked.
 */
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { useResource } from '../api/use-resource.ts';
import { ErrorMessage, fieldError, isFormLevel } from '../components/error-message.tsx';
import { Field } from '../components/field.tsx';
import { useSignedIn } from '../session/session.tsx';
import { daysBefore, today } from './days.ts';
import { UsageReport } from './usage-report.tsx';
import './usage.css';

const quickPeriods = [7, 30, 90, 365];

export function UsagePage() {
  const { client } = useSignedIn();
  const [params, setParams] = useSearchParams();
  const to = params.get('to') ?? today();
  const from = params.get('from') ?? daysBefore(to, 29);
  const station = params.get('station') ?? '';
  const [typed, setTyped] = useState({ from, to });
  const usage = useResource(
    () => client.usage.report({ from, to, ...(station && { station }) }),
    [client, from, to, station],
  );
  const allStations = useResource(() => client.usage.report({ from: to, to }), [client, to]);

  function show(next: { from?: string; to?: string; station?: string }) {
    const merged = new URLSearchParams(params);
    for (const [key, value] of Object.entries(next)) {
      if (value) merged.set(key, value);
      else merged.delete(key);
    }
    setParams(merged, { replace: true });
  }

  const periodFields = ['from', 'to'];
  return (
    <section className="usage">
      <h1>Usage</h1>
      <form
        className="filters"
        aria-label="Period"
        onSubmit={(e) => {
          e.preventDefault();
          show({ from: typed.from, to: typed.to });
        }}
      >
        <Field label="From" error={fieldError(usage.error, 'from')}>
          {(control) => (
            <input
              {...control}
              type="date"
              value={typed.from}
              onChange={(e) => setTyped({ ...typed, from: e.target.value })}
            />
          )}
        </Field>
        <Field label="To" error={fieldError(usage.error, 'to')}>
          {(control) => (
            <input
              {...control}
              type="date"
              value={typed.to}
              onChange={(e) => setTyped({ ...typed, to: e.target.value })}
            />
          )}
        </Field>
        <Field label="Station">
          {(control) => (
            <select {...control} value={station} onChange={(e) => show({ station: e.target.value })}>
              <option value="">All my stations</option>
              {allStations.data?.stations.map((name) => (
                <option key={name}>{name}</option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit">Show</button>
        <div className="quick-periods">
          {quickPeriods.map((days) => (
            <button
              key={days}
              type="button"
              className="secondary"
              onClick={() => {
                const next = { from: daysBefore(today(), days - 1), to: today() };
                setTyped(next);
                show(next);
              }}
            >
              Last {days} days
            </button>
          ))}
        </div>
      </form>
      {isFormLevel(usage.error, periodFields) && <ErrorMessage error={usage.error} />}
      {usage.loading && !usage.data && <p className="loading">Loading…</p>}
      {usage.data && <UsageReport usage={usage.data} />}
    </section>
  );
}
