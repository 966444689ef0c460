import type { Kysely } from 'kysely';
import type { ApiTokenRow, Database, TokenKind, UserRow } from '../db/tables.ts';

export interface ActiveToken {
  token: ApiTokenRow;
  user: UserRow;
}

/** The account a password signs in to: its hash, and whether it is disabled. */
export async function findCredentials(
  db: Kysely<Database>,
  username: string,
): Promise<Pick<UserRow, 'id' | 'username' | 'password_hash' | 'disabled_at'> | undefined> {
  return db
    .selectFrom('users')
    .select(['id', 'username', 'password_hash', 'disabled_at'])
    .where('username', '=', username)
    .executeTakeFirst();
}

export async function insertToken(
  db: Kysely<Database>,
  values: {
    userId: number;
    name: string;
    kind: TokenKind;
    hash: string;
    now: string;
    expiresAt: string | null;
  },
): Promise<ApiTokenRow> {
  return db
    .insertInto('api_tokens')
    .values({
      user_id: values.userId,
      name: values.name,
      kind: values.kind,
      token_hash: values.hash,
      created_at: values.now,
      expires_at: values.expiresAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The token and its user, if the token is neither revoked nor expired and the user is not disabled. */
export async function findActiveToken(
  db: Kysely<Database>,
  hash: string,
  now: string,
): Promise<ActiveToken | undefined> {
  const row = await db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select([
      't.id as t_id',
      't.user_id as t_user_id',
      't.name as t_name',
      't.kind as t_kind',
      't.token_hash as t_token_hash',
      't.created_at as t_created_at',
      't.expires_at as t_expires_at',
      't.last_used_at as t_last_used_at',
      't.revoked_at as t_revoked_at',
      'u.id',
      'u.username',
      'u.email',
      'u.display_name',
      'u.unix_account',
      'u.is_admin',
      'u.password_hash',
      'u.created_at',
      'u.updated_at',
      'u.disabled_at',
      'u.max_stage_processes',
    ])
    .where('t.token_hash', '=', hash)
    .where('t.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', now)]))
    .where('u.disabled_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  const {
    t_id,
    t_user_id,
    t_name,
    t_kind,
    t_token_hash,
    t_created_at,
    t_expires_at,
    t_last_used_at,
    t_revoked_at,
    ...user
  } = row;
  return {
    token: {
      id: t_id,
      user_id: t_user_id,
      name: t_name,
      kind: t_kind,
      token_hash: t_token_hash,
      created_at: t_created_at,
      expires_at: t_expires_at,
      last_used_at: t_last_used_at,
      revoked_at: t_revoked_at,
    },
    user,
  };
}

export async function touchToken(db: Kysely<Database>, id: number, now: string): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
}

export async function listTokens(
  db: Kysely<Database>,
  filter: { userId?: number; afterId?: number; limit: number },
): Promise<(ApiTokenRow & { username: string })[]> {
  let query = db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .selectAll('t')
    .select('u.username')
    .where('t.revoked_at', 'is', null)
    .orderBy('t.id')
    .limit(filter.limit + 1);
  if (filter.userId !== undefined) query = query.where('t.user_id', '=', filter.userId);
  if (filter.afterId !== undefined) query = query.where('t.id', '>', filter.afterId);
  return query.execute();
}

export async function findToken(db: Kysely<Database>, id: number): Promise<ApiTokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Guarded so that two revocations of one token record one change. */
export async function revokeToken(db: Kysely<Database>, id: number, now: string): Promise<boolean> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
