/** The editor's two routes: a new workflow, and editing the current revision of one. */
import { useParams } from 'react-router';
import { useResource } from '../api/use-resource.ts';
import { NotFound } from '../app/not-found.tsx';
import { ErrorMessage } from '../components/error-message.tsx';
import { useSignedIn } from '../session/session.tsx';
import { definitionText, newWorkflowText, WorkflowEditor } from './workflow-editor.tsx';
import { isNotFound } from './workflow-path.ts';

export function NewWorkflow() {
  const { user } = useSignedIn();
  return <WorkflowEditor title="New workflow" initialText={newWorkflowText(user.username)} />;
}

export function EditWorkflow() {
  const { client } = useSignedIn();
  const { owner = '', name = '' } = useParams();
  const workflow = useResource(() => client.workflows.show(owner, name), [client, owner, name]);
  if (isNotFound(workflow.error)) return <NotFound what="workflow" />;
  if (workflow.error) return <ErrorMessage error={workflow.error} />;
  if (workflow.data === undefined) return <p className="loading">Loading…</p>;
  return (
    <WorkflowEditor
      key={`${owner}/${name}/${workflow.data.revision}`}
      title={`Edit ${owner}/${name}`}
      initialText={definitionText(workflow.data)}
    />
  );
}
