import { type Static, Type } from '@sinclair/typebox';

export const EventStreamQuery = Type.Object(
  {
    types: Type.Optional(
      Type.Array(Type.String({ maxLength: 500 }), {
        maxItems: 20,
        description: 'only these event types: `types=job.status,daq.progress` or the parameter repeated',
      }),
    ),
    experiment: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'only events of this experiment' }),
    ),
    subject: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        description: 'only events about this job, DAQ, upload or file path',
      }),
    ),
    after: Type.Optional(
      Type.Integer({
        minimum: 0,
        // Event ids are 32-bit: a larger one would fail the replay query on PostgreSQL.
        maximum: 2_147_483_647,
        description: 'replay the events after this id first (the `Last-Event-ID` header wins over it)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type EventStreamQuery = Static<typeof EventStreamQuery>;
