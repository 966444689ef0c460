import type { ExperimentInput } from '@photon-dm/client';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useResource } from '../api/use-resource.ts';
import { NotFound } from '../app/not-found.tsx';
import { ErrorMessage, fieldError, isFormLevel } from '../components/error-message.tsx';
import { Field } from '../components/field.tsx';
import { useFormCall } from '../components/use-form-call.ts';
import { isStaff, useSignedIn } from '../session/session.tsx';
import { ExperimentDateFields, ExperimentTypeField } from './experiment-fields.tsx';
import './experiments.css';

const fields = ['name', 'station', 'type', 'description', 'pi', 'users', 'startDate', 'endDate'];
/** A taken name is the name field's problem; a station one may not manage, the station field's. */
const nameCodes = ['experiment_exists'];

/** Registering an experiment (admins and station managers): its storage tree is made at once. */
export function ExperimentNew() {
  const { client, user } = useSignedIn();
  const navigate = useNavigate();
  const stations = useResource(() => client.stations.list({ limit: 1000 }), [client]);
  const types = useResource(() => client.experimentTypes.list({ limit: 1000 }), [client]);
  const [form, setForm] = useState({
    name: '',
    station: '',
    type: '',
    description: '',
    pi: '',
    users: '',
    startDate: '',
    endDate: '',
  });
  const { busy, error, run } = useFormCall();
  if (!isStaff(user)) return <NotFound />;

  // Until the stations arrive the form cannot know the station (a manager of one gets it without choosing):
  // sent then, the name typed and Enter pressed at once would be refused for want of a station.
  const stationsReady = stations.data !== undefined || stations.error !== undefined;
  const mine = (stations.data?.items ?? []).filter(
    (station) => user.isAdmin || user.managedStations.includes(station.name),
  );
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm((previous) => ({ ...previous, [key]: e.target.value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    const users = form.users
      .split(/[\s,]+/)
      .map((u) => u.trim())
      .filter(Boolean);
    const input: ExperimentInput = {
      name: form.name.trim(),
      station: form.station || (mine.length === 1 ? (mine[0]?.name ?? '') : ''),
      ...(form.type && { type: form.type }),
      ...(form.description.trim() && { description: form.description.trim() }),
      ...(form.pi.trim() && { pi: form.pi.trim() }),
      ...(users.length > 0 && { users }),
      ...(form.startDate && { startDate: form.startDate }),
      ...(form.endDate && { endDate: form.endDate }),
    };
    const created = await run(() => client.experiments.create(input));
    if (created) void navigate(`/experiments/${encodeURIComponent(created.name)}`);
  }

  return (
    <section className="narrow-page">
      <h1>New experiment</h1>
      <form onSubmit={submit} aria-label="New experiment" noValidate>
        <Field label="Name" error={fieldError(error, 'name', nameCodes)} hint="Becomes its directory name.">
          {(control) => <input {...control} value={form.name} onChange={set('name')} required />}
        </Field>
        <Field label="Station" error={fieldError(error, 'station', ['station_not_found', 'forbidden'])}>
          {(control) => (
            // Disabled until the list arrives: the station is chosen from it (or is the only one there).
            <select
              {...control}
              disabled={!stationsReady}
              value={form.station || (mine.length === 1 ? (mine[0]?.name ?? '') : '')}
              onChange={set('station')}
            >
              {mine.length !== 1 && (
                <option value="">
                  {stations.data
                    ? 'Choose a station'
                    : stations.error
                      ? 'Stations could not be loaded'
                      : 'Loading stations…'}
                </option>
              )}
              {mine.map((station) => (
                <option key={station.id} value={station.name}>
                  {station.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <ExperimentTypeField
          value={form.type}
          types={types.data?.items}
          error={error}
          onChange={set('type')}
        />
        <Field label="Description" error={fieldError(error, 'description')}>
          {(control) => (
            <textarea {...control} rows={3} value={form.description} onChange={set('description')} />
          )}
        </Field>
        <Field label="PI" error={fieldError(error, 'pi')} hint="Username of the principal investigator.">
          {(control) => <input {...control} value={form.pi} autoComplete="off" onChange={set('pi')} />}
        </Field>
        <Field
          label="Users"
          error={fieldError(error, 'users')}
          hint="Usernames, separated by commas or spaces."
        >
          {(control) => <input {...control} value={form.users} autoComplete="off" onChange={set('users')} />}
        </Field>
        <ExperimentDateFields
          startDate={form.startDate}
          endDate={form.endDate}
          error={error}
          onStart={set('startDate')}
          onEnd={set('endDate')}
        />
        {isFormLevel(error, fields, [...nameCodes, 'station_not_found', 'forbidden']) && (
          <ErrorMessage error={error} />
        )}
        <div className="toolbar">
          <button type="submit" disabled={busy || !stationsReady}>
            {busy ? 'Creating…' : 'Create experiment'}
          </button>
          <Link to="/experiments">Cancel</Link>
        </div>
      </form>
    </section>
  );
}
