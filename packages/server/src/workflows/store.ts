import type { Kysely } from 'kysely';
import type { RunAsGrant } from '../db/job-tables.ts';
import { encodeJson } from '../db/profile.ts';
import type { Database } from '../db/tables.ts';
import { type WorkflowRecord, withRevision } from './lookup.ts';

/** A revision by number, also of a deleted workflow (jobs keep naming what they ran). */
export async function findRevision(
  db: Kysely<Database>,
  owner: string,
  name: string,
  revision: number,
): Promise<(WorkflowRecord & { revision: number }) | undefined> {
  const row = await db
    .selectFrom('workflows')
    .innerJoin('workflow_revisions', 'workflow_revisions.workflow_id', 'workflows.id')
    .selectAll('workflows')
    .select([
      'workflow_revisions.definition',
      'workflow_revisions.run_as',
      'workflow_revisions.id as revision_id',
      'workflow_revisions.revision as revision_number',
      'workflow_revisions.created_at as revision_created_at',
    ])
    .where('workflows.owner', '=', owner)
    .where('workflows.name', '=', name)
    .where('workflow_revisions.revision', '=', revision)
    .executeTakeFirst();
  if (!row) return undefined;
  const { revision_number, revision_created_at, ...rest } = row;
  return { ...rest, revision: revision_number, updated_at: revision_created_at };
}

export async function listWorkflows(
  db: Kysely<Database>,
  options: { owner?: string; owners?: string[]; after?: [string, string]; limit: number },
): Promise<WorkflowRecord[]> {
  let query = withRevision(db).where('workflows.deleted_at', 'is', null);
  if (options.owner !== undefined) query = query.where('workflows.owner', '=', options.owner);
  // The owners a caller may read (workflows/scope.ts); never empty: it holds at least their own name.
  if (options.owners !== undefined) query = query.where('workflows.owner', 'in', options.owners);
  const after = options.after;
  if (after)
    query = query.where((eb) =>
      eb.or([
        eb('workflows.owner', '>', after[0]),
        eb.and([eb('workflows.owner', '=', after[0]), eb('workflows.name', '>', after[1])]),
      ]),
    );
  return await query.orderBy('workflows.owner').orderBy('workflows.name').limit(options.limit).execute();
}

/**
 * Adds a revision and makes it current; a deleted workflow of that name comes back with the next revision.
 * The update is guarded by the revision it read, so two concurrent upserts cannot both claim one number.
 */
export async function saveRevision(
  trx: Kysely<Database>,
  input: {
    owner: string;
    name: string;
    definition: unknown;
    runAs: { account: string | null; grant: RunAsGrant | null; stationId: number | null };
    by: string;
    now: string;
  },
): Promise<{ workflowId: number; revision: number; created: boolean }> {
  const existing = await trx
    .selectFrom('workflows')
    .select(['id', 'revision', 'deleted_at'])
    .where('owner', '=', input.owner)
    .where('name', '=', input.name)
    .executeTakeFirst();
  let workflowId: number;
  let revision: number;
  if (existing) {
    workflowId = existing.id;
    revision = existing.revision + 1;
    const updated = await trx
      .updateTable('workflows')
      .set({ revision, updated_at: input.now, deleted_at: null })
      .where('id', '=', existing.id)
      .where('revision', '=', existing.revision)
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n) throw new Error('workflow changed concurrently; try again');
  } else {
    revision = 1;
    const inserted = await trx
      .insertInto('workflows')
      .values({
        owner: input.owner,
        name: input.name,
        revision,
        created_by: input.by,
        created_at: input.now,
        updated_at: input.now,
        deleted_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    workflowId = inserted.id;
  }
  await trx
    .insertInto('workflow_revisions')
    .values({
      workflow_id: workflowId,
      revision,
      definition: encodeJson(input.definition),
      run_as: input.runAs.account,
      run_as_grant: input.runAs.grant,
      run_as_station_id: input.runAs.stationId,
      created_by: input.by,
      created_at: input.now,
    })
    .execute();
  return { workflowId, revision, created: !existing || existing.deleted_at !== null };
}

export async function markDeleted(trx: Kysely<Database>, id: number, now: string): Promise<boolean> {
  const result = await trx
    .updateTable('workflows')
    .set({ deleted_at: now, updated_at: now })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The unix account of a user (by name), which their own workflows may run as; null when they have none. */
export async function unixAccountOfUser(db: Kysely<Database>, username: string): Promise<string | null> {
  const row = await db
    .selectFrom('users')
    .select('unix_account')
    .where('username', '=', username)
    .executeTakeFirst();
  return row?.unix_account ?? null;
}
