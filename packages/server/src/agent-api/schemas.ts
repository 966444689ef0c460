/**
 * The API a DAQ agent speaks (`dm daq-agent`): claim the DAQs assigned to it, renew their leases, and send
 * files (offer → content → commit over HTTP, or catalog after a direct copy into mounted storage).
 */
import { type Static, Type } from '@sinclair/typebox';
import { errorCodeSchema } from '../http/schemas.ts';

const Owner = Type.String({
  minLength: 1,
  maxLength: 300,
  description: 'the lease owner the agent claimed with (`host:pid:random`)',
});

export const AgentName = Type.String({
  minLength: 1,
  maxLength: 253,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
  description: 'the agent (its host name by default)',
});

export const ClaimBody = Type.Object({ agent: AgentName, owner: Owner }, { additionalProperties: false });
export type ClaimBody = Static<typeof ClaimBody>;

const TakenFile = Type.Object({ path: Type.String(), size: Type.Integer(), mtime: Type.String() });

/** What an agent needs to run a DAQ it claimed. */
export const AgentDaq = Type.Object({
  id: Type.Integer(),
  experimentName: Type.String(),
  dataDirectory: Type.String({ description: 'on the agent machine' }),
  destDirectory: Type.String(),
  skipPatterns: Type.Array(Type.String()),
  settleSeconds: Type.Number(),
  newOnly: Type.Boolean(),
  overwrite: Type.Boolean(),
  startTime: Type.String(),
  stopTime: Type.Union([Type.String(), Type.Null()]),
  storagePath: Type.String({
    description:
      "the experiment's directory relative to the storage root (`station/experiment`), for direct copy",
  }),
  leaseSeconds: Type.Number({ description: 'renew well within this' }),
  taken: Type.Array(TakenFile, { description: 'what the catalog already holds from this DAQ' }),
});
export type AgentDaq = Static<typeof AgentDaq>;

export const ClaimResponse = Type.Object({ daq: Type.Union([AgentDaq, Type.Null()]) });

const Failure = Type.Object(
  { path: Type.String({ maxLength: 4096 }), error: Type.String({ maxLength: 4096 }) },
  { additionalProperties: false },
);

export const RenewBody = Type.Object(
  {
    owner: Owner,
    failures: Type.Array(Failure, { maxItems: 1000, description: 'files not taken since the last renewal' }),
    lastError: Type.Optional(Type.Union([Type.String({ maxLength: 8192 }), Type.Null()])),
  },
  { additionalProperties: false },
);
export type RenewBody = Static<typeof RenewBody>;

export const RenewResponse = Type.Object({
  running: Type.Boolean({ description: 'false: stopped, ended or taken over; the agent lets it go' }),
});

export const OwnerBody = Type.Object({ owner: Owner }, { additionalProperties: false });

export const RefuseBody = Type.Object(
  {
    owner: Owner,
    reason: Type.String({ minLength: 1, maxLength: 4096, description: 'why the agent will not read it' }),
  },
  { additionalProperties: false },
);
export type RefuseBody = Static<typeof RefuseBody>;

const fileFields = {
  relativePath: Type.String({
    minLength: 1,
    maxLength: 4096,
    description: 'POSIX path relative to the monitored directory',
  }),
  size: Type.Integer({ minimum: 0 }),
  mtime: Type.String({ format: 'date-time', description: "the file's mtime, ISO-8601 (milliseconds)" }),
};
const versionFields = { owner: Owner, ...fileFields };

export const FileVersionBody = Type.Object(versionFields, { additionalProperties: false });
export type FileVersionBody = Static<typeof FileVersionBody>;

export const OfferResponse = Type.Object({
  action: Type.Union([Type.Literal('skip'), Type.Literal('send')], {
    description: '`skip`: the catalog already has this version',
  }),
  held: Type.Integer({ description: 'bytes the server already holds: send from here' }),
});

export const ContentQuery = Type.Object(
  { ...versionFields, offset: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
export type ContentQuery = Static<typeof ContentQuery>;

export const ContentResponse = Type.Object({ held: Type.Integer() });

export const ChecksumsBody = Type.Object(
  {
    ...versionFields,
    md5: Type.String({ pattern: '^[0-9a-f]{32}$' }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  },
  { additionalProperties: false },
);
export type ChecksumsBody = Static<typeof ChecksumsBody>;

export const TakenResponse = Type.Object({
  path: Type.String(),
  outcome: Type.Union([Type.Literal('copied'), Type.Literal('identical'), Type.Literal('overwritten')]),
  size: Type.Integer(),
  md5: Type.String(),
  sha256: Type.String(),
});
export type TakenResponse = Static<typeof TakenResponse>;

/** At most this many files in one batch (`files/offers`, `files/commits`); the agent sends up to 64. */
export const maxBatchFiles = 256;

const batchOf = <T extends ReturnType<typeof Type.Object>>(file: T, description: string) =>
  Type.Object(
    {
      owner: Owner,
      files: Type.Array(file, { minItems: 1, maxItems: maxBatchFiles, description }),
    },
    { additionalProperties: false },
  );

export const OffersBody = batchOf(
  Type.Object(fileFields, { additionalProperties: false }),
  'file versions to offer, each path at most once',
);
export type OffersBody = Static<typeof OffersBody>;

export const OffersResponse = Type.Object({
  offers: Type.Array(Type.Object({ relativePath: Type.String(), ...OfferResponse.properties }), {
    description: 'one answer per file, in the order asked',
  }),
});

export const CommitsBody = batchOf(
  Type.Object(
    {
      ...fileFields,
      md5: Type.String({ pattern: '^[0-9a-f]{32}$' }),
      sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    },
    { additionalProperties: false },
  ),
  'sent files to verify and take, each path at most once',
);
export type CommitsBody = Static<typeof CommitsBody>;

const CommitFailure = Type.Object({
  relativePath: Type.String(),
  status: Type.Literal('failed'),
  error: Type.Object({
    code: errorCodeSchema('as the single-file commit would answer: `checksum_mismatch`, ...'),
    message: Type.String(),
    details: Type.Record(Type.String(), Type.Unknown()),
  }),
});

export const CommitsResponse = Type.Object({
  results: Type.Array(
    Type.Union([
      Type.Object({
        relativePath: Type.String(),
        status: Type.Literal('taken'),
        ...TakenResponse.properties,
      }),
      CommitFailure,
    ]),
    { description: "one result per file, in the order sent; a file's failure is its own" },
  ),
});
export type CommitsResponse = Static<typeof CommitsResponse>;
