/**
 * The payload of each live event type: the event map. Emitting an event with another payload is a type
 * error (`NewEvent` in event-types.ts), the OpenAPI document lists these schemas under
 * `components.schemas` (`event.<type>`), and the client's `EventPayloads` is generated from them
 * (scripts/generate-client-types.ts). docs/api.md, "Live events", describes them for people; a test checks
 * that it names every type and field.
 *
 * The statuses are spelt here rather than imported from daq/, jobs/ and uploads/, which publish events and
 * so sit above events/; the compiler still keeps them in step, since each publisher passes its own status
 * type into these payloads.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** Jobs, DAQs and uploads share these statuses. */
const WorkStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('running'),
  Type.Literal('done'),
  Type.Literal('failed'),
  Type.Literal('aborted'),
]);

const StageStatus = Type.Union([
  Type.Literal('running'),
  Type.Literal('done'),
  Type.Literal('failed'),
  Type.Literal('skipped'),
  Type.Literal('aborted'),
]);

/** Read from the claimed row as the database holds it. */
const PreviousStatus = Nullable(
  Type.String({ description: 'the status before this change; null for a new DAQ or upload' }),
);

/** What a DAQ has taken so far, counted from the catalog as `GET /daqs/{id}` counts it. */
const DaqCounters = {
  nFiles: Type.Integer({ description: 'files seen: taken or failed' }),
  nProcessedFiles: Type.Integer(),
  nProcessingErrors: Type.Integer(),
  nBytes: Type.Integer(),
};

/** An upload's counters, as `GET /uploads/{id}` has them. */
const UploadCounters = {
  nFiles: Type.Integer(),
  nProcessedFiles: Type.Integer(),
  nSkippedFiles: Type.Integer(),
  nProcessingErrors: Type.Integer(),
  nBytes: Type.Integer(),
  nProcessedBytes: Type.Integer(),
  lastError: Nullable(Type.String()),
};

export const eventPayloads = {
  'job.status': Type.Object(
    {
      jobId: Type.Integer(),
      workflowName: Type.String(),
      owner: Type.String({ description: "the workflow's owner (its name space)" }),
      status: WorkStatus,
      previousStatus: Nullable(WorkStatus),
      stage: Nullable(Type.String({ description: 'the stage running, or the last one that ran' })),
      errorMessage: Nullable(Type.String()),
    },
    { description: "a job's status changed" },
  ),
  'job.stage': Type.Object(
    {
      jobId: Type.Integer(),
      stage: Type.String(),
      status: StageStatus,
      errorMessage: Nullable(Type.String()),
    },
    { description: 'a stage of a job started or ended' },
  ),
  'file.cataloged': Type.Object(
    {
      path: Type.String({ description: "relative to the experiment's data directory" }),
      size: Type.Integer(),
      md5: Type.String(),
      origin: Type.Object({
        type: Type.Union([Type.Literal('upload'), Type.Literal('daq'), Type.Literal('manual')]),
        id: Type.Integer({ description: 'the upload or DAQ' }),
      }),
    },
    { description: "a file's record was written to the catalog" },
  ),
  'daq.status': Type.Object(
    {
      status: WorkStatus,
      previousStatus: PreviousStatus,
      // A pending DAQ has taken nothing: its event carries no counters.
      nFiles: Type.Optional(DaqCounters.nFiles),
      nProcessedFiles: Type.Optional(DaqCounters.nProcessedFiles),
      nProcessingErrors: Type.Optional(DaqCounters.nProcessingErrors),
      nBytes: Type.Optional(DaqCounters.nBytes),
    },
    { description: "a DAQ's status changed (no counters for `pending`)" },
  ),
  'daq.progress': Type.Object(
    { status: Type.Literal('running'), ...DaqCounters, lastError: Nullable(Type.String()) },
    { description: "a running DAQ's counters, at most once a second while files come in" },
  ),
  'upload.status': Type.Object(
    { status: WorkStatus, previousStatus: PreviousStatus, ...UploadCounters },
    { description: "an upload's status changed" },
  ),
  'upload.progress': Type.Object(
    { status: Type.Literal('running'), ...UploadCounters },
    { description: "a running upload's counters, at most once a second" },
  ),
};

export type EventPayloads = { [T in keyof typeof eventPayloads]: Static<(typeof eventPayloads)[T]> };
