/** Running and recently ended DAQs and uploads, with their counters and rates. */
import { useState } from 'react';
import { ErrorMessage } from '../components/error-message.tsx';
import { formatBytes, formatNumber, formatTime } from '../components/format.ts';
import { StatusBadge } from '../components/status-badge.tsx';
import { useSignedIn } from '../session/session.tsx';
import type { Transfer } from './transfer.ts';

const kindName = (transfer: Transfer) => (transfer.kind === 'daq' ? 'DAQ' : 'Upload');

/** The columns both tables show; `num` cells right-aligned. */
function CommonHeadings() {
  return (
    <>
      <th scope="col">What</th>
      <th scope="col">Experiment</th>
      <th scope="col">Directory</th>
      <th scope="col">Status</th>
      <th scope="col" className="num">
        Files
      </th>
      <th scope="col" className="num">
        Errors
      </th>
      <th scope="col" className="num">
        Bytes
      </th>
    </>
  );
}

/**
 * One transfer's cells under CommonHeadings. A running one also shows where its files go, how many of those
 * seen are taken, and its errors highlighted; an ended one only its totals.
 */
function CommonCells({ transfer, live }: { transfer: Transfer; live: boolean }) {
  return (
    <>
      <td>
        {kindName(transfer)} {transfer.id}
      </td>
      <td>{transfer.experimentName}</td>
      <td className="path">
        {transfer.dataDirectory}
        {live && transfer.destDirectory && <span className="dest"> → {transfer.destDirectory}</span>}
      </td>
      <td>
        <StatusBadge status={transfer.status} />
      </td>
      {live ? (
        <td className="num" data-testid="processed-files">
          {formatNumber(transfer.nProcessedFiles)}
          {transfer.nFiles !== transfer.nProcessedFiles && (
            <span className="of"> of {formatNumber(transfer.nFiles)}</span>
          )}
        </td>
      ) : (
        <td className="num">{formatNumber(transfer.nProcessedFiles)}</td>
      )}
      <td
        className={live && transfer.nProcessingErrors > 0 ? 'num errors' : 'num'}
        title={transfer.lastError ?? undefined}
      >
        {formatNumber(transfer.nProcessingErrors)}
      </td>
      <td className="num">{formatBytes(transfer.nBytes)}</td>
    </>
  );
}

export function ActiveTransfers({
  transfers,
  canStop,
  onStopped,
}: {
  transfers: Transfer[];
  canStop: boolean;
  onStopped: () => void;
}) {
  if (transfers.length === 0) return <p>No DAQ or upload is running.</p>;
  return (
    <table className="transfers">
      <caption className="visually-hidden">Running DAQs and uploads</caption>
      <thead>
        <tr>
          <CommonHeadings />
          <th scope="col" className="num">
            Rate
          </th>
          {canStop && <th scope="col">Action</th>}
        </tr>
      </thead>
      <tbody>
        {transfers.map((transfer) => (
          <tr key={`${transfer.kind}-${transfer.id}`} data-testid={`${transfer.kind}-${transfer.id}`}>
            <CommonCells transfer={transfer} live />
            <td className="num">
              {transfer.filesPerSecond.toFixed(1)} files/s
              <br />
              {formatBytes(transfer.bytesPerSecond)}/s
            </td>
            {canStop && (
              <td>
                <StopButton transfer={transfer} onStopped={onStopped} />
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function StopButton({ transfer, onStopped }: { transfer: Transfer; onStopped: () => void }) {
  const { client } = useSignedIn();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const name = `${kindName(transfer)} ${transfer.id}`;
  return (
    <>
      <button
        type="button"
        className="danger"
        aria-label={`Stop ${name}`}
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await (transfer.kind === 'daq'
              ? client.daqs.stop(transfer.id)
              : client.uploads.stop(transfer.id));
            setError(undefined);
            onStopped();
          } catch (failure) {
            setError(failure);
          } finally {
            setBusy(false);
          }
        }}
      >
        Stop
      </button>
      <ErrorMessage error={error} />
    </>
  );
}

export function EndedTransfers({ transfers }: { transfers: Transfer[] }) {
  if (transfers.length === 0) return <p>None yet.</p>;
  return (
    <table className="transfers">
      <caption className="visually-hidden">Recently ended DAQs and uploads</caption>
      <thead>
        <tr>
          <CommonHeadings />
          <th scope="col">Ended</th>
        </tr>
      </thead>
      <tbody>
        {transfers.map((transfer) => (
          <tr key={`${transfer.kind}-${transfer.id}`} data-testid={`${transfer.kind}-${transfer.id}`}>
            <CommonCells transfer={transfer} live={false} />
            <td>{formatTime(transfer.endTime)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
