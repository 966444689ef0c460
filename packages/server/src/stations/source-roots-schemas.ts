import { type Static, Type } from '@sinclair/typebox';
import { Timestamp, UnixAccount } from '../http/schemas.ts';

const AbsolutePath = Type.String({
  minLength: 1,
  maxLength: 4096,
  pattern: '^/',
  description: 'an absolute directory on the server',
});

export const SourceRoot = Type.Object({
  path: Type.String({ description: 'the real path (symbolic links resolved when it was added)' }),
  createdBy: Type.String(),
  createdAt: Timestamp,
});

/** Where a station's uploads and DAQs may read, and as whom that is checked. */
export const StationSources = Type.Object({
  station: Type.String(),
  sourceRoots: Type.Array(SourceRoot),
  sourceAccount: Type.Union([Type.String(), Type.Null()], {
    description:
      "the station's unix account (its beamline data account); null: checkedAs is the site default",
  }),
  checkedAs: Type.String({
    description: 'the account the sources of uploads and DAQs not started by admins are checked as',
  }),
});
export type StationSources = Static<typeof StationSources>;

export const SourceRootBody = Type.Object({ path: AbsolutePath }, { additionalProperties: false });
export const SourceRootQuery = Type.Object({ path: AbsolutePath }, { additionalProperties: false });
export const SourceAccountBody = Type.Object({ account: UnixAccount }, { additionalProperties: false });
