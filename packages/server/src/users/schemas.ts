/**
 * Accounts as the API shows them.
 *
 * Glossary:
 * - user: a person or service account who can sign in; `admin` users run the facility.
 * - unix account: the POSIX account of a user, for storage ACLs and for running their workflows.
 * - disabled: a user who can no longer sign in; their records stay.
 */
import { type Static, Type } from '@sinclair/typebox';
import { Timestamp, UnixAccount, Username } from '../http/schemas.ts';

const Email = Type.String({ format: 'email', maxLength: 254 });
const DisplayName = Type.String({ minLength: 1, maxLength: 200 });
const Password = Type.String({ minLength: 8, maxLength: 1024, description: 'at least 8 characters' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const User = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  displayName: Type.Union([Type.String(), Type.Null()]),
  unixAccount: Type.Union([Type.String(), Type.Null()]),
  isAdmin: Type.Boolean(),
  disabled: Type.Boolean(),
  managedStations: Type.Array(Type.String()),
  maxStageProcesses: Type.Union([Type.Integer(), Type.Null()], {
    description: "most processes one parallel stage of this user's jobs runs at once; null: the site's limit",
  }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type User = Static<typeof User>;

/** `PATCH /users/{username}`: the user, and what a new password did to their sessions. */
export const UpdatedUser = Type.Object({
  ...User.properties,
  sessionsRevoked: Type.Optional(
    Type.Integer({
      description:
        "set when the password changed: how many of the user's other sessions were signed out (API tokens stay valid)",
    }),
  ),
});
export type UpdatedUser = Static<typeof UpdatedUser>;

export const CreateUserBody = Type.Object(
  {
    username: Username,
    email: Type.Optional(Email),
    displayName: Type.Optional(DisplayName),
    unixAccount: Type.Optional(UnixAccount),
    isAdmin: Type.Optional(Type.Boolean()),
    password: Type.Optional(Password),
  },
  { additionalProperties: false },
);
export type CreateUserBody = Static<typeof CreateUserBody>;

export const UpdateUserBody = Type.Object(
  {
    email: Type.Optional(Nullable(Email)),
    displayName: Type.Optional(Nullable(DisplayName)),
    unixAccount: Type.Optional(Nullable(UnixAccount)),
    isAdmin: Type.Optional(Type.Boolean()),
    password: Type.Optional(Password),
    disabled: Type.Optional(Type.Boolean()),
    maxStageProcesses: Type.Optional(
      Nullable(
        Type.Integer({
          minimum: 1,
          maximum: 10_000,
          description: "admins only: most processes one parallel stage of this user's jobs runs at once",
        }),
      ),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateUserBody = Static<typeof UpdateUserBody>;

export const UserListQuery = Type.Object(
  {
    search: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
export type UserListQuery = Static<typeof UserListQuery>;

export const UsernameParams = Type.Object({ username: Type.String({ minLength: 1, maxLength: 200 }) });
