import { recordAudit } from '../audit/record.ts';
import type { Actor, Principal } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import { isDatabaseFull } from '../db/errors.ts';
import { AppError, invalidField } from '../errors/app-error.ts';
import { CursorShape, decodeCursor, toPage } from '../paging/pages.ts';
import { parseDuration } from '../settings/duration.ts';
import { createLoginThrottle } from './login-throttle.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import * as store from './store.ts';
import { generateToken, hashToken } from './tokens.ts';

/** Past this a date would leave the calendar (years beyond 9999); no one needs a longer one than "never". */
const maxTokenLifetimeMs = 3650 * 86_400_000;

/** Only touch `last_used_at` once a minute per token: a write per request would cap the read rate. */
const touchIntervalMs = 60_000;

export interface TokenView {
  id: number;
  name: string;
  kind: 'session' | 'api';
  username: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

export interface IssuedToken extends TokenView {
  /** The secret itself: shown once, never stored. */
  token: string;
}

export function createAuthService(context: ServiceContext) {
  const { db } = context;
  // Verifying against a real hash when the user does not exist keeps the response time the same, so
  // timing does not reveal which usernames exist. Made on first use, not at every start.
  let decoyHash: Promise<string> | undefined;
  const decoy = () => {
    decoyHash ??= hashPassword('decoy: matches nothing');
    return decoyHash;
  };
  const throttle = createLoginThrottle({ clock: () => Date.parse(context.now()) });

  async function issue(
    userId: number,
    username: string,
    name: string,
    kind: 'session' | 'api',
    ttlMs: number | null,
  ) {
    const { token, hash } = generateToken();
    const now = context.now();
    const expiresAt = ttlMs === null ? null : new Date(Date.parse(now) + ttlMs).toISOString();
    const row = await db.transaction().execute(async (trx) => {
      const inserted = await store.insertToken(trx, { userId, name, kind, hash, now, expiresAt });
      await recordAudit(
        trx,
        { actor: username, requestId: null, now },
        {
          action: 'token.create',
          targetType: 'token',
          targetName: String(inserted.id),
          details: { name, kind, expiresAt },
        },
      );
      return inserted;
    });
    return { ...present({ ...row, username }), token } satisfies IssuedToken;
  }

  return {
    /**
     * Exchanges a password for a session token (what `dm login` and the portal do). `address` is the
     * client's, for the throttle that slows password guessing (login-throttle.ts).
     */
    async login(
      username: string,
      password: string,
      tokenName: string,
      address: string,
    ): Promise<IssuedToken> {
      throttle.check(username, address);
      const user = await store.findCredentials(db, username);
      const stored = user?.password_hash ?? (await decoy());
      const valid = await verifyPassword(password, stored);
      if (!user?.password_hash || !valid || user.disabled_at !== null) {
        throttle.recordFailure(username, address);
        throw new AppError('invalid_credentials', 'wrong username or password, or the account is disabled');
      }
      throttle.recordSuccess(username);
      return issue(user.id, user.username, tokenName, 'session', context.settings.sessionTtl);
    },

    /** Resolves `Authorization: Bearer <token>` to a principal, or fails with 401. */
    async authenticate(authorization: string | undefined): Promise<Principal> {
      const match = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization) : null;
      if (!match?.[1]) {
        throw new AppError(
          'unauthenticated',
          'sign in first: send "Authorization: Bearer <token>" (dm login)',
        );
      }
      const now = context.now();
      const active = await store.findActiveToken(db, hashToken(match[1]), now);
      if (!active)
        throw new AppError('unauthenticated', 'the token is unknown, revoked or expired: sign in again');
      const lastUsed = active.token.last_used_at ? Date.parse(active.token.last_used_at) : 0;
      if (Date.parse(now) - lastUsed > touchIntervalMs) {
        // Bookkeeping, not the request's purpose: with the database's disk full, reads must still work.
        await store.touchToken(db, active.token.id, now).catch((error: unknown) => {
          if (!isDatabaseFull(error)) throw error;
        });
      }
      return {
        userId: active.user.id,
        username: active.user.username,
        isAdmin: active.user.is_admin === 1,
        tokenId: active.token.id,
      };
    },

    async createToken(actor: Actor, input: { name: string; expiresIn?: string }): Promise<IssuedToken> {
      const ttl = input.expiresIn === undefined ? null : parseDuration(input.expiresIn);
      if (ttl === undefined) throw invalidField('expiresIn', 'must be a duration like 90d');
      if (ttl !== null && ttl > maxTokenLifetimeMs)
        throw invalidField(
          'expiresIn',
          'must be at most 3650d (ten years); omit it for a token that never expires',
        );
      return issue(actor.principal.userId, actor.principal.username, input.name, 'api', ttl);
    },

    /** A user's own tokens; admins may ask for everyone's. */
    async listTokens(actor: Actor, query: { all?: boolean; limit: number; cursor?: string }) {
      if (query.all && !actor.principal.isAdmin)
        throw new AppError('forbidden', 'only admins list all tokens');
      const rows = await store.listTokens(db, {
        userId: query.all ? undefined : actor.principal.userId,
        afterId: decodeCursor(query.cursor, CursorShape.id),
        limit: query.limit,
      });
      return toPage(rows, query.limit, (row) => row.id, present);
    },

    async revokeToken(actor: Actor, id: number): Promise<void> {
      const token = await store.findToken(db, id);
      // Someone else's token is reported as missing: token ids are nobody else's business.
      if (
        !token ||
        token.revoked_at !== null ||
        (token.user_id !== actor.principal.userId && !actor.principal.isAdmin)
      ) {
        throw new AppError('token_not_found', `no token ${id}`);
      }
      const now = context.now();
      await db.transaction().execute(async (trx) => {
        if (!(await store.revokeToken(trx, id, now))) return;
        await recordAudit(
          trx,
          { actor: actor.principal.username, requestId: actor.requestId, now },
          {
            action: 'token.revoke',
            targetType: 'token',
            targetName: String(id),
            details: { name: token.name },
          },
        );
      });
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;

function present(row: {
  id: number;
  name: string;
  kind: 'session' | 'api';
  username: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}): TokenView {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    username: row.username,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
  };
}
