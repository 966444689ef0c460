/** Starting a job of a workflow by hand: an experiment and file if it works on one, and its arguments. */
import type { Workflow } from '@photon-dm/client';
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { ErrorMessage, fieldError, isFormLevel } from '../components/error-message.tsx';
import { Field } from '../components/field.tsx';
import { useSignedIn } from '../session/session.tsx';

/** `key=value` lines; a line without `=` is reported rather than dropped. */
export function parseArguments(text: string): { values: Record<string, string>; bad?: string } {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const at = line.indexOf('=');
    if (at <= 0) return { values, bad: `"${line.trim()}" is not key=value` };
    values[line.slice(0, at).trim()] = line.slice(at + 1);
  }
  return { values };
}

export function StartJobForm({ workflow }: { workflow: Workflow }) {
  const { client } = useSignedIn();
  const navigate = useNavigate();
  const [experiment, setExperiment] = useState('');
  const [filePath, setFilePath] = useState('');
  const [argumentText, setArgumentText] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const parsed = parseArguments(argumentText);
  const codes = { experiment: ['experiment_not_found'] };

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (parsed.bad) return;
    setBusy(true);
    setError(undefined);
    try {
      const job = await client.jobs.start({
        workflow: workflow.name,
        owner: workflow.owner,
        ...(experiment.trim() && { experiment: experiment.trim() }),
        ...(filePath.trim() && { filePath: filePath.trim() }),
        ...(Object.keys(parsed.values).length > 0 && { arguments: parsed.values }),
      });
      void navigate(`/jobs/${job.id}`);
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  }

  return (
    <form className="panel" aria-label="Start a job" onSubmit={submit} noValidate>
      <h2>Start a job</h2>
      <Field label="Experiment" hint="optional" error={fieldError(error, 'experiment', codes.experiment)}>
        {(control) => (
          <input {...control} value={experiment} onChange={(e) => setExperiment(e.target.value)} />
        )}
      </Field>
      <Field
        label="File"
        hint="optional, relative to the experiment's data directory"
        error={fieldError(error, 'filePath')}
      >
        {(control) => <input {...control} value={filePath} onChange={(e) => setFilePath(e.target.value)} />}
      </Field>
      <Field
        label="Arguments"
        hint="one key=value per line; $key in the commands"
        error={parsed.bad ?? fieldError(error, 'arguments')}
      >
        {(control) => (
          <textarea
            {...control}
            rows={3}
            value={argumentText}
            onChange={(e) => setArgumentText(e.target.value)}
          />
        )}
      </Field>
      {isFormLevel(error, ['experiment', 'filePath', 'arguments'], codes.experiment) && (
        <ErrorMessage error={error} />
      )}
      <button type="submit" disabled={busy || parsed.bad !== undefined}>
        {busy ? 'Starting…' : 'Start job'}
      </button>
    </form>
  );
}
