/**
 * Compute sites as the API shows them. Glossary:
 * - site: a named place where workflow stages run; `local` (the host of the jobs role) always exists.
 * - kind: how the site is reached: its own host (`local`), a Slurm or PBS scheduler (on this host, or over
 *   SSH with `host`), a plain SSH host, a Globus Compute endpoint, or an IRI facility API.
 * - defaults: the batch request a stage gets when it asks for nothing else (PSI/J's names where it has one).
 * - staging: how a stage's data gets there: `shared` (the site mounts the storage), `copy`, `globus`.
 * - secrets: tokens and client secrets; written, never shown (only which are set).
 */
import { type Static, Type } from '@sinclair/typebox';
import { Description, DirectoryName, Timestamp } from '../http/schemas.ts';

export const siteKinds = ['local', 'slurm', 'pbs', 'ssh', 'globus-compute', 'iri'] as const;
export type SiteKind = (typeof siteKinds)[number];
export const SiteKind = Type.Union(
  siteKinds.map((kind) => Type.Literal(kind)),
  { description: 'how the site is reached' },
);

export const stagingModes = ['shared', 'copy', 'globus'] as const;
export type StagingMode = (typeof stagingModes)[number];
const StagingMode = Type.Union(
  stagingModes.map((mode) => Type.Literal(mode)),
  { description: 'shared: the site mounts the storage; copy: over SSH; globus: through Globus Transfer' },
);

const AbsolutePath = (description: string) =>
  Type.String({ minLength: 2, maxLength: 4096, pattern: '^/', description });
const Word = (description: string) =>
  Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\s]+$', description });
const Count = (description: string) => Type.Integer({ minimum: 1, maximum: 1_000_000, description });

/** How to reach the site: which fields a kind needs is in rules.ts. */
export const SiteConnection = Type.Object(
  {
    host: Type.Optional(
      Type.String({
        maxLength: 300,
        pattern: '^([A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+(:[0-9]{1,5})?$',
        description: 'USER@HOST[:PORT] for SSH (slurm and pbs without it run the scheduler here)',
      }),
    ),
    identityFile: Type.Optional(
      AbsolutePath('the SSH private key, a file on the server (its path is stored)'),
    ),
    url: Type.Optional(
      Type.String({
        maxLength: 2000,
        pattern: '^https?://',
        description: 'slurmrestd, IRI or Globus base URL',
      }),
    ),
    endpointId: Type.Optional(Word('the Globus Compute endpoint id')),
    clientId: Type.Optional(Word('the OAuth2 client id (Globus)')),
    resourceId: Type.Optional(Word('the IRI compute resource id')),
    apiVersion: Type.Optional(
      Type.Union([Type.Literal('v1'), Type.Literal('v2')], { description: 'IRI API' }),
    ),
  },
  { additionalProperties: false },
);
export type SiteConnection = Static<typeof SiteConnection>;

/** Write-only: kept encrypted (secret-box.ts), never returned. */
export const SiteSecrets = Type.Object(
  {
    token: Type.Optional(Type.String({ minLength: 1, maxLength: 20_000, description: 'bearer token' })),
    clientSecret: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'OAuth2 secret' })),
  },
  { additionalProperties: false },
);
export type SiteSecrets = Static<typeof SiteSecrets>;
export const secretNames = ['token', 'clientSecret'] as const;

export const SiteDefaults = Type.Object(
  {
    queue: Type.Optional(Word('the partition (Slurm) or queue (PBS)')),
    account: Type.Optional(Word('the account or project charged')),
    walltime: Type.Optional(Count('seconds a stage may run')),
    nodes: Type.Optional(Count('nodes per stage')),
    gpus: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000, description: 'GPUs per stage' })),
    reservation: Type.Optional(Word('a reservation')),
    qos: Type.Optional(Word('a quality of service')),
  },
  { additionalProperties: false },
);
export type SiteDefaults = Static<typeof SiteDefaults>;

const settable = {
  description: Type.Optional(Description),
  enabled: Type.Optional(Type.Boolean({ description: 'a disabled site takes no new stages' })),
  connection: Type.Optional(SiteConnection),
  secrets: Type.Optional(SiteSecrets),
  defaults: Type.Optional(SiteDefaults),
  workDir: Type.Optional(AbsolutePath('where stages run at the site (a directory per job below it)')),
  staging: Type.Optional(StagingMode),
  remoteStorageRoot: Type.Optional(
    AbsolutePath('where a shared site mounts the storage root (default: the same path)'),
  ),
  maxRunning: Type.Optional(Count('the most stages it runs at once')),
};

export const CreateSiteBody = Type.Object(
  { name: DirectoryName('a site name'), kind: SiteKind, ...settable },
  { additionalProperties: false },
);
export type CreateSiteBody = Static<typeof CreateSiteBody>;

/**
 * A change: each field given replaces the stored one (connection, defaults and secrets whole); `null`
 * clears an optional one.
 */
export const UpdateSiteBody = Type.Object(
  {
    description: Type.Optional(Type.Union([Description, Type.Null()])),
    enabled: settable.enabled,
    connection: settable.connection,
    secrets: settable.secrets,
    defaults: settable.defaults,
    workDir: Type.Optional(Type.Union([settable.workDir, Type.Null()])),
    staging: settable.staging,
    remoteStorageRoot: Type.Optional(Type.Union([settable.remoteStorageRoot, Type.Null()])),
    maxRunning: Type.Optional(Type.Union([settable.maxRunning, Type.Null()])),
  },
  { additionalProperties: false },
);
export type UpdateSiteBody = Static<typeof UpdateSiteBody>;

/** Admins see all of it; other users a site's name, kind, description and whether it takes stages. */
export const Site = Type.Object({
  name: Type.String(),
  kind: SiteKind,
  description: Type.Union([Type.String(), Type.Null()]),
  enabled: Type.Boolean(),
  builtIn: Type.Boolean({ description: 'the `local` site, which is always there' }),
  connection: Type.Optional(SiteConnection),
  secretsSet: Type.Optional(Type.Array(Type.String(), { description: 'which secrets are stored' })),
  defaults: Type.Optional(SiteDefaults),
  workDir: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  staging: Type.Optional(StagingMode),
  remoteStorageRoot: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  maxRunning: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  createdAt: Type.Optional(Timestamp),
  updatedAt: Type.Optional(Timestamp),
});
export type Site = Static<typeof Site>;

export const SiteTestBody = Type.Object(
  {
    timeoutSeconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 3600, description: 'how long the test command may queue and run' }),
    ),
  },
  { additionalProperties: false },
);

export const SiteTestReport = Type.Object({
  site: Type.String(),
  ok: Type.Boolean({ description: 'every step passed' }),
  steps: Type.Array(
    Type.Object({
      step: Type.Union(['reach', 'submit', 'run', 'output', 'cancel'].map((step) => Type.Literal(step))),
      ok: Type.Boolean(),
      detail: Type.String({ description: 'what happened, or why it failed' }),
      seconds: Type.Number(),
    }),
  ),
});
export type SiteTestReport = Static<typeof SiteTestReport>;
