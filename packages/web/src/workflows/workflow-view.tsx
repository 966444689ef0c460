/**
 * One workflow: its stages in the order they run, any earlier revision (every upsert keeps the previous
 * one), a link to its jobs, and a form to start a job of it.
 */
import { Link, useParams, useSearchParams } from 'react-router';
import { useResource } from '../api/use-resource.ts';
import { NotFound } from '../app/not-found.tsx';
import { ErrorMessage } from '../components/error-message.tsx';
import { Field } from '../components/field.tsx';
import { formatTime } from '../components/format.ts';
import { useSignedIn } from '../session/session.tsx';
import { StageList, stagesOf } from './stage-list.tsx';
import { StartJobForm } from './start-job-form.tsx';
import { isNotFound, workflowPath } from './workflow-path.ts';
import './workflows.css';

export function WorkflowView() {
  const { client } = useSignedIn();
  const { owner = '', name = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const asked = Number(params.get('revision')) || undefined;
  const current = useResource(() => client.workflows.show(owner, name), [client, owner, name]);
  const shown = useResource(
    () => (asked === undefined ? Promise.resolve(undefined) : client.workflows.show(owner, name, asked)),
    [client, owner, name, asked],
  );
  if (isNotFound(current.error)) return <NotFound what="workflow" />;
  if (current.error) return <ErrorMessage error={current.error} />;
  const latest = current.data;
  if (latest === undefined) return <p className="loading">Loading…</p>;
  const workflow = shown.data ?? latest;
  const revisions = Array.from({ length: latest.revision }, (_, i) => latest.revision - i);
  const jobsLink = `/jobs?workflow=${encodeURIComponent(name)}&owner=${encodeURIComponent(owner)}`;

  return (
    <section>
      <div className="title-row">
        <h1>
          {owner}/{name}
        </h1>
        <Link className="button-link" to={workflowPath(latest, '/edit')}>
          Edit
        </Link>
        <Link to={jobsLink}>Jobs of this workflow</Link>
      </div>
      {workflow.description && <p>{workflow.description}</p>}
      <div className="grid">
        <div className="panel">
          <dl className="facts">
            <dt>Revision</dt>
            <dd>
              {workflow.revision}
              {workflow.revision !== latest.revision && ` (the current one is ${latest.revision})`}
            </dd>
            <dt>Saved</dt>
            <dd>
              {formatTime(workflow.updated)} by {workflow.createdBy}
            </dd>
            <dt>Created</dt>
            <dd>{formatTime(workflow.created)}</dd>
            {workflow.userAccount && (
              <>
                <dt>Runs as</dt>
                <dd>{workflow.userAccount}</dd>
              </>
            )}
            {workflow.version && (
              <>
                <dt>Version</dt>
                <dd>{workflow.version}</dd>
              </>
            )}
          </dl>
          <Field label="Revision history" hint="every save keeps the previous revision">
            {(control) => (
              <select
                {...control}
                value={workflow.revision}
                onChange={(e) => {
                  const revision = Number(e.target.value);
                  setParams(revision === latest.revision ? {} : { revision: String(revision) }, {
                    replace: true,
                  });
                }}
              >
                {revisions.map((revision) => (
                  <option key={revision} value={revision}>
                    Revision {revision}
                    {revision === latest.revision ? ' (current)' : ''}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <ErrorMessage error={shown.error} />
        </div>
        <StartJobForm workflow={latest} />
      </div>
      <h2>Stages in order</h2>
      <StageList stages={stagesOf(workflow)} label="Stages" />
    </section>
  );
}
