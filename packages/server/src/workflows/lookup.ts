/**
 * Finding workflows: what other concepts need of workflows/ (a workflow with its current revision, a
 * revision by id). It holds its own SQL, as workflows' read interface: other folders read workflows here,
 * never through store.ts, which keeps the SQL of listing and saving revisions.
 */
import type { Kysely } from 'kysely';
import type { WorkflowRevisionRow, WorkflowRow } from '../db/job-tables.ts';
import type { Database } from '../db/tables.ts';

export type WorkflowRecord = WorkflowRow &
  Pick<WorkflowRevisionRow, 'definition' | 'run_as'> & { revision_id: number };

/** A workflow joined to its current revision; also the base of store.ts's list. */
export function withRevision(db: Kysely<Database>) {
  return db
    .selectFrom('workflows')
    .innerJoin('workflow_revisions', (join) =>
      join
        .onRef('workflow_revisions.workflow_id', '=', 'workflows.id')
        .onRef('workflow_revisions.revision', '=', 'workflows.revision'),
    )
    .selectAll('workflows')
    .select([
      'workflow_revisions.definition',
      'workflow_revisions.run_as',
      'workflow_revisions.id as revision_id',
    ]);
}

export async function findWorkflow(
  db: Kysely<Database>,
  owner: string,
  name: string,
): Promise<WorkflowRecord | undefined> {
  return await withRevision(db)
    .where('workflows.owner', '=', owner)
    .where('workflows.name', '=', name)
    .where('workflows.deleted_at', 'is', null)
    .executeTakeFirst();
}

export async function findRevisionById(
  db: Kysely<Database>,
  revisionId: number,
): Promise<(WorkflowRevisionRow & { owner: string; name: string }) | undefined> {
  return await db
    .selectFrom('workflow_revisions')
    .innerJoin('workflows', 'workflows.id', 'workflow_revisions.workflow_id')
    .selectAll('workflow_revisions')
    .select(['workflows.owner', 'workflows.name'])
    .where('workflow_revisions.id', '=', revisionId)
    .executeTakeFirst();
}
