/**
 * The file catalog as the API shows it, with the APS field names where APS has one.
 *
 * Glossary:
 * - file: a cataloged file of an experiment, by its path relative to the experiment's data directory, with
 *   size, times, MD5 and SHA-256 (checked when it was taken) and its metadata.
 * - metadata: what the file carries (HDF5 attributes, read when taken) and what users add; searched with
 *   `where` conditions (where.ts).
 * - download link: a signed, short-lived URL for one file or a selection (a tar stream).
 */
import { type Static, Type } from '@sinclair/typebox';

const MetadataValue = Type.Union([
  Type.String({ maxLength: 65_536 }),
  Type.Number(),
  Type.Boolean(),
  Type.Array(Type.Union([Type.String(), Type.Number(), Type.Boolean()]), { maxItems: 1000 }),
]);

/** A cataloged file, with the APS field names where the APS system has one. */
export const CatalogFile = Type.Object({
  id: Type.Integer(),
  experimentName: Type.String(),
  experimentFilePath: Type.String({ description: 'path relative to the experiment data directory' }),
  fileName: Type.String(),
  fileSize: Type.Integer(),
  fileModificationTime: Type.String(),
  md5Sum: Type.String(),
  sha256Sum: Type.String(),
  storageFilePath: Type.String({ description: 'absolute path in storage' }),
  status: Type.String(),
  source: Type.Union([Type.String(), Type.Null()]),
  originType: Type.String(),
  originId: Type.Union([Type.Integer(), Type.Null()]),
  transferMs: Type.Union([Type.Integer(), Type.Null()]),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export type CatalogFile = Static<typeof CatalogFile>;

const Where = Type.Array(Type.String({ minLength: 1, maxLength: 1000 }), {
  maxItems: 50,
  description: 'conditions "key op value" (op: = != < <= > >= ~) or "key exists"; all must hold',
});

export const FileSearchQuery = Type.Object(
  {
    pathGlob: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'e.g. scan_*/*.h5' })),
    where: Type.Optional(Where),
  },
  { additionalProperties: false },
);

export const FileListQuery = Type.Object(
  {
    ...FileSearchQuery.properties,
    sort: Type.Union(
      ['path', '-path', 'size', '-size', 'mtime', '-mtime'].map((s) => Type.Literal(s)),
      { default: 'path', description: 'path, size or mtime; a leading - sorts descending' },
    ),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 2048 })),
  },
  { additionalProperties: false },
);
export type FileListQuery = Static<typeof FileListQuery>;

export const FilePathQuery = Type.Object(
  { path: Type.String({ minLength: 1, maxLength: 4096 }) },
  { additionalProperties: false },
);

export const UpdateFileBody = Type.Object(
  {
    metadata: Type.Record(
      Type.String({ minLength: 1, maxLength: 256 }),
      Type.Union([MetadataValue, Type.Null()]),
      {
        description: 'keys to set; null removes a key',
        maxProperties: 1_000,
      },
    ),
  },
  { additionalProperties: false },
);

export const DeleteFilesBody = Type.Object(
  { paths: Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { minItems: 1, maxItems: 10_000 }) },
  { additionalProperties: false },
);

export const MetadataKey = Type.Object({ key: Type.String(), count: Type.Integer() });

export const DownloadLinksBody = Type.Object(
  {
    paths: Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), {
      minItems: 1,
      maxItems: 500,
      description: 'cataloged paths; more than one also gets one link to a tar archive of them all',
    }),
    expiresInSeconds: Type.Integer({
      minimum: 10,
      maximum: 86_400,
      default: 300,
      description: 'how long the links work',
    }),
  },
  { additionalProperties: false },
);

const DownloadLink = Type.Object({
  url: Type.String({ description: 'relative to the server; works without a token until expiresAt' }),
  fileName: Type.String(),
});

export const DownloadLinks = Type.Object({
  expiresAt: Type.String(),
  files: Type.Array(Type.Composite([Type.Object({ path: Type.String() }), DownloadLink])),
  archive: Type.Union([DownloadLink, Type.Null()], { description: 'a tar of every file, when several' }),
});
export type DownloadLinks = Static<typeof DownloadLinks>;

export const DownloadQuery = Type.Object(
  { link: Type.String({ minLength: 1, maxLength: 8192 }) },
  { additionalProperties: false },
);
