/** Stop a job that has not ended; resubmit one that has, whole or from a chosen stage (its failed one first). */
import { isJobFinished, type Job } from '@photon-dm/client';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { ErrorMessage } from '../components/error-message.tsx';
import { Field } from '../components/field.tsx';
import { useSignedIn } from '../session/session.tsx';

export function JobActions({ job }: { job: Job }) {
  const { client } = useSignedIn();
  const navigate = useNavigate();
  const stages = Object.keys(job.stages).sort();
  const failed = stages.find((key) => job.stages[key]?.status === 'failed');
  const [fromStage, setFromStage] = useState(failed ?? stages[0] ?? '');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const finished = isJobFinished(job.status);

  async function act(action: () => Promise<Job>, follow: boolean) {
    setBusy(true);
    setError(undefined);
    try {
      const result = await action();
      if (follow) void navigate(`/jobs/${result.id}`);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="panel job-actions">
      {!finished && (
        <button
          type="button"
          className="danger"
          disabled={busy || job.stopRequested}
          onClick={() => void act(() => client.jobs.stop(job.id), false)}
        >
          {job.stopRequested ? 'Stopping…' : 'Stop job'}
        </button>
      )}
      {finished && (
        <>
          <button
            type="button"
            disabled={busy}
            onClick={() => void act(() => client.jobs.resubmit(job.id), true)}
          >
            Resubmit
          </button>
          {stages.length > 0 && (
            <form
              className="toolbar"
              aria-label="Resubmit from a stage"
              onSubmit={(e) => {
                e.preventDefault();
                void act(() => client.jobs.resubmit(job.id, fromStage), true);
              }}
            >
              <Field label="From stage">
                {(control) => (
                  <select {...control} value={fromStage} onChange={(e) => setFromStage(e.target.value)}>
                    {stages.map((key) => (
                      <option key={key} value={key}>
                        {key}
                        {key === failed ? ' (failed)' : ''}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <button type="submit" className="secondary" disabled={busy || fromStage === ''}>
                Resubmit from stage
              </button>
            </form>
          )}
        </>
      )}
      <ErrorMessage error={error} />
    </div>
  );
}
