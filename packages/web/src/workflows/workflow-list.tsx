import { Link, useSearchParams } from 'react-router';
import { useResource } from '../api/use-resource.ts';
import { ErrorMessage } from '../components/error-message.tsx';
import { formatTime } from '../components/format.ts';
import { useSignedIn } from '../session/session.tsx';
import { workflowPath } from './workflow-path.ts';
import './workflows.css';

/** Every workflow, by owner and name; `?owner=` narrows it to one name space (bookmarkable). */
export function WorkflowList() {
  const { client } = useSignedIn();
  const [params, setParams] = useSearchParams();
  const owner = params.get('owner') ?? '';
  const workflows = useResource(
    () => client.workflows.list({ ...(owner && { owner }), limit: 1000 }),
    [client, owner],
  );

  return (
    <section>
      <div className="title-row">
        <h1>Workflows</h1>
        <Link className="button-link" to="/workflows/new">
          New workflow
        </Link>
      </div>
      <search>
        <form
          className="filters"
          onSubmit={(e) => {
            e.preventDefault();
            const typed = String(new FormData(e.currentTarget).get('owner') ?? '').trim();
            setParams(typed ? { owner: typed } : {}, { replace: true });
          }}
        >
          <label>
            Owner <input name="owner" defaultValue={owner} />
          </label>
          <button type="submit">Filter</button>
        </form>
      </search>
      <ErrorMessage error={workflows.error} />
      <table>
        <thead>
          <tr>
            <th scope="col">Owner</th>
            <th scope="col">Name</th>
            <th scope="col">Description</th>
            <th scope="col" className="num">
              Stages
            </th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {workflows.data?.items.map((workflow) => (
            <tr key={workflow.id}>
              <td>{workflow.owner}</td>
              <td>
                <Link to={workflowPath(workflow)}>{workflow.name}</Link>
              </td>
              <td>{workflow.description}</td>
              <td className="num">{Object.keys(workflow.stages).length}</td>
              <td>{formatTime(workflow.updated)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {workflows.data?.items.length === 0 && <p>No workflows yet.</p>}
    </section>
  );
}
