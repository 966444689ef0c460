import { Link } from 'react-router';
import { useEvents } from '../api/use-events.ts';
import { useResource } from '../api/use-resource.ts';
import { ErrorMessage } from '../components/error-message.tsx';
import { formatBytes, formatNumber, formatTime } from '../components/format.ts';
import { StatusBadge } from '../components/status-badge.tsx';
import { useSignedIn } from '../session/session.tsx';
import { useThrottled } from './use-throttled.ts';

/** The experiment's DAQs (directory monitors), newest first; their live view is under Data acquisition. */
export function ExperimentDaqs({ experimentName }: { experimentName: string }) {
  const { client } = useSignedIn();
  const daqs = useResource(
    () => client.daqs.list({ experiment: experimentName, limit: 20 }),
    [client, experimentName],
  );
  const reload = useThrottled(daqs.reload, 2000);
  useEvents({ experiment: experimentName, types: ['daq.status'] }, reload, daqs.reload);

  return (
    <section className="panel" aria-labelledby="daqs-heading">
      <h2 id="daqs-heading">Data acquisition</h2>
      <ErrorMessage error={daqs.error} />
      {daqs.data?.items.length === 0 && <p className="muted">No DAQs for this experiment.</p>}
      {daqs.data !== undefined && daqs.data.items.length > 0 && (
        <table className="compact">
          <thead>
            <tr>
              <th scope="col">DAQ</th>
              <th scope="col">Directory</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Files
              </th>
              <th scope="col" className="num">
                Volume
              </th>
              <th scope="col">Started</th>
            </tr>
          </thead>
          <tbody>
            {daqs.data.items.map((daq) => (
              <tr key={daq.id}>
                <td>#{daq.id}</td>
                <td>
                  <code>{daq.dataDirectory}</code>
                  {daq.agentName && <span className="muted"> on {daq.agentName}</span>}
                </td>
                <td>
                  <StatusBadge status={daq.status} />
                </td>
                <td className="num">{formatNumber(daq.nProcessedFiles)}</td>
                <td className="num">{formatBytes(daq.nBytes)}</td>
                <td>{formatTime(daq.startTime)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p>
        <Link to="/acquisition">Data acquisition</Link>
      </p>
    </section>
  );
}
