/**
 * DAQs as the API shows them, with the APS field names.
 *
 * Glossary:
 * - DAQ: a monitor that takes every new file of a directory (`dataDirectory`) into an experiment's storage
 *   (`destDirectory` below its data directory) as soon as the file is complete, until stopped or `stopTime`.
 * - mode: `server` (this server's transfers role reads the directory) or `agent` (a `dm daq-agent` named
 *   `agentName` reads it on the beamline machine and sends the files).
 * - settle time (`settleSeconds`): how long a file must stay unchanged to count as complete.
 * - skip patterns: globs of files never taken (`*.tmp`, `scratch/*`).
 * - new only: files already there at the start are left alone.
 * - workflow: run on every file taken; the DAQ records a processing request per file (jobs/).
 * - status: pending → running → done | failed | aborted (transitions.ts).
 */
import { type Static, Type } from '@sinclair/typebox';
import { RowId } from '../http/schemas.ts';

export const DaqStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('running'),
  Type.Literal('done'),
  Type.Literal('failed'),
  Type.Literal('aborted'),
]);

/** A DAQ's status record with the APS field names. */
export const Daq = Type.Object({
  id: Type.Integer(),
  experimentName: Type.String(),
  dataDirectory: Type.String(),
  destDirectory: Type.String(),
  status: DaqStatus,
  mode: Type.Union([Type.Literal('server'), Type.Literal('agent')], {
    description: '`agent`: monitored by the DAQ agent `agentName` on a beamline machine',
  }),
  agentName: Type.Union([Type.String(), Type.Null()]),
  skipPatterns: Type.Array(Type.String()),
  settleSeconds: Type.Number(),
  newOnly: Type.Boolean(),
  overwrite: Type.Boolean(),
  workflow: Type.Union([Type.String(), Type.Null()]),
  workflowArgs: Type.Record(Type.String(), Type.String()),
  startTime: Type.Union([Type.String(), Type.Null()]),
  endTime: Type.Union([Type.String(), Type.Null()]),
  stopTime: Type.Union([Type.String(), Type.Null()], { description: 'when it stops by itself' }),
  nFiles: Type.Integer({ description: 'files taken, failed, or waiting to settle' }),
  nProcessedFiles: Type.Integer(),
  nProcessingErrors: Type.Integer(),
  nBytes: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  errors: Type.Array(Type.Object({ path: Type.String(), error: Type.String() })),
  filesPerSecond: Type.Number(),
  bytesPerSecond: Type.Number(),
  createdBy: Type.String(),
  submissionTime: Type.String(),
});
export type Daq = Static<typeof Daq>;

export const CreateDaqBody = Type.Object(
  {
    experiment: Type.String({ minLength: 1, maxLength: 64 }),
    dataDirectory: Type.String({
      minLength: 1,
      maxLength: 4096,
      pattern: '^/',
      description: 'an absolute path on the server, or on the agent machine with `agent`',
    }),
    agent: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 253,
        pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
        description: 'the DAQ agent (its host name) that monitors dataDirectory; omitted: the server',
      }),
    ),
    destDirectory: Type.Optional(Type.String({ maxLength: 1024 })),
    skipPatterns: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 100 })),
    settleSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 3600 })),
    newOnly: Type.Optional(Type.Boolean()),
    durationSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 366 * 86_400 })),
    overwrite: Type.Optional(Type.Boolean()),
    workflow: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    workflowArgs: Type.Optional(
      Type.Record(Type.String({ maxLength: 200 }), Type.String({ maxLength: 4096 })),
    ),
  },
  { additionalProperties: false },
);
export type CreateDaqBody = Static<typeof CreateDaqBody>;

export const DaqListQuery = Type.Object(
  {
    experiment: Type.Optional(Type.String({ maxLength: 64 })),
    status: Type.Optional(DaqStatus),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
export type DaqListQuery = Static<typeof DaqListQuery>;

export const DaqParams = Type.Object({ id: RowId });
