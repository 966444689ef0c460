/**
 * Starting a DAQ (a directory watched until stopped) or an upload (a directory taken once). The API checks
 * everything; its errors are shown under the field they concern, the rest above the buttons.
 */
import type { DaqInput, UploadInput } from '@photon-dm/client';
import { useId, useState } from 'react';
import { useResource } from '../api/use-resource.ts';
import { ErrorMessage, fieldError, isFormLevel } from '../components/error-message.tsx';
import { Field } from '../components/field.tsx';
import { useSignedIn } from '../session/session.tsx';

const fields = ['experiment', 'dataDirectory', 'destDirectory', 'skipPatterns', 'workflow'];
const experimentCodes = ['experiment_not_found', 'forbidden'];
const workflowCodes = ['workflow_not_found'];

/** `*.tmp, scratch/*` → the API's list; blanks and empty items dropped. */
export function parsePatterns(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((pattern) => pattern.trim())
    .filter(Boolean);
}

export function StartForm({
  kind,
  onStarted,
  onCancel,
}: {
  kind: 'daq' | 'upload';
  onStarted: () => void;
  onCancel: () => void;
}) {
  const { client } = useSignedIn();
  const experiments = useResource(() => client.experiments.list({ limit: 1000 }), [client]);
  const workflows = useResource(
    () => (kind === 'daq' ? client.workflows.list({ limit: 1000 }) : Promise.resolve(undefined)),
    [client, kind],
  );
  const [values, setValues] = useState({
    experiment: '',
    dataDirectory: '',
    destDirectory: '',
    skipPatterns: '',
    workflow: '',
    reprocess: false,
  });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const workflowList = useId();
  const title = kind === 'daq' ? 'Start a DAQ' : 'Start an upload';
  const set = (key: keyof typeof values) => (e: { target: { value: string } }) =>
    setValues({ ...values, [key]: e.target.value });

  async function submit() {
    setBusy(true);
    try {
      const common = {
        experiment: values.experiment,
        dataDirectory: values.dataDirectory.trim(),
        ...(values.destDirectory.trim() && { destDirectory: values.destDirectory.trim() }),
      };
      if (kind === 'daq') {
        const patterns = parsePatterns(values.skipPatterns);
        const input: DaqInput = {
          ...common,
          ...(patterns.length > 0 && { skipPatterns: patterns }),
          ...(values.workflow.trim() && { workflow: values.workflow.trim() }),
        };
        await client.daqs.create(input);
      } else {
        const input: UploadInput = { ...common, ...(values.reprocess && { reprocess: true }) };
        await client.uploads.create(input);
      }
      setError(undefined);
      onStarted();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      className="panel start-form"
      aria-label={title}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h2>{title}</h2>
      <Field label="Experiment" error={fieldError(error, 'experiment', experimentCodes)}>
        {(control) => (
          // Disabled until the list arrives: an arrow key pressed on the empty list would choose nothing.
          <select
            {...control}
            required
            disabled={!experiments.data}
            value={values.experiment}
            onChange={set('experiment')}
          >
            <option value="">
              {experiments.data
                ? 'Choose an experiment'
                : experiments.error
                  ? 'Experiments could not be loaded'
                  : 'Loading experiments…'}
            </option>
            {experiments.data?.items.map((experiment) => (
              <option key={experiment.id} value={experiment.name}>
                {experiment.name} ({experiment.experimentStation})
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field
        label="Data directory"
        hint={
          kind === 'daq'
            ? 'The directory the detector writes into, on the server'
            : 'An existing directory on the server'
        }
        error={fieldError(error, 'dataDirectory')}
      >
        {(control) => (
          <input
            {...control}
            value={values.dataDirectory}
            onChange={set('dataDirectory')}
            placeholder="/detector/run-7"
          />
        )}
      </Field>
      <Field
        label="Destination directory"
        hint="Under the experiment's data directory; empty: the data directory itself"
        error={fieldError(error, 'destDirectory')}
      >
        {(control) => <input {...control} value={values.destDirectory} onChange={set('destDirectory')} />}
      </Field>
      {kind === 'daq' ? (
        <>
          <Field
            label="Skip patterns"
            hint="Files never taken, comma-separated globs, e.g. *.tmp, scratch/*"
            error={fieldError(error, 'skipPatterns')}
          >
            {(control) => <input {...control} value={values.skipPatterns} onChange={set('skipPatterns')} />}
          </Field>
          <Field
            label="Workflow"
            hint="Run for each file taken; empty: none"
            error={fieldError(error, 'workflow', workflowCodes)}
          >
            {(control) => (
              <input {...control} list={workflowList} value={values.workflow} onChange={set('workflow')} />
            )}
          </Field>
          <datalist id={workflowList}>
            {workflows.data?.items.map((workflow) => (
              <option key={workflow.id} value={workflow.name}>
                {workflow.owner}
              </option>
            ))}
          </datalist>
        </>
      ) : (
        <label className="check">
          <input
            type="checkbox"
            checked={values.reprocess}
            onChange={(e) => setValues({ ...values, reprocess: e.target.checked })}
          />{' '}
          Take again files already cataloged
        </label>
      )}
      {isFormLevel(error, fields, [...experimentCodes, ...workflowCodes]) && <ErrorMessage error={error} />}
      <div className="toolbar">
        <button type="submit" disabled={busy}>
          {kind === 'daq' ? 'Start DAQ' : 'Start upload'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
