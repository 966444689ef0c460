import { ApiError, type Experiment } from '@photon-dm/client';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useEvents } from '../api/use-events.ts';
import { useResource } from '../api/use-resource.ts';
import { NotFound } from '../app/not-found.tsx';
import { ErrorMessage } from '../components/error-message.tsx';
import { formatBytes, formatNumber } from '../components/format.ts';
import { StatusBadge } from '../components/status-badge.tsx';
import { useSignedIn } from '../session/session.tsx';
import { canManage } from './can-manage.ts';
import { ExperimentDaqs } from './experiment-daqs.tsx';
import { formatExperimentDate } from './experiment-dates.ts';
import { Members } from './members.tsx';
import { RecentJobs } from './recent-jobs.tsx';
import { useThrottled } from './use-throttled.ts';
import './experiments.css';

/** One experiment: what it is, who is in it, where its data is, how much, and what ran on it lately. */
export function ExperimentDetail() {
  const { name = '' } = useParams();
  const { client, user } = useSignedIn();
  const experiment = useResource(() => client.experiments.show(name), [client, name]);
  // New files move the totals: read the experiment again, at most every few seconds.
  const reload = useThrottled(experiment.reload, 3000);
  useEvents({ experiment: name, types: ['file.cataloged'] }, reload, experiment.reload);

  if (experiment.error instanceof ApiError && experiment.error.status === 404)
    return <NotFound what="experiment" />;
  if (experiment.data === undefined) {
    return experiment.error ? <ErrorMessage error={experiment.error} /> : <p className="loading">Loading…</p>;
  }
  const data = experiment.data;
  const manager = canManage(user, data);
  const path = `/experiments/${encodeURIComponent(data.name)}`;
  return (
    <section className="experiment-detail">
      <div className="page-heading">
        <h1>
          {data.name} <StatusBadge status={data.status} />
        </h1>
        {manager && <StatusActions experiment={data} onChanged={experiment.reload} />}
        {manager && (
          <Link className="button-link secondary" to={`${path}/edit`}>
            Edit
          </Link>
        )}
      </div>
      {data.description && <p className="lead">{data.description}</p>}
      <div className="grid">
        <About experiment={data} />
        <Storage experiment={data} path={path} />
      </div>
      <Members experiment={data} manager={manager} onChanged={experiment.reload} />
      <RecentJobs experimentName={data.name} />
      <ExperimentDaqs experimentName={data.name} />
    </section>
  );
}

function About({ experiment }: { experiment: Experiment }) {
  return (
    <section className="panel" aria-labelledby="about-heading">
      <h2 id="about-heading">About</h2>
      <dl className="facts">
        <dt>Station</dt>
        <dd>{experiment.experimentStation}</dd>
        <dt>Type</dt>
        <dd>{experiment.experimentType ?? '—'}</dd>
        <dt>Status</dt>
        <dd>{experiment.status}</dd>
        <dt>Start</dt>
        <dd>{formatExperimentDate(experiment.startDate) || '—'}</dd>
        <dt>End</dt>
        <dd>{formatExperimentDate(experiment.endDate) || '—'}</dd>
        <dt>PI</dt>
        <dd>{experiment.pi ?? '—'}</dd>
      </dl>
    </section>
  );
}

function Storage({ experiment, path }: { experiment: Experiment; path: string }) {
  return (
    <section className="panel" aria-labelledby="storage-heading">
      <h2 id="storage-heading">Data</h2>
      <p className="totals">
        <span data-testid="file-count">{formatNumber(experiment.fileCount)}</span> files,{' '}
        <span data-testid="file-volume">{formatBytes(experiment.fileBytes)}</span>{' '}
        <Link to={`${path}/files`}>Browse files</Link>
      </p>
      <dl className="facts">
        <dt>Data</dt>
        <dd>
          <code>{experiment.dataDirectory}</code>
        </dd>
        <dt>Analysis</dt>
        <dd>
          <code>{experiment.analysisDirectory}</code>
        </dd>
        <dt>System</dt>
        <dd>
          <code>{experiment.systemDirectory}</code>
        </dd>
      </dl>
    </section>
  );
}

/** Start (planned or stopped) or stop (running); a refusal (e.g. changed meanwhile) is shown beside. */
function StatusActions({ experiment, onChanged }: { experiment: Experiment; onChanged: () => void }) {
  const { client } = useSignedIn();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const running = experiment.status === 'running';
  async function change() {
    setBusy(true);
    try {
      if (running) await client.experiments.stop(experiment.name);
      else await client.experiments.start(experiment.name);
      setError(undefined);
      onChanged();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <button
        type="button"
        className={running ? 'danger' : undefined}
        disabled={busy}
        onClick={() => void change()}
      >
        {running ? 'Stop experiment' : 'Start experiment'}
      </button>
      <ErrorMessage error={error} />
    </>
  );
}
