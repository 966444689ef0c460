import { type Static, Type } from '@sinclair/typebox';
import { RowId } from '../http/schemas.ts';

const Name = Type.String({ minLength: 1, maxLength: 100 });

/** A stage as the APS Data Management System defines it, plus Photon DM's optional extras. */
export const WorkflowStage = Type.Object({
  command: Type.String({ description: 'run with /bin/sh -c after $variable substitution' }),
  workingDir: Type.Optional(Type.String()),
  outputVariableRegexList: Type.Optional(
    Type.Array(Type.String(), { description: 'Python regexes over stdout; named groups `(?P<name>...)`' }),
  ),
  repeatPeriod: Type.Optional(Type.Number({ description: 'seconds between runs of a repeated stage' })),
  repeatUntil: Type.Optional(Type.String({ description: 'condition ending a repeated stage' })),
  maxRepeats: Type.Optional(Type.Integer()),
  runIf: Type.Optional(Type.String({ description: 'condition; the stage is skipped when false' })),
  timeout: Type.Optional(Type.Number({ description: 'seconds; the process group is killed after it' })),
  retries: Type.Optional(Type.Integer({ description: 'extra attempts after a failure' })),
  env: Type.Optional(Type.Record(Type.String(), Type.String())),
  site: Type.Optional(Type.String()),
  parallel: Type.Optional(
    Type.Object({
      fileList: Type.String({ description: 'one path per line after substitution' }),
      maxConcurrent: Type.Optional(Type.Integer()),
    }),
  ),
});

/** A workflow's current definition, with the revision that every upsert increments. */
export const Workflow = Type.Object({
  id: Type.Integer(),
  owner: Type.String(),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  userAccount: Type.Optional(Type.String()),
  version: Type.Optional(Type.String({ description: "the author's own version label" })),
  secretEnv: Type.Optional(
    Type.Array(Type.String(), {
      description: 'stage env variables whose values only admins and the owner see (others get ********)',
    }),
  ),
  stages: Type.Record(Type.String(), WorkflowStage),
  revision: Type.Integer({ description: 'incremented by every upsert; jobs record the revision they ran' }),
  createdBy: Type.String(),
  created: Type.String(),
  updated: Type.String(),
});
export type Workflow = Static<typeof Workflow>;

export const WorkflowFormat = Type.Union([
  Type.Literal('json'),
  Type.Literal('yaml'),
  Type.Literal('python'),
]);

export const UpsertWorkflowBody = Type.Object(
  {
    definition: Type.Optional(Type.Unknown({ description: 'the workflow as a JSON object' })),
    format: Type.Optional(WorkflowFormat),
    text: Type.Optional(
      Type.String({ maxLength: 1_000_000, description: 'the workflow file as written, in `format`' }),
    ),
    allowRoot: Type.Optional(
      Type.Boolean({
        description:
          'admins only: let this workflow run as userAccount "root" (needs DM_ALLOW_ROOT_STAGES; audit-logged)',
      }),
    ),
  },
  { additionalProperties: false, description: 'either `definition`, or `format` and `text`' },
);
export type UpsertWorkflowBody = Static<typeof UpsertWorkflowBody>;

export const WorkflowProblems = Type.Object({
  valid: Type.Boolean(),
  problems: Type.Array(Type.Object({ path: Type.String(), message: Type.String() })),
  stageOrder: Type.Array(Type.String()),
  definition: Type.Optional(
    Type.Unknown({
      description:
        'for `format` and `text`: the text as read (before the checks), so an editor can show a Python spec as JSON',
    }),
  ),
});

export const WorkflowParams = Type.Object({ owner: Name, name: Name });

export const WorkflowRevisionQuery = Type.Object(
  { revision: Type.Optional(RowId) },
  { additionalProperties: false },
);

export const WorkflowListQuery = Type.Object(
  {
    owner: Type.Optional(Name),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
export type WorkflowListQuery = Static<typeof WorkflowListQuery>;
