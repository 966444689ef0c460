import { ApiError, type Experiment, type UpdateExperimentInput } from '@photon-dm/client';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useResource } from '../api/use-resource.ts';
import { NotFound } from '../app/not-found.tsx';
import { ErrorMessage, fieldError, isFormLevel } from '../components/error-message.tsx';
import { Field } from '../components/field.tsx';
import { useFormCall } from '../components/use-form-call.ts';
import { useSignedIn } from '../session/session.tsx';
import { canManage } from './can-manage.ts';
import { toDateInput } from './experiment-dates.ts';
import { ExperimentDateFields, ExperimentTypeField } from './experiment-fields.tsx';
import './experiments.css';

const fields = ['type', 'description', 'startDate', 'endDate'];

/** Changing an experiment's description, type and dates (managers); an emptied field is cleared. */
export function ExperimentEdit() {
  const { name = '' } = useParams();
  const { client, user } = useSignedIn();
  const experiment = useResource(() => client.experiments.show(name), [client, name]);
  if (experiment.error instanceof ApiError && experiment.error.status === 404)
    return <NotFound what="experiment" />;
  if (experiment.data === undefined) {
    return experiment.error ? <ErrorMessage error={experiment.error} /> : <p className="loading">Loading…</p>;
  }
  if (!canManage(user, experiment.data)) return <NotFound what="page" />;
  return <EditForm experiment={experiment.data} />;
}

function EditForm({ experiment }: { experiment: Experiment }) {
  const { client } = useSignedIn();
  const navigate = useNavigate();
  const types = useResource(() => client.experimentTypes.list({ limit: 1000 }), [client]);
  const [form, setForm] = useState({
    type: experiment.experimentType ?? '',
    description: experiment.description ?? '',
    startDate: toDateInput(experiment.startDate),
    endDate: toDateInput(experiment.endDate),
  });
  const { busy, error, run } = useFormCall();
  const path = `/experiments/${encodeURIComponent(experiment.name)}`;
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm((previous) => ({ ...previous, [key]: e.target.value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    // Only what changed is sent, so a date kept as a full timestamp is not cut to its day.
    const changes: UpdateExperimentInput = {};
    if (form.type !== (experiment.experimentType ?? '')) changes.type = form.type || null;
    if (form.description.trim() !== (experiment.description ?? ''))
      changes.description = form.description.trim() || null;
    if (form.startDate !== toDateInput(experiment.startDate)) changes.startDate = form.startDate || null;
    if (form.endDate !== toDateInput(experiment.endDate)) changes.endDate = form.endDate || null;
    if (Object.keys(changes).length === 0) {
      void navigate(path);
      return;
    }
    const saved = await run(() => client.experiments.update(experiment.name, changes));
    if (saved) void navigate(path);
  }

  return (
    <section className="narrow-page">
      <h1>Edit {experiment.name}</h1>
      <form onSubmit={submit} aria-label="Edit experiment" noValidate>
        <ExperimentTypeField
          value={form.type}
          types={types.data?.items}
          error={error}
          onChange={set('type')}
        />
        <Field label="Description" error={fieldError(error, 'description')}>
          {(control) => (
            <textarea {...control} rows={4} value={form.description} onChange={set('description')} />
          )}
        </Field>
        <ExperimentDateFields
          startDate={form.startDate}
          endDate={form.endDate}
          error={error}
          onStart={set('startDate')}
          onEnd={set('endDate')}
        />
        {isFormLevel(error, fields) && <ErrorMessage error={error} />}
        <div className="toolbar">
          <button type="submit" disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
          <Link to={path}>Cancel</Link>
        </div>
      </form>
    </section>
  );
}
