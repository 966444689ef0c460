import type { Experiment, ExperimentListQuery, ExperimentSort, ExperimentStatus } from '@photon-dm/client';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useResource } from '../api/use-resource.ts';
import { ErrorMessage } from '../components/error-message.tsx';
import { formatBytes, formatNumber } from '../components/format.ts';
import { StatusBadge } from '../components/status-badge.tsx';
import { isStaff, useSignedIn } from '../session/session.tsx';
import { formatExperimentDate } from './experiment-dates.ts';
import { ExperimentFilters } from './experiment-filters.tsx';
import { SortHeader } from './sort-header.tsx';
import './experiments.css';

const pageSize = 50;
const sorts: readonly string[] = ['name', 'station', 'status', 'startDate'];

/** The experiments the caller may see; filters and order live in the URL so a list can be bookmarked. */
export function ExperimentList() {
  const { client, user } = useSignedIn();
  const [params] = useSearchParams();
  const search = params.get('search') ?? '';
  const station = params.get('station') ?? '';
  const status = (params.get('status') ?? '') as ExperimentStatus | '';
  const mine = params.get('mine') === '1';
  const sortParam = params.get('sort') ?? 'name';
  const sort = (sorts.includes(sortParam.replace(/^-/, '')) ? sortParam : 'name') as ExperimentSort;
  const query: ExperimentListQuery = {
    ...(search && { search }),
    ...(station && { station }),
    ...(status && { status }),
    ...(mine && { user: user.username }),
    sort,
    limit: pageSize,
  };
  const key = JSON.stringify(query);
  const first = useResource(() => client.experiments.list(query), [client, key]);
  // "Load more" appends the following pages to the first one; a new filter or order starts again.
  const [more, setMore] = useState<{ key: string; items: Experiment[]; nextCursor: string | null }>();
  const [moreError, setMoreError] = useState<{ key: string; error: unknown }>();
  const [loadingMore, setLoadingMore] = useState(false);

  const extra = more?.key === key ? more : undefined;
  const items = [...(first.data?.items ?? []), ...(extra?.items ?? [])];
  const nextCursor = extra ? extra.nextCursor : (first.data?.nextCursor ?? null);

  async function loadMore() {
    if (nextCursor === null) return;
    setLoadingMore(true);
    try {
      const page = await client.experiments.list({ ...query, cursor: nextCursor });
      setMore({ key, items: [...(extra?.items ?? []), ...page.items], nextCursor: page.nextCursor });
      setMoreError(undefined);
    } catch (error) {
      setMoreError({ key, error });
    } finally {
      setLoadingMore(false);
    }
  }

  return (
    <section>
      <div className="page-heading">
        <h1>Experiments</h1>
        {isStaff(user) && (
          <Link className="button-link" to="/experiments/new">
            New experiment
          </Link>
        )}
      </div>
      <ExperimentFilters />
      <ErrorMessage error={first.error} />
      <table className="experiment-table">
        <caption className="visually-hidden">Experiments, sorted by {describeSort(sort)}</caption>
        <thead>
          <tr>
            <SortHeader column="name" label="Name" sort={sort} />
            <SortHeader column="station" label="Station" sort={sort} />
            <SortHeader column="status" label="Status" sort={sort} />
            <th scope="col">PI</th>
            <SortHeader column="startDate" label="Start" sort={sort} />
            <th scope="col" className="num">
              Files
            </th>
            <th scope="col" className="num">
              Volume
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((experiment) => (
            <tr key={experiment.id}>
              <td>
                <Link to={`/experiments/${encodeURIComponent(experiment.name)}`}>{experiment.name}</Link>
                {experiment.description && <div className="muted small">{experiment.description}</div>}
              </td>
              <td>{experiment.experimentStation}</td>
              <td>
                <StatusBadge status={experiment.status} />
              </td>
              <td>{experiment.pi}</td>
              <td>{formatExperimentDate(experiment.startDate)}</td>
              <td className="num">{formatNumber(experiment.fileCount)}</td>
              <td className="num">{formatBytes(experiment.fileBytes)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {first.loading && first.data === undefined && <p className="loading">Loading…</p>}
      {first.data !== undefined && items.length === 0 && <p>No experiments match.</p>}
      <ErrorMessage error={moreError?.key === key ? moreError.error : undefined} />
      {nextCursor !== null && first.data !== undefined && (
        <div className="toolbar">
          <button type="button" className="secondary" onClick={() => void loadMore()} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Load more'}
          </button>
          <span className="muted">{items.length} shown</span>
        </div>
      )}
    </section>
  );
}

function describeSort(sort: ExperimentSort): string {
  const labels: Record<string, string> = {
    name: 'name',
    station: 'station',
    status: 'status',
    startDate: 'start',
  };
  return `${labels[sort.replace(/^-/, '')]}, ${sort.startsWith('-') ? 'descending' : 'ascending'}`;
}
