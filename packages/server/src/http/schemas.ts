import { Type } from '@sinclair/typebox';
import { type ErrorCode, errorStatus } from '../errors/app-error.ts';

/**
 * A code of the error catalogue, as an enum so that the OpenAPI document lists them (and the client's
 * `ErrorCode` is generated from it); a string to the serializer.
 */
export const errorCodeSchema = (description = 'stable snake_case code, see docs/api.md') =>
  Type.Unsafe<ErrorCode>({ type: 'string', enum: Object.keys(errorStatus), description });

/** The body of every error answer; routes refer to it by its `$id` (one component in the OpenAPI document). */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: errorCodeSchema(),
      message: Type.String(),
      details: Type.Record(Type.String(), Type.Unknown()),
    }),
  },
  { $id: 'ErrorResponse' },
);

/**
 * Names that become directory names (stations, experiments): no path separators, no leading dot (so never
 * `.` or `..`), nothing a shell would need quoting for.
 */
export const DirectoryName = (what: string) =>
  Type.String({
    minLength: 1,
    maxLength: 64,
    pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
    description: `${what}: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
  });

export const Username = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_][A-Za-z0-9_.@-]*$',
  description: "a username: 1-64 letters, digits, '_', '.', '@' or '-'",
});

export const UnixAccount = Type.String({
  minLength: 1,
  maxLength: 32,
  pattern: '^[a-z_][a-z0-9_-]*[$]?$',
  description: 'a POSIX account name: lower-case letters, digits, _ or -, at most 32 characters',
});

export const Description = Type.String({ maxLength: 4000 });
export const Timestamp = Type.String({ format: 'date-time' });
/** APS dates are days or full timestamps; both are accepted. */
export const DateOrTimestamp = Type.String({
  maxLength: 40,
  format: 'date-or-timestamp',
  description: 'a date (2026-11-21) or timestamp (2026-11-21T08:00:00Z) that exists on the calendar',
});

/** A row id in a path or a query: ids are 32-bit on PostgreSQL, so a larger number would fail there. */
export const RowId = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });

export const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) });
