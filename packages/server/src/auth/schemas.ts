import { type Static, Type } from '@sinclair/typebox';
import { RowId } from '../http/schemas.ts';
import { durationPattern } from '../settings/duration.ts';

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 200 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    tokenName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

export const Token = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  kind: Type.Union([Type.Literal('session'), Type.Literal('api')]),
  username: Type.String(),
  createdAt: Type.String(),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
});

export const IssuedToken = Type.Object({
  ...Token.properties,
  token: Type.String({ description: 'the secret; shown once, never stored' }),
});

export const CreateTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    expiresIn: Type.Optional(
      Type.String({ maxLength: 20, pattern: durationPattern, description: 'a duration like 12h, 90d or 2w' }),
    ),
  },
  { additionalProperties: false },
);

export const TokenListQuery = Type.Object(
  {
    all: Type.Optional(Type.Boolean({ description: "admins: everyone's tokens" })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

export const TokenParams = Type.Object({ id: RowId });
