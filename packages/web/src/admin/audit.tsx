import type { AuditListQuery } from '@photon-dm/client';
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { formatTime } from '../components/format.ts';
import { LoadMoreButton } from '../components/load-more-button.tsx';
import { usePagedList } from '../components/paged-list.ts';
import { useSignedIn } from '../session/session.tsx';

const filterKeys = ['experiment', 'user', 'action'] as const;
const labels: Record<(typeof filterKeys)[number], string> = {
  experiment: 'Experiment',
  user: 'Actor',
  action: 'Action',
};

/** Who changed what, newest first, filtered by experiment, actor or action (kept in the URL). */
export function Audit() {
  const { client } = useSignedIn();
  const [params, setParams] = useSearchParams();
  const applied = Object.fromEntries(filterKeys.map((key) => [key, params.get(key) ?? '']));
  const [typed, setTyped] = useState(applied);
  const key = JSON.stringify(applied);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for `applied`, which is new on each render
  useEffect(() => setTyped(applied), [key]);
  const query: AuditListQuery = Object.fromEntries(Object.entries(applied).filter(([, value]) => value));
  const events = usePagedList(
    (cursor) => client.audit.list({ ...query, limit: 50, ...(cursor && { cursor }) }),
    [client, key],
  );

  return (
    <section className="admin-page" aria-labelledby="audit-heading">
      <h2 id="audit-heading">Audit log</h2>
      <search>
        <form
          className="filters"
          onSubmit={(e) => {
            e.preventDefault();
            const next = new URLSearchParams();
            for (const name of filterKeys) if (typed[name]?.trim()) next.set(name, typed[name].trim());
            setParams(next, { replace: true });
          }}
        >
          {filterKeys.map((name) => (
            <label className="filter" key={name}>
              {labels[name]}
              <input
                value={typed[name] ?? ''}
                placeholder={name === 'action' ? 'experiment.create' : ''}
                onChange={(e) => setTyped((previous) => ({ ...previous, [name]: e.target.value }))}
              />
            </label>
          ))}
          <button type="submit">Filter</button>
        </form>
      </search>
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Experiment</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {events.items.map((event) => (
            <tr key={event.id}>
              <td>{formatTime(event.occurredAt)}</td>
              <td>{event.actor ?? 'system'}</td>
              <td>
                <code>{event.action}</code>
              </td>
              <td>
                {event.targetType} {event.targetName}
              </td>
              <td>{event.experimentName}</td>
              <td className="details">
                <code>{JSON.stringify(event.details)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!events.loading && events.items.length === 0 && <p className="muted">No events match.</p>}
      <LoadMoreButton list={events} />
    </section>
  );
}
