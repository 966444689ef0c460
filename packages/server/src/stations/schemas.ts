/**
 * Stations as the API shows them.
 *
 * Glossary:
 * - station: a beamline or end station; its managers run its experiments, DAQs and workflows.
 * - station account: a unix account the station's workflows may run as (accounts-*.ts; admins keep it).
 * - source root: a directory below which the station's uploads and DAQs may read (source-roots-*.ts).
 */
import { type Static, Type } from '@sinclair/typebox';
import { Description, DirectoryName, Timestamp, Username } from '../http/schemas.ts';

export const Station = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  managers: Type.Array(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Station = Static<typeof Station>;

export const CreateStationBody = Type.Object(
  { name: DirectoryName('a station name'), description: Type.Optional(Description) },
  { additionalProperties: false },
);
export type CreateStationBody = Static<typeof CreateStationBody>;

export const UpdateStationBody = Type.Object(
  { description: Type.Union([Description, Type.Null()]) },
  { additionalProperties: false },
);

export const ManagerBody = Type.Object({ username: Username }, { additionalProperties: false });

export const StationManagerParams = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  username: Type.String({ minLength: 1, maxLength: 200 }),
});
