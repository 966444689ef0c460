import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useResource } from '../api/use-resource.ts';
import { ErrorMessage } from '../components/error-message.tsx';
import { formatTime } from '../components/format.ts';
import { StatusBadge } from '../components/status-badge.tsx';
import { useSignedIn } from '../session/session.tsx';

/** The experiments the caller may see; filters live in the URL so a filtered list can be bookmarked. */
export function ExperimentList() {
  const { client, user } = useSignedIn();
  const [params, setParams] = useSearchParams();
  const search = params.get('search') ?? '';
  const mine = params.get('mine') === '1';
  const [typed, setTyped] = useState(search);
  const experiments = useResource(
    () =>
      client.experiments.list({
        ...(search && { search }),
        ...(mine && { user: user.username }),
        limit: 200,
      }),
    [client, search, mine, user.username],
  );

  function update(key: string, value: string | undefined) {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  }

  return (
    <section>
      <h1>Experiments</h1>
      <search>
        <form
          className="filters"
          onSubmit={(e) => {
            e.preventDefault();
            update('search', typed.trim() || undefined);
          }}
        >
          <label>
            Search <input type="search" value={typed} onChange={(e) => setTyped(e.target.value)} />
          </label>
          <label>
            <input
              type="checkbox"
              checked={mine}
              onChange={(e) => update('mine', e.target.checked ? '1' : undefined)}
            />{' '}
            My experiments
          </label>
          <button type="submit">Search</button>
        </form>
      </search>
      <ErrorMessage error={experiments.error} />
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Station</th>
            <th scope="col">Status</th>
            <th scope="col">PI</th>
            <th scope="col">Start</th>
          </tr>
        </thead>
        <tbody>
          {experiments.data?.items.map((experiment) => (
            <tr key={experiment.id}>
              <td>
                <Link to={`/experiments/${encodeURIComponent(experiment.name)}`}>{experiment.name}</Link>
              </td>
              <td>{experiment.experimentStation}</td>
              <td>
                <StatusBadge status={experiment.status} />
              </td>
              <td>{experiment.pi}</td>
              <td>{formatTime(experiment.startDate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {experiments.data?.items.length === 0 && <p>No experiments match.</p>}
    </section>
  );
}
