/**
 * Ending a user's sign-ins: what users/ asks of auth/ when an account is disabled or its password changes.
 * It holds its own SQL, as auth's narrow interface for other concepts: other folders end sign-ins here, never
 * through store.ts, which keeps the SQL of signing in and of single tokens.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.ts';

/**
 * Ends a user's signed-in sessions (not their API tokens), except `keepTokenId`: the session that changed
 * the password stays signed in. Returns how many were ended.
 */
export async function revokeSessionsOfUser(
  db: Kysely<Database>,
  userId: number,
  now: string,
  keepTokenId: number | undefined,
): Promise<number> {
  let update = db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('kind', '=', 'session')
    .where('revoked_at', 'is', null);
  if (keepTokenId !== undefined) update = update.where('id', '!=', keepTokenId);
  const result = await update.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function revokeTokensOfUser(db: Kysely<Database>, userId: number, now: string): Promise<void> {
  await db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
}
