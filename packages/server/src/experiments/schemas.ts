/**
 * Experiments as the API shows them, with the APS field names.
 *
 * Glossary:
 * - experiment: one allocation of beam time at a station, with a type (XPCS, SAXS, ...) and dates.
 * - members: its users, each `pi` or `user`; they, the station's managers and admins may read it.
 * - storage tree: `<storage root>/<station>/<experiment>/` with `data/` (taken files), `analysis/`
 *   (results) and `system/` (the server's own, such as staging); `storageState` tells where its creation or
 *   deletion stands (storage/lifecycle.ts).
 * - status: planned → running ⇄ stopped, changed by its managers (start records the start date, stop the
 *   end date).
 */
import { type Static, Type } from '@sinclair/typebox';
import { DateOrTimestamp, Description, DirectoryName, Timestamp, Username } from '../http/schemas.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);
const TypeName = Type.String({ minLength: 1, maxLength: 64 });
export const ExperimentStatus = Type.Union([
  Type.Literal('planned'),
  Type.Literal('running'),
  Type.Literal('stopped'),
]);
export const Role = Type.Union([Type.Literal('pi'), Type.Literal('user')]);

/** The experiment as the APS Data Management System names its fields, so existing scripts keep working. */
export const Experiment = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  experimentStation: Type.String(),
  experimentType: Type.Union([Type.String(), Type.Null()]),
  status: ExperimentStatus,
  startDate: Type.Union([Type.String(), Type.Null()]),
  endDate: Type.Union([Type.String(), Type.Null()]),
  pi: Type.Union([Type.String(), Type.Null()]),
  experimentUsernameList: Type.Array(Type.String()),
  users: Type.Array(Type.Object({ username: Type.String(), role: Role })),
  storageDirectory: Type.String(),
  dataDirectory: Type.String(),
  analysisDirectory: Type.String(),
  systemDirectory: Type.String(),
  storageState: Type.Union([Type.Literal('pending'), Type.Literal('ready'), Type.Literal('deleting')]),
  fileCount: Type.Integer({ description: 'files in the catalog (kept as files come and go, never counted)' }),
  fileBytes: Type.Integer({ description: 'their total size in bytes' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Experiment = Static<typeof Experiment>;

const experimentFields = {
  name: DirectoryName('an experiment name'),
  station: Type.String({ minLength: 1, maxLength: 64 }),
  type: Type.Optional(TypeName),
  description: Type.Optional(Description),
  pi: Type.Optional(Username),
  users: Type.Optional(Type.Array(Username, { maxItems: 1000 })),
  startDate: Type.Optional(DateOrTimestamp),
  endDate: Type.Optional(DateOrTimestamp),
};

export const CreateExperimentBody = Type.Object(experimentFields, { additionalProperties: false });
export type CreateExperimentBody = Static<typeof CreateExperimentBody>;

export const UpdateExperimentBody = Type.Object(
  {
    type: Type.Optional(Nullable(TypeName)),
    description: Type.Optional(Nullable(Description)),
    startDate: Type.Optional(Nullable(DateOrTimestamp)),
    endDate: Type.Optional(Nullable(DateOrTimestamp)),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateExperimentBody = Static<typeof UpdateExperimentBody>;

export const ImportExperimentsBody = Type.Object(
  {
    experiments: Type.Array(Type.Object(experimentFields, { additionalProperties: false }), {
      maxItems: 10_000,
    }),
  },
  { additionalProperties: false },
);
export type ImportExperimentsBody = Static<typeof ImportExperimentsBody>;

export const ImportResult = Type.Object({
  created: Type.Array(Type.String()),
  updated: Type.Array(Type.String()),
  unchanged: Type.Array(Type.String()),
});
export type ImportResult = Static<typeof ImportResult>;

export const MemberBody = Type.Object({ username: Username, role: Role }, { additionalProperties: false });

export const MemberParams = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  username: Type.String({ minLength: 1, maxLength: 200 }),
});

/** Columns a list may be ordered by; `-` for descending. */
const experimentSorts = [
  'name',
  '-name',
  'station',
  '-station',
  'status',
  '-status',
  'startDate',
  '-startDate',
] as const;
export type ExperimentSort = (typeof experimentSorts)[number];

export const ExperimentListQuery = Type.Object(
  {
    station: Type.Optional(Type.String({ maxLength: 64 })),
    user: Type.Optional(Type.String({ maxLength: 64, description: 'experiments this user is a member of' })),
    status: Type.Optional(ExperimentStatus),
    search: Type.Optional(Type.String({ maxLength: 200, description: 'text in the name or description' })),
    sort: Type.Union(
      experimentSorts.map((key) => Type.Literal(key)),
      { default: 'name', description: 'order of the list; `-` for descending, ties by name' },
    ),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
export type ExperimentListQuery = Static<typeof ExperimentListQuery>;
