/**
 * Uploads as the API shows them, with the APS field names.
 *
 * Glossary:
 * - upload: one run that takes an existing directory (`dataDirectory`) into an experiment's storage
 *   (`destDirectory`), file by file, through the take pipeline (take/).
 * - skipped file: one the catalog already has in that version; `reprocess` takes them again.
 * - processed file: taken (copied, verified, cataloged); `nProcessingErrors` counts those that failed.
 * - status: pending → running → done | failed | aborted (transitions.ts).
 */
import { type Static, Type } from '@sinclair/typebox';
import { RowId } from '../http/schemas.ts';

export const UploadStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('running'),
  Type.Literal('done'),
  Type.Literal('failed'),
  Type.Literal('aborted'),
]);

/** An upload with the APS field names (`nFiles`, `nProcessedFiles`, ...). */
export const Upload = Type.Object({
  id: Type.Integer(),
  experimentName: Type.String(),
  dataDirectory: Type.String({ description: 'the directory taken, on the server' }),
  destDirectory: Type.String({ description: 'where under the experiment data directory' }),
  reprocess: Type.Boolean(),
  status: UploadStatus,
  nFiles: Type.Integer(),
  nProcessedFiles: Type.Integer(),
  nSkippedFiles: Type.Integer(),
  nProcessingErrors: Type.Integer(),
  nBytes: Type.Integer(),
  nProcessedBytes: Type.Integer(),
  percentageComplete: Type.Number(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  errors: Type.Array(Type.Object({ path: Type.String(), error: Type.String() })),
  createdBy: Type.String(),
  submissionTime: Type.String(),
  startTime: Type.Union([Type.String(), Type.Null()]),
  endTime: Type.Union([Type.String(), Type.Null()]),
  runTime: Type.Union([Type.Number(), Type.Null()], { description: 'seconds' }),
});
export type Upload = Static<typeof Upload>;

export const CreateUploadBody = Type.Object(
  {
    experiment: Type.String({ minLength: 1, maxLength: 64 }),
    dataDirectory: Type.String({
      minLength: 1,
      maxLength: 4096,
      pattern: '^/',
      description: 'an absolute path on the server',
    }),
    destDirectory: Type.Optional(Type.String({ maxLength: 1024, description: 'relative path under data/' })),
    reprocess: Type.Optional(Type.Boolean({ description: 'take again files that are already cataloged' })),
  },
  { additionalProperties: false },
);
export type CreateUploadBody = Static<typeof CreateUploadBody>;

export const UploadListQuery = Type.Object(
  {
    experiment: Type.Optional(Type.String({ maxLength: 64 })),
    status: Type.Optional(UploadStatus),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
export type UploadListQuery = Static<typeof UploadListQuery>;

export const UploadParams = Type.Object({ id: RowId });
