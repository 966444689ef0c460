/**
 * A job's log, or one stage's (GET /jobs/{id}/logs with its cursor). While the job runs the log is read
 * again each second when nothing new came (the API's way of following: output has no live event of its
 * own); it stops by itself once the job has ended and everything was read.
 */
import type { Job, JobLogEntry } from '@photon-dm/client';
import { useEffect, useRef, useState } from 'react';
import { ErrorMessage } from '../components/error-message.tsx';
import { Field } from '../components/field.tsx';
import { useSignedIn } from '../session/session.tsx';

export function JobLog({ job, stage, onStage }: { job: Job; stage: string; onStage(stage: string): void }) {
  const { client } = useSignedIn();
  const [entries, setEntries] = useState<JobLogEntry[]>([]);
  const [following, setFollowing] = useState(false);
  const [error, setError] = useState<unknown>();
  const box = useRef<HTMLPreElement>(null);
  const ended = job.status !== 'pending' && job.status !== 'running';
  const stages = Object.keys(job.stages).sort();

  // Started again when the job ends, so the last words after a follow that gave up are read too.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `ended` restarts the follow on purpose
  useEffect(() => {
    const controller = new AbortController();
    setEntries([]);
    setError(undefined);
    setFollowing(true);
    (async () => {
      const options = { signal: controller.signal, intervalMs: 1000, ...(stage && { stage }) };
      for await (const entry of client.jobs.followLogs(job.id, options)) {
        setEntries((list) => [...list, entry]);
      }
    })()
      .catch((failure: unknown) => controller.signal.aborted || setError(failure))
      .finally(() => controller.signal.aborted || setFollowing(false));
    return () => controller.abort();
  }, [client, job.id, stage, ended]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll when entries arrive
  useEffect(() => {
    const element = box.current;
    if (element && following) element.scrollTop = element.scrollHeight;
  }, [entries, following]);

  return (
    <div className="job-log" id="job-log">
      <div className="title-row">
        <h2>Log</h2>
        <Field label="Stage">
          {(control) => (
            <select {...control} value={stage} onChange={(e) => onStage(e.target.value)}>
              <option value="">all stages</option>
              {stages.map((key) => (
                <option key={key} value={key}>
                  {key}
                </option>
              ))}
            </select>
          )}
        </Field>
        <span className="muted" role="status">
          {following ? 'following…' : 'complete'}
        </span>
      </div>
      <ErrorMessage error={error} />
      <pre className="log" ref={box} role="log" aria-label="Job log">
        {entries.length === 0 ? '(no output yet)' : render(entries)}
      </pre>
    </div>
  );
}

/** Entries in order, each run of a child process headed by its stage and number. */
function render(entries: JobLogEntry[]): string {
  let last = '';
  let text = '';
  for (const entry of entries) {
    const head = `${entry.stage} #${entry.childProcessNumber}`;
    if (head !== last) {
      text += `${text && !text.endsWith('\n') ? '\n' : ''}── ${head} ──\n`;
      last = head;
    }
    text += entry.text;
  }
  return text;
}
