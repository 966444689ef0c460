import { auditWho, recordAudit } from '../audit/record.ts';
import type { Actor } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import { decodeJson } from '../db/profile.ts';
import { AppError } from '../errors/app-error.ts';
import { CursorShape, decodeCursor, toPage } from '../paging/pages.ts';
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
import { findWorkflow, type WorkflowRecord } from './lookup.ts';
import { resolveRunAs } from './run-as.ts';
import type { UpsertWorkflowBody, Workflow, WorkflowListQuery } from './schemas.ts';
import { type Asker, mayRead, mayWrite, readableOwners } from './scope.ts';
import { hideSecretEnv, hideSecretEnvIn, keepHiddenSecrets } from './secret-env.ts';
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

/** Secret env values are shown to admins and the workflow's owner only (secret-env.ts). */
export function seesSecrets(asker: Asker, owner: string): boolean {
  return asker.isAdmin || asker.username === owner;
}

export function presentWorkflow(
  record: WorkflowRecord,
  definition: WorkflowDefinition,
  asker: Asker,
): Workflow {
  return {
    ...(seesSecrets(asker, record.owner) ? definition : hideSecretEnv(definition)),
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
  const present = (asker: Asker) => (record: WorkflowRecord) =>
    presentWorkflow(record, decodeJson<WorkflowDefinition>(profile, record.definition), asker);

  /** The workflow if the actor may read it; to anyone else it does not exist. */
  async function readable(actor: Actor, owner: string, name: string) {
    const record = await findWorkflow(db, owner, name);
    if (!record || !(await mayRead(db, actor.principal, owner))) throw workflowNotFound(owner, name);
    return record;
  }

  return {
    /** Every problem at once, for editors: a definition that parses but names a missing account is invalid. */
    async validate(actor: Actor, body: UpsertWorkflowBody) {
      const read = readForEditor(body);
      try {
        const definition = definitionOf(body);
        const runAs = await resolveRunAs(context, actor.principal, definition.userAccount, {
          allowRoot: body.allowRoot ?? false,
        });
        const problems = [
          ...siteLimitProblems(context.settings, definition),
          ...(runAs.ok ? [] : [runAs.problem]),
        ];
        const echo = seesSecrets(actor.principal, definition.owner)
          ? read
          : { definition: hideSecretEnvIn(read.definition) };
        return {
          valid: problems.length === 0,
          problems,
          stageOrder: stageKeys(definition),
          ...(read.definition === undefined ? {} : echo),
        };
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
      if (!(await mayWrite(db, actor.principal, definition.owner))) {
        throw new AppError(
          'forbidden',
          `you may not write workflows of owner "${definition.owner}": yours ("${actor.principal.username}"), ` +
            "and a station manager's station accounts only",
          { owner: definition.owner },
        );
      }
      const allowRoot = body.allowRoot ?? false;
      const runAs = await resolveRunAs(context, actor.principal, definition.userAccount, { allowRoot });
      if (!runAs.ok) throw workflowInvalid([runAs.problem]);
      const beyondLimits = siteLimitProblems(context.settings, definition);
      if (beyondLimits.length > 0) throw workflowInvalid(beyondLimits);
      const previous = await findWorkflow(db, definition.owner, definition.name);
      if (previous)
        keepHiddenSecrets(definition, decodeJson<WorkflowDefinition>(profile, previous.definition));
      const { decision } = runAs;
      const now = context.now();
      const saved = await db.transaction().execute(async (trx) => {
        const result = await store.saveRevision(trx, {
          owner: definition.owner,
          name: definition.name,
          definition,
          runAs: decision,
          by: actor.principal.username,
          now,
        });
        await recordAudit(trx, auditWho(actor, now), {
          action: 'workflow.upsert',
          targetType: 'workflow',
          targetName: `${definition.owner}/${definition.name}`,
          details: {
            revision: result.revision,
            runAs: decision.account,
            runAsGrant: decision.grant,
            ...(allowRoot ? { allowRoot: true } : {}),
          },
        });
        return result;
      });
      const record = await findWorkflow(db, definition.owner, definition.name);
      if (!record) throw workflowNotFound(definition.owner, definition.name);
      return { created: saved.created, workflow: present(actor.principal)(record) };
    },

    /** Only the workflows the actor may read (scope.ts). */
    async list(actor: Actor, query: WorkflowListQuery) {
      const owners = await readableOwners(db, actor.principal);
      const rows = await store.listWorkflows(db, {
        owner: query.owner,
        owners: owners === 'all' ? undefined : [...owners],
        // The owner and name of the last row shown.
        after: decodeCursor(query.cursor, CursorShape.valueAndName),
        limit: query.limit + 1,
      });
      return toPage(rows, query.limit, (row) => [row.owner, row.name], present(actor.principal));
    },

    async show(actor: Actor, owner: string, name: string, revision?: number): Promise<Workflow> {
      if (!(await mayRead(db, actor.principal, owner))) throw workflowNotFound(owner, name);
      const record =
        revision === undefined
          ? await findWorkflow(db, owner, name)
          : await store.findRevision(db, owner, name, revision);
      if (!record) throw workflowNotFound(owner, name);
      return present(actor.principal)(record);
    },

    async remove(actor: Actor, owner: string, name: string): Promise<void> {
      const record = await readable(actor, owner, name);
      if (!(await mayWrite(db, actor.principal, owner)))
        throw new AppError('forbidden', `you may not delete workflows of owner "${owner}"`, { owner });
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
