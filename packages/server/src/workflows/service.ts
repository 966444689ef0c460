import { auditWho, recordAudit } from '../audit/store.ts';
import { managesAnyStation } from '../auth/policy.ts';
import type { Actor } from '../auth/principal.ts';
import type { ServiceContext } from '../context.ts';
import { decodeJson } from '../db/profile.ts';
import { AppError } from '../errors/app-error.ts';
import { decodeCursor, encodeCursor } from '../http/pagination.ts';
import {
  parseWorkflowText,
  readWorkflowText,
  stageKeys,
  validateWorkflow,
  type WorkflowDefinition,
  WorkflowInvalidError,
  type WorkflowProblem,
} from './definition.ts';
import { siteLimitProblems } from './limits.ts';
import { resolveRunAs } from './run-as.ts';
import type { UpsertWorkflowBody, Workflow, WorkflowListQuery } from './schemas.ts';
import * as store from './store.ts';

export function workflowNotFound(owner: string, name: string): AppError {
  return new AppError('workflow_not_found', `no workflow "${name}" of owner "${owner}"`, { owner, name });
}

export function workflowInvalid(problems: WorkflowProblem[]): AppError {
  return new AppError(
    'workflow_invalid',
    `the workflow is invalid: ${problems.map((p) => `${p.path || '(top)'}: ${p.message}`).join('; ')}`,
    { problems },
  );
}

/** Admins and station managers write workflows of any owner; other users only those they own. */
export async function mayUseOwner(context: ServiceContext, actor: Actor, owner: string): Promise<boolean> {
  const { principal } = actor;
  return (
    owner === principal.username || principal.isAdmin || (await managesAnyStation(context.db, principal))
  );
}

export function presentWorkflow(record: store.WorkflowRecord, definition: WorkflowDefinition): Workflow {
  return {
    ...definition,
    id: record.id,
    owner: record.owner,
    name: record.name,
    revision: record.revision,
    createdBy: record.created_by,
    created: record.created_at,
    updated: record.updated_at,
  };
}

function definitionOf(body: UpsertWorkflowBody): WorkflowDefinition {
  const hasText = body.text !== undefined || body.format !== undefined;
  if ((body.definition === undefined) === !hasText || (hasText && (!body.text || !body.format))) {
    throw new AppError('validation_failed', 'send either `definition`, or both `format` and `text`', {
      fields: [{ field: 'definition', message: 'either definition, or format and text' }],
    });
  }
  try {
    return body.definition !== undefined
      ? validateWorkflow(body.definition)
      : parseWorkflowText(body.text as string, body.format as 'json' | 'yaml' | 'python');
  } catch (error) {
    if (error instanceof WorkflowInvalidError) throw workflowInvalid(error.problems);
    throw error;
  }
}

/** A text body as read, before the checks (the portal turns an uploaded `.py` spec into JSON with it). */
function readForEditor(body: UpsertWorkflowBody): { definition?: unknown } {
  if (body.text === undefined || body.format === undefined || body.definition !== undefined) return {};
  try {
    return { definition: readWorkflowText(body.text, body.format) };
  } catch {
    return {}; // a syntax error: definitionOf reports it as a problem
  }
}

export function createWorkflowService(context: ServiceContext) {
  const { db, profile } = context;
  const present = (record: store.WorkflowRecord) =>
    presentWorkflow(record, decodeJson<WorkflowDefinition>(profile, record.definition));

  return {
    /** Every problem at once, for editors: a definition that parses but names a missing account is invalid. */
    async validate(actor: Actor, body: UpsertWorkflowBody) {
      const read = readForEditor(body);
      try {
        const definition = definitionOf(body);
        const runAs = await resolveRunAs(context, actor, definition.userAccount);
        const problems = [
          ...siteLimitProblems(context.settings, definition),
          ...(runAs.ok ? [] : [runAs.problem]),
        ];
        return { valid: problems.length === 0, problems, stageOrder: stageKeys(definition), ...read };
      } catch (error) {
        if (error instanceof AppError && error.code === 'workflow_invalid') {
          const problems = error.details.problems as WorkflowProblem[];
          return { valid: false, problems, stageOrder: [], ...read };
        }
        throw error;
      }
    },

    async upsert(actor: Actor, body: UpsertWorkflowBody): Promise<{ created: boolean; workflow: Workflow }> {
      const definition = definitionOf(body);
      if (!(await mayUseOwner(context, actor, definition.owner))) {
        throw new AppError(
          'forbidden',
          `you may only write workflows you own (owner "${actor.principal.username}")`,
          { owner: definition.owner },
        );
      }
      const runAs = await resolveRunAs(context, actor, definition.userAccount);
      if (!runAs.ok) throw workflowInvalid([runAs.problem]);
      const beyondLimits = siteLimitProblems(context.settings, definition);
      if (beyondLimits.length > 0) throw workflowInvalid(beyondLimits);
      const now = context.now();
      const saved = await db.transaction().execute(async (trx) => {
        const result = await store.saveRevision(trx, {
          owner: definition.owner,
          name: definition.name,
          definition,
          runAs: runAs.account,
          by: actor.principal.username,
          now,
        });
        await recordAudit(trx, auditWho(actor, now), {
          action: 'workflow.upsert',
          targetType: 'workflow',
          targetName: `${definition.owner}/${definition.name}`,
          details: { revision: result.revision, runAs: runAs.account },
        });
        return result;
      });
      const record = await store.findWorkflow(db, definition.owner, definition.name);
      if (!record) throw workflowNotFound(definition.owner, definition.name);
      return { created: saved.created, workflow: present(record) };
    },

    async list(_actor: Actor, query: WorkflowListQuery) {
      const after = decodeCursor<string>(query.cursor, 'string');
      const rows = await store.listWorkflows(db, {
        owner: query.owner,
        after: after === undefined ? undefined : (JSON.parse(after) as [string, string]),
        limit: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map(present),
        nextCursor:
          rows.length > query.limit && last ? encodeCursor(JSON.stringify([last.owner, last.name])) : null,
      };
    },

    async show(_actor: Actor, owner: string, name: string, revision?: number): Promise<Workflow> {
      const record =
        revision === undefined
          ? await store.findWorkflow(db, owner, name)
          : await store.findRevision(db, owner, name, revision);
      if (!record) throw workflowNotFound(owner, name);
      return present(record);
    },

    async remove(actor: Actor, owner: string, name: string): Promise<void> {
      const record = await store.findWorkflow(db, owner, name);
      if (!record) throw workflowNotFound(owner, name);
      if (!(await mayUseOwner(context, actor, owner)))
        throw new AppError('forbidden', `you may only delete workflows you own`, { owner });
      const now = context.now();
      await db.transaction().execute(async (trx) => {
        if (!(await store.markDeleted(trx, record.id, now))) throw workflowNotFound(owner, name);
        await recordAudit(trx, auditWho(actor, now), {
          action: 'workflow.delete',
          targetType: 'workflow',
          targetName: `${owner}/${name}`,
          details: { revision: record.revision },
        });
      });
    },
  };
}

export type WorkflowService = ReturnType<typeof createWorkflowService>;
