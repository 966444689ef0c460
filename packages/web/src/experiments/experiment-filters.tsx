import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { useResource } from '../api/use-resource.ts';
import { useSignedIn } from '../session/session.tsx';

/**
 * Search, station, status and "my experiments", kept in the URL. The text search applies on Enter (or the
 * button), the choices at once; each change replaces the history entry, so Back leaves the list.
 */
export function ExperimentFilters() {
  const { client } = useSignedIn();
  const [params, setParams] = useSearchParams();
  const search = params.get('search') ?? '';
  const [typed, setTyped] = useState(search);
  useEffect(() => setTyped(search), [search]);
  const stations = useResource(() => client.stations.list({ limit: 1000 }), [client]);
  const station = params.get('station') ?? '';
  const stationNames = stations.data?.items.map((item) => item.name) ?? [];

  function update(key: string, value: string | undefined) {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  }

  return (
    <search>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          update('search', typed.trim() || undefined);
        }}
      >
        <label className="filter">
          Search
          <input type="search" value={typed} onChange={(e) => setTyped(e.target.value)} />
        </label>
        <label className="filter">
          Station
          {/* Disabled until the stations arrive (an arrow key would choose nothing); the station the list is
              filtered by is shown even before, or when the caller may not see it, so the filter never hides. */}
          <select
            value={station}
            disabled={stations.data === undefined && stations.error === undefined}
            onChange={(e) => update('station', e.target.value)}
          >
            <option value="">All stations</option>
            {station && !stationNames.includes(station) && <option value={station}>{station}</option>}
            {stationNames.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label className="filter">
          Status
          <select value={params.get('status') ?? ''} onChange={(e) => update('status', e.target.value)}>
            <option value="">Any status</option>
            <option value="planned">planned</option>
            <option value="running">running</option>
            <option value="stopped">stopped</option>
          </select>
        </label>
        <label className="filter-check">
          <input
            type="checkbox"
            checked={params.get('mine') === '1'}
            onChange={(e) => update('mine', e.target.checked ? '1' : undefined)}
          />{' '}
          My experiments
        </label>
        <button type="submit">Search</button>
      </form>
    </search>
  );
}
