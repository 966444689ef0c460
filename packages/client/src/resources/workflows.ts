import { path, type Transport } from '../transport.ts';
import type { Page, Workflow, WorkflowListQuery, WorkflowSource, WorkflowValidation } from '../types.ts';

const base = '/api/v1';

/**
 * `/workflows`: named sequences of stages in the APS format, identified by (owner, name).
 *
 * @example
 * const workflow = await client.workflows.upsert({ format: 'yaml', text: readFileSync('xpcs.yaml', 'utf8') });
 * const again = await client.workflows.show(workflow.owner, workflow.name);
 */
export class WorkflowsApi {
  constructor(private readonly transport: Transport) {}

  /** Creates the workflow, or replaces its definition and increments its revision (the old one is kept). */
  upsert(source: WorkflowSource): Promise<Workflow> {
    return this.transport.request('POST', `${base}/workflows`, { body: source });
  }

  /** Every problem of a definition at once, without storing it. */
  validate(source: WorkflowSource): Promise<WorkflowValidation> {
    return this.transport.request('POST', `${base}/workflows/validate`, { body: source });
  }

  list(query: WorkflowListQuery = {}): Promise<Page<Workflow>> {
    return this.transport.request('GET', `${base}/workflows`, { query: { ...query } });
  }

  /** The current definition, or an earlier `revision`. */
  show(owner: string, name: string, revision?: number): Promise<Workflow> {
    return this.transport.request('GET', base + path`/workflows/${owner}/${name}`, {
      query: { revision },
    });
  }

  /** Jobs that ran it keep the revision they ran. */
  delete(owner: string, name: string): Promise<void> {
    return this.transport.request('DELETE', base + path`/workflows/${owner}/${name}`);
  }
}
