import { type Static, Type } from '@sinclair/typebox';

const Day = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}$',
  description: 'a UTC day, YYYY-MM-DD',
});

export const UsageQuery = Type.Object(
  {
    from: Type.Optional({ ...Day, description: 'first day (UTC), inclusive; default: 29 days before `to`' }),
    to: Type.Optional({ ...Day, description: 'last day (UTC), inclusive; default: today' }),
    station: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'only this station' })),
  },
  { additionalProperties: false },
);
export type UsageQuery = Static<typeof UsageQuery>;

const Amount = { files: Type.Integer(), bytes: Type.Integer() };

export const Usage = Type.Object({
  from: Type.String(),
  to: Type.String(),
  stations: Type.Array(Type.String(), { description: 'the stations counted' }),
  ingested: Type.Array(Type.Object({ day: Type.String(), station: Type.String(), ...Amount }), {
    description: 'files cataloged per day and station (days without any are left out)',
  }),
  jobs: Type.Array(
    Type.Object({
      day: Type.String(),
      done: Type.Integer(),
      failed: Type.Integer(),
      aborted: Type.Integer(),
      successRate: Type.Union([Type.Number(), Type.Null()], { description: 'done / ended, 0-1' }),
    }),
    { description: 'jobs that ended per day (UTC)' },
  ),
  storageByStation: Type.Array(
    Type.Object({ station: Type.String(), experiments: Type.Integer(), ...Amount }),
  ),
  storageByExperiment: Type.Array(
    Type.Object({ experiment: Type.String(), station: Type.String(), ...Amount }),
    { description: 'the 50 experiments using the most storage' },
  ),
  busiestExperiments: Type.Array(
    Type.Object({ experiment: Type.String(), station: Type.String(), ...Amount }),
    { description: 'the 10 experiments that took in the most bytes in the period' },
  ),
});
export type Usage = Static<typeof Usage>;
