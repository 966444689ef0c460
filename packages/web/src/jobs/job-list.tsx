import type { JobListQuery, JobStatus } from '@photon-dm/client';
import { type FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ErrorMessage } from '../components/error-message.tsx';
import { formatDuration, formatTime } from '../components/format.ts';
import { StatusBadge } from '../components/status-badge.tsx';
import { useLiveJobs } from './use-live-jobs.ts';
import './jobs.css';

const statuses: JobStatus[] = ['pending', 'running', 'done', 'failed', 'aborted'];
const textFilters = ['workflow', 'experiment', 'owner'] as const;

/** The jobs the caller may see, newest first and live; the filters live in the URL (bookmarkable). */
export function JobList() {
  const [params, setParams] = useSearchParams();
  const filters: Omit<JobListQuery, 'limit' | 'cursor'> = {};
  const status = params.get('status');
  if (status && (statuses as string[]).includes(status)) filters.status = status as JobStatus;
  for (const name of textFilters) {
    const value = params.get(name);
    if (value) filters[name] = value;
  }
  const { jobs, error } = useLiveJobs(filters);
  const [typed, setTyped] = useState(() =>
    Object.fromEntries(textFilters.map((n) => [n, params.get(n) ?? ''])),
  );

  function apply(event: FormEvent) {
    event.preventDefault();
    const next = new URLSearchParams();
    if (filters.status) next.set('status', filters.status);
    for (const name of textFilters) if (typed[name]?.trim()) next.set(name, typed[name].trim());
    setParams(next, { replace: true });
  }

  return (
    <section>
      <h1>Jobs</h1>
      <search>
        <form className="filters" onSubmit={apply} aria-label="Filter jobs">
          <label>
            Status{' '}
            <select
              value={filters.status ?? ''}
              onChange={(e) => {
                const next = new URLSearchParams(params);
                if (e.target.value) next.set('status', e.target.value);
                else next.delete('status');
                setParams(next, { replace: true });
              }}
            >
              <option value="">any</option>
              {statuses.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          {textFilters.map((name) => (
            <label key={name}>
              {name.charAt(0).toUpperCase() + name.slice(1)}{' '}
              <input value={typed[name]} onChange={(e) => setTyped({ ...typed, [name]: e.target.value })} />
            </label>
          ))}
          <button type="submit">Filter</button>
        </form>
      </search>
      <ErrorMessage error={error} />
      <table aria-label="Jobs">
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">Workflow</th>
            <th scope="col">Status</th>
            <th scope="col">Stage</th>
            <th scope="col">Experiment</th>
            <th scope="col">Submitted</th>
            <th scope="col">By</th>
            <th scope="col" className="num">
              Run time
            </th>
          </tr>
        </thead>
        <tbody>
          {jobs?.map((job) => (
            <tr key={job.id} data-job-id={job.id}>
              <td>
                <Link to={`/jobs/${job.id}`}>#{job.id}</Link>
              </td>
              <td>
                {job.owner}/{job.workflowName}
              </td>
              <td>
                <StatusBadge status={job.status} />
              </td>
              <td>{job.stage}</td>
              <td>{job.experimentName}</td>
              <td>{formatTime(job.submissionTime)}</td>
              <td>{job.submittedBy}</td>
              <td className="num">{formatDuration(job.runTime)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {jobs === undefined && error === undefined && <p className="loading">Loading…</p>}
      {jobs?.length === 0 && <p>No jobs match.</p>}
    </section>
  );
}
