import { Link } from 'react-router';
import { useEvents } from '../api/use-events.ts';
import { useResource } from '../api/use-resource.ts';
import { ErrorMessage } from '../components/error-message.tsx';
import { formatDuration, formatTime } from '../components/format.ts';
import { StatusBadge } from '../components/status-badge.tsx';
import { useSignedIn } from '../session/session.tsx';
import { useThrottled } from './use-throttled.ts';

const shown = 10;

/** The experiment's latest processing jobs, kept current by the event stream. */
export function RecentJobs({ experimentName }: { experimentName: string }) {
  const { client } = useSignedIn();
  const jobs = useResource(
    () => client.jobs.list({ experiment: experimentName, limit: shown }),
    [client, experimentName],
  );
  const reload = useThrottled(jobs.reload, 1000);
  useEvents({ experiment: experimentName, types: ['job.status'] }, reload, jobs.reload);

  return (
    <section className="panel" aria-labelledby="jobs-heading">
      <h2 id="jobs-heading">Recent jobs</h2>
      <ErrorMessage error={jobs.error} />
      {jobs.data?.items.length === 0 && <p className="muted">No jobs yet.</p>}
      {jobs.data !== undefined && jobs.data.items.length > 0 && (
        <table className="compact">
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Workflow</th>
              <th scope="col">Status</th>
              <th scope="col">Stage</th>
              <th scope="col">Submitted</th>
              <th scope="col" className="num">
                Run time
              </th>
            </tr>
          </thead>
          <tbody>
            {jobs.data.items.map((job) => (
              <tr key={job.id}>
                <td>
                  <Link to={`/jobs/${job.id}`}>#{job.id}</Link>
                </td>
                <td>{job.workflowName}</td>
                <td>
                  <StatusBadge status={job.status} />
                </td>
                <td>{job.stage}</td>
                <td>{formatTime(job.submissionTime)}</td>
                <td className="num">{formatDuration(job.runTime)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p>
        <Link to={`/jobs?experiment=${encodeURIComponent(experimentName)}`}>All jobs of this experiment</Link>
      </p>
    </section>
  );
}
