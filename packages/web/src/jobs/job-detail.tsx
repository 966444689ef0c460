/**
 * One job: its APS fields, arguments and captured variables, the stage timeline with each child process,
 * its log (followed live while it runs), and stop / resubmit / resubmit from a stage. The page reads the
 * job again on each of its live events, never on a timer.
 */
import { ApiError, type Job } from '@photon-dm/client';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useEvents } from '../api/use-events.ts';
import { useResource } from '../api/use-resource.ts';
import { NotFound } from '../app/not-found.tsx';
import { ErrorMessage } from '../components/error-message.tsx';
import { formatDuration, formatTime } from '../components/format.ts';
import { StatusBadge } from '../components/status-badge.tsx';
import { useSignedIn } from '../session/session.tsx';
import { JobActions } from './job-actions.tsx';
import { JobLog } from './job-log.tsx';
import { JobTimeline } from './job-timeline.tsx';
import './jobs.css';

export function JobDetail() {
  const { client } = useSignedIn();
  const id = Number(useParams().id);
  const job = useResource(() => client.jobs.show(id), [client, id]);
  const [logStage, setLogStage] = useState('');
  // The later jobs made from this one (resubmissions), so the original links to them.
  const resubmissions = useResource(
    () =>
      job.data === undefined || job.data.status === 'pending' || job.data.status === 'running'
        ? Promise.resolve([])
        : client.jobs
            .list({ workflow: job.data.workflowName, owner: job.data.owner, limit: 1000 })
            .then((page) => page.items.filter((other) => other.resubmittedFrom === id)),
    [client, id, job.data?.status],
  );
  useEvents(
    { types: ['job.status', 'job.stage'], subject: id },
    () => job.reload(),
    () => job.reload(),
  );

  if (!Number.isInteger(id) || (job.error instanceof ApiError && job.error.status === 404))
    return <NotFound what="job" />;
  if (job.data === undefined)
    return job.error ? <ErrorMessage error={job.error} /> : <p className="loading">Loading…</p>;
  const record = job.data;

  return (
    <section>
      <div className="title-row">
        <h1>
          Job #{record.id} <StatusBadge status={record.status} />
        </h1>
      </div>
      <ErrorMessage error={job.error} />
      <JobActions job={record} />
      {record.errorMessage && (
        <p className="error-message" role="status">
          {record.errorMessage}
        </p>
      )}
      <div className="grid">
        <JobFacts job={record} resubmissions={resubmissions.data ?? []} />
        <NamedValues title="Arguments" values={record.arguments} empty="No arguments." />
        <NamedValues title="Captured variables" values={record.variables} empty="None captured yet." />
      </div>
      <h2>Stages</h2>
      <JobTimeline
        job={record}
        onShowLog={(stage) => {
          setLogStage(stage);
          document.getElementById('job-log')?.scrollIntoView();
        }}
      />
      <JobLog job={record} stage={logStage} onStage={setLogStage} />
    </section>
  );
}

function JobFacts({ job, resubmissions }: { job: Job; resubmissions: Job[] }) {
  const workflowLink = `/workflows/${encodeURIComponent(job.owner)}/${encodeURIComponent(job.workflowName)}?revision=${job.workflowRevision}`;
  return (
    <div className="panel">
      <dl className="facts">
        <dt>Workflow</dt>
        <dd>
          <Link to={workflowLink}>
            {job.owner}/{job.workflowName}
          </Link>{' '}
          (revision {job.workflowRevision})
        </dd>
        <dt>Stage</dt>
        <dd>{job.stage ?? 'not started'}</dd>
        <dt>Experiment</dt>
        <dd>{job.experimentName ?? '—'}</dd>
        <dt>File</dt>
        <dd>{job.filePath ?? '—'}</dd>
        <dt>Submitted</dt>
        <dd>
          {formatTime(job.submissionTime)} by {job.submittedBy}
        </dd>
        <dt>Started</dt>
        <dd>{formatTime(job.startTime) || '—'}</dd>
        <dt>Ended</dt>
        <dd>{formatTime(job.endTime) || '—'}</dd>
        <dt>Run time</dt>
        <dd>{formatDuration(job.runTime) || '—'}</dd>
        {job.resubmittedFrom !== null && (
          <>
            <dt>Resubmitted from</dt>
            <dd>
              <Link to={`/jobs/${job.resubmittedFrom}`}>job #{job.resubmittedFrom}</Link>
              {job.fromStage && ` at stage ${job.fromStage}`}
            </dd>
          </>
        )}
        {resubmissions.length > 0 && (
          <>
            <dt>Resubmitted as</dt>
            <dd>
              {resubmissions.map((other, i) => (
                <span key={other.id}>
                  {i > 0 && ', '}
                  <Link to={`/jobs/${other.id}`}>job #{other.id}</Link>
                </span>
              ))}
            </dd>
          </>
        )}
      </dl>
    </div>
  );
}

function NamedValues({
  title,
  values,
  empty,
}: {
  title: string;
  values: Record<string, string>;
  empty: string;
}) {
  const names = Object.keys(values).sort();
  return (
    <div className="panel">
      <h2 className="panel-title">{title}</h2>
      {names.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <dl className="facts">
          {names.map((name) => (
            <div key={name} className="fact-pair">
              <dt>${name}</dt>
              <dd>
                <code>{values[name]}</code>
              </dd>
            </div>
          ))}
        </dl>
      )}
    </div>
  );
}
