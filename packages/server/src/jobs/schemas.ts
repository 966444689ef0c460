/**
 * Processing jobs as the API shows them, with the APS field names.
 *
 * Glossary:
 * - job: one run of a workflow revision with its arguments, by an owner, for an experiment or none.
 * - stage: one command of the workflow; a job runs its stages in order, each as the workflow's unix account.
 * - child process: one process of a parallel or repeated stage (`childProcessNumber`).
 * - variables: the arguments, plus what stages captured from their output (`outputVariableRegexList`).
 * - resubmission: a new job from a failed job's stage (`fromStage`), keeping what the earlier stages captured.
 * - stop request: asks the worker that runs the job to stop it (`stopRequested`), wherever it runs.
 * - status: pending → running → done | failed | aborted (transitions.ts).
 */
import { type Static, Type } from '@sinclair/typebox';
import { RowId } from '../http/schemas.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const JobStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('running'),
  Type.Literal('done'),
  Type.Literal('failed'),
  Type.Literal('aborted'),
]);

export const StageStatus = Type.Union([
  Type.Literal('running'),
  Type.Literal('done'),
  Type.Literal('failed'),
  Type.Literal('skipped'),
  Type.Literal('aborted'),
]);

/** One run of a stage's command: a repeated stage has one per run, a retried stage one per attempt. */
export const ChildProcess = Type.Object({
  childProcessNumber: Type.Integer(),
  command: Type.String({ description: 'after $variable substitution' }),
  workingDir: Type.String(),
  status: StageStatus,
  startTime: Type.String(),
  endTime: Nullable(Type.String()),
  runTime: Nullable(Type.Number({ description: 'seconds' })),
  exitStatus: Nullable(Type.Integer()),
  stdOut: Type.String({ description: 'the tail; the whole output is in the log' }),
  stdErr: Type.String({ description: 'the tail; the whole output is in the log' }),
  errorMessage: Nullable(Type.String()),
});

export const JobStage = Type.Object({
  status: StageStatus,
  startTime: Nullable(Type.String()),
  endTime: Nullable(Type.String()),
  errorMessage: Nullable(Type.String()),
  childProcesses: Type.Array(ChildProcess),
});

/**
 * A processing job with the APS field names. Its arguments and captured variables are also spread at the top
 * level, as APS job records carry them (`filePath`, `md5Sum`, ...); names of record fields are refused as
 * argument names, so they never collide.
 */
export const Job = Type.Object(
  {
    id: Type.Integer(),
    owner: Type.String({ description: "the workflow's owner (its name space)" }),
    workflowName: Type.String(),
    workflowRevision: Type.Integer(),
    status: JobStatus,
    stage: Nullable(Type.String({ description: 'the stage running, or the last one that ran' })),
    submissionTime: Type.String(),
    startTime: Nullable(Type.String()),
    endTime: Nullable(Type.String()),
    runTime: Nullable(Type.Number({ description: 'seconds' })),
    errorMessage: Nullable(Type.String()),
    experimentName: Nullable(Type.String()),
    filePath: Nullable(Type.String({ description: 'absolute, in storage' })),
    arguments: Type.Record(Type.String(), Type.String()),
    variables: Type.Record(Type.String(), Type.String(), { description: 'captured by stages so far' }),
    submittedBy: Type.String(),
    resubmittedFrom: Nullable(Type.Integer()),
    fromStage: Nullable(Type.String()),
    stopRequested: Type.Boolean(),
    stages: Type.Record(Type.String(), JobStage),
  },
  { additionalProperties: Type.String() },
);
export type Job = Static<typeof Job>;

const Arguments = Type.Record(
  Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
  Type.String({ maxLength: 65_536 }),
  { maxProperties: 200 },
);

export const StartJobBody = Type.Object(
  {
    workflow: Type.String({ minLength: 1, maxLength: 100 }),
    owner: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: "the workflow's owner; default: you" }),
    ),
    experiment: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    filePath: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        description: "relative to the experiment's data directory",
      }),
    ),
    arguments: Type.Optional(Arguments),
  },
  { additionalProperties: false },
);
export type StartJobBody = Static<typeof StartJobBody>;

export const StartEachFileBody = Type.Object(
  {
    workflow: Type.String({ minLength: 1, maxLength: 100 }),
    owner: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    experiment: Type.String({ minLength: 1, maxLength: 64 }),
    pathGlob: Type.Optional(Type.String({ maxLength: 1024 })),
    where: Type.Optional(Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 20 })),
    arguments: Type.Optional(Arguments),
  },
  { additionalProperties: false },
);
export type StartEachFileBody = Static<typeof StartEachFileBody>;

export const StartedJobs = Type.Object({ count: Type.Integer(), jobIds: Type.Array(Type.Integer()) });

export const ResubmitBody = Type.Object(
  { fromStage: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) },
  { additionalProperties: false },
);
export type ResubmitBody = Static<typeof ResubmitBody>;

export const JobListQuery = Type.Object(
  {
    status: Type.Optional(JobStatus),
    ended: Type.Optional(
      Type.Boolean({ description: 'only jobs that have ended (done, failed, aborted): the history' }),
    ),
    workflow: Type.Optional(Type.String({ maxLength: 100 })),
    owner: Type.Optional(Type.String({ maxLength: 100 })),
    experiment: Type.Optional(Type.String({ maxLength: 64 })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
export type JobListQuery = Static<typeof JobListQuery>;

export const JobParams = Type.Object({ id: RowId });

export const JobLogQuery = Type.Object(
  {
    stage: Type.Optional(Type.String({ maxLength: 200 })),
    cursor: Type.Optional(Type.String({ maxLength: 8192, description: 'cursor of the previous answer' })),
  },
  { additionalProperties: false },
);
export type JobLogQuery = Static<typeof JobLogQuery>;

/** Log text read since the cursor, per child process (parallel children write at the same time). */
export const JobLog = Type.Object({
  entries: Type.Array(
    Type.Object({ stage: Type.String(), childProcessNumber: Type.Integer(), text: Type.String() }),
  ),
  cursor: Type.String({ description: 'pass back to read what comes next' }),
  complete: Type.Boolean({ description: 'the job has ended and everything was read' }),
});
export type JobLog = Static<typeof JobLog>;
