import type { Station } from '@photon-dm/client';
import { type FormEvent, useState } from 'react';
import { ErrorMessage, fieldError, isFormLevel } from '../components/error-message.tsx';
import { Field } from '../components/field.tsx';
import { LoadMoreButton } from '../components/load-more-button.tsx';
import { usePagedList } from '../components/paged-list.ts';
import { useFormCall } from '../components/use-form-call.ts';
import { useSignedIn } from '../session/session.tsx';

/** Beamlines and their managers, the staff who register experiments there. */
export function Stations() {
  const { client } = useSignedIn();
  const stations = usePagedList(
    (cursor) => client.stations.list({ limit: 100, ...(cursor && { cursor }) }),
    [client],
  );
  return (
    <div className="admin-page">
      <StationNew onCreated={stations.reload} />
      <section aria-labelledby="stations-heading">
        <h2 id="stations-heading">Stations</h2>
        {stations.items.map((station) => (
          <StationRow key={station.id} station={station} onChanged={stations.reload} />
        ))}
        {!stations.loading && stations.items.length === 0 && <p className="muted">No stations yet.</p>}
        <LoadMoreButton list={stations} />
      </section>
    </div>
  );
}

function StationNew({ onCreated }: { onCreated: () => void }) {
  const { client } = useSignedIn();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const { busy, error, run } = useFormCall();
  async function submit(event: FormEvent) {
    event.preventDefault();
    const input = { name: name.trim(), ...(description.trim() && { description: description.trim() }) };
    if (await run(() => client.stations.create(input))) {
      setName('');
      setDescription('');
      onCreated();
    }
  }
  return (
    <section className="panel" aria-labelledby="new-station-heading">
      <h2 id="new-station-heading">Add a station</h2>
      <form className="inline-form" onSubmit={submit} aria-label="Add a station" noValidate>
        <Field label="Station name" error={fieldError(error, 'name', ['station_exists'])}>
          {(control) => <input {...control} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Station description" error={fieldError(error, 'description')}>
          {(control) => (
            <input {...control} value={description} onChange={(e) => setDescription(e.target.value)} />
          )}
        </Field>
        <button type="submit" disabled={busy || name.trim() === ''}>
          Add station
        </button>
        {isFormLevel(error, ['name', 'description'], ['station_exists']) && <ErrorMessage error={error} />}
      </form>
    </section>
  );
}

/** One station: its managers, each removable, and a field to add one. */
function StationRow({ station, onChanged }: { station: Station; onChanged: () => void }) {
  const { client } = useSignedIn();
  const [username, setUsername] = useState('');
  const add = useFormCall();
  const remove = useFormCall();
  async function submit(event: FormEvent) {
    event.preventDefault();
    if (await add.run(() => client.stations.addManager(station.name, username.trim()))) {
      setUsername('');
      onChanged();
    }
  }
  return (
    <article className="panel station" aria-labelledby={`station-${station.id}`}>
      <h3 id={`station-${station.id}`}>{station.name}</h3>
      {station.description && <p className="muted">{station.description}</p>}
      <p>
        Managers: {station.managers.length === 0 && <span className="muted">none</span>}
        {station.managers.map((manager) => (
          <span key={manager} className="chip">
            {manager}{' '}
            <button
              type="button"
              className="link-button"
              aria-label={`Remove ${manager} from managers of ${station.name}`}
              onClick={() =>
                void remove
                  .run(() => client.stations.removeManager(station.name, manager))
                  .then((done) => {
                    if (done) onChanged();
                  })
              }
            >
              remove
            </button>
          </span>
        ))}
      </p>
      <ErrorMessage error={remove.error} />
      <form
        className="inline-form"
        onSubmit={submit}
        aria-label={`Add a manager to ${station.name}`}
        noValidate
      >
        <Field
          label={`New manager of ${station.name}`}
          error={fieldError(add.error, 'username', ['user_not_found'])}
        >
          {(control) => (
            <input
              {...control}
              value={username}
              autoComplete="off"
              onChange={(e) => setUsername(e.target.value)}
            />
          )}
        </Field>
        <button type="submit" disabled={add.busy || username.trim() === ''}>
          Add manager
        </button>
        {isFormLevel(add.error, ['username'], ['user_not_found']) && <ErrorMessage error={add.error} />}
      </form>
    </article>
  );
}
