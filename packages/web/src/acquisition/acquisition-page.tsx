/**
 * Data acquisition: what is being taken into storage right now, with counters that move as files arrive
 * (from the event stream), and what ended lately. Staff start and stop DAQs and uploads here; for anybody
 * else the API would refuse, so the forms are not shown.
 */
import { useState } from 'react';
import { ErrorMessage } from '../components/error-message.tsx';
import { isStaff, useSignedIn } from '../session/session.tsx';
import { StartForm } from './start-form.tsx';
import { isActive } from './transfer.ts';
import { ActiveTransfers, EndedTransfers } from './transfer-tables.tsx';
import { useLiveTransfers } from './use-live-transfers.ts';
import './acquisition.css';

const endedShown = 10;

export function AcquisitionPage() {
  const { user } = useSignedIn();
  const staff = isStaff(user);
  const { transfers, error, loading, reload } = useLiveTransfers();
  const [starting, setStarting] = useState<'daq' | 'upload' | undefined>();
  const newest = (a: { id: number; startTime: string | null }, b: { id: number; startTime: string | null }) =>
    (b.startTime ?? '').localeCompare(a.startTime ?? '') || b.id - a.id;
  const active = transfers.filter((t) => isActive(t.status)).sort(newest);
  const ended = transfers
    .filter((t) => !isActive(t.status))
    .sort((a, b) => (b.endTime ?? '').localeCompare(a.endTime ?? ''))
    .slice(0, endedShown);

  return (
    <section className="acquisition">
      <h1>Data acquisition</h1>
      {staff && (
        <div className="toolbar">
          <button
            type="button"
            aria-expanded={starting === 'daq'}
            onClick={() => setStarting(starting === 'daq' ? undefined : 'daq')}
          >
            Start a DAQ
          </button>
          <button
            type="button"
            aria-expanded={starting === 'upload'}
            onClick={() => setStarting(starting === 'upload' ? undefined : 'upload')}
          >
            Start an upload
          </button>
        </div>
      )}
      {staff && starting && (
        <StartForm
          key={starting}
          kind={starting}
          onStarted={() => {
            setStarting(undefined);
            reload();
          }}
          onCancel={() => setStarting(undefined)}
        />
      )}
      <ErrorMessage error={error} />
      <h2>Running</h2>
      {loading && transfers.length === 0 ? (
        <p className="loading">Loading…</p>
      ) : (
        <ActiveTransfers transfers={active} canStop={staff} onStopped={reload} />
      )}
      <h2>Recently ended</h2>
      <EndedTransfers transfers={ended} />
    </section>
  );
}
