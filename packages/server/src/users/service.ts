import { auditWho, recordAudit } from '../audit/record.ts';
import { hashPassword } from '../auth/passwords.ts';
import { revokeSessionsOfUser, revokeTokensOfUser } from '../auth/revoke.ts';
import { managesAnyStation, requireAdmin } from '../authorization/policy.ts';
import type { Actor } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { UserRow, UserUpdate } from '../db/tables.ts';
import { AppError } from '../errors/app-error.ts';
import { defined } from '../errors/defined.ts';
import { CursorShape, decodeCursor, toPage } from '../paging/pages.ts';
import { refreshPermissionsLater } from '../storage/experiment-permissions.ts';
import { findUserByName } from './lookup.ts';
import type { CreateUserBody, UpdatedUser, UpdateUserBody, User, UserListQuery } from './schemas.ts';
import * as store from './store.ts';

/** Fields a user may change on their own account; everything else is an admin's call. */
const selfServiceFields = new Set(['email', 'displayName', 'password']);

export function createUserService(context: ServiceContext) {
  const { db } = context;

  async function present(rows: UserRow[]): Promise<User[]> {
    const managed = await store.managedStationsOf(
      db,
      rows.map((r) => r.id),
    );
    return rows.map((row) => presentUser(row, managed.get(row.id) ?? []));
  }

  async function presentOne(row: UserRow): Promise<User> {
    return defined((await present([row]))[0], `user ${row.username}`);
  }

  /** A user the actor may see; others are reported missing so usernames cannot be probed. */
  async function visibleUser(actor: Actor, username: string): Promise<UserRow> {
    const row = await findUserByName(db, username);
    const { principal } = actor;
    const visible =
      row && (principal.isAdmin || row.id === principal.userId || (await managesAnyStation(db, principal)));
    if (!row || !visible) throw new AppError('user_not_found', `no user "${username}"`, { username });
    return row;
  }

  return {
    async create(actor: Actor, input: CreateUserBody): Promise<User> {
      requireAdmin(actor.principal, 'add users');
      const now = context.now();
      const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
      try {
        const row = await db.transaction().execute(async (trx) => {
          const inserted = await store.insertUser(trx, {
            username: input.username,
            email: input.email ?? null,
            display_name: input.displayName ?? null,
            unix_account: input.unixAccount ?? null,
            is_admin: input.isAdmin ? 1 : 0,
            password_hash: passwordHash,
            created_at: now,
            updated_at: now,
          });
          await recordAudit(trx, auditWho(actor, now), {
            action: 'user.create',
            targetType: 'user',
            targetName: input.username,
            details: { ...input, password: input.password === undefined ? undefined : '(set)' },
          });
          return inserted;
        });
        return presentOne(row);
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new AppError('user_exists', `user "${input.username}" already exists`, {
            username: input.username,
          });
        }
        throw error;
      }
    },

    async list(actor: Actor, query: UserListQuery) {
      const { principal } = actor;
      const seesEveryone = principal.isAdmin || (await managesAnyStation(db, principal));
      const rows = await store.listUsers(db, context.profile, {
        search: query.search,
        onlyUserId: seesEveryone ? undefined : principal.userId,
        afterName: decodeCursor(query.cursor, CursorShape.name),
        limit: query.limit,
      });
      const page = toPage(
        rows,
        query.limit,
        (row) => row.username,
        (row) => row,
      );
      return { items: await present(page.items), nextCursor: page.nextCursor };
    },

    async show(actor: Actor, username: string): Promise<User> {
      return presentOne(await visibleUser(actor, username));
    },

    async update(actor: Actor, username: string, patch: UpdateUserBody): Promise<UpdatedUser> {
      const row = await visibleUser(actor, username);
      const { principal } = actor;
      if (!principal.isAdmin) {
        const denied = Object.keys(patch).filter((field) => !selfServiceFields.has(field));
        if (row.id !== principal.userId || denied.length > 0) {
          throw new AppError(
            'forbidden',
            `only admins may change ${denied.join(', ') || "other users' accounts"}`,
            {
              fields: denied,
            },
          );
        }
      }
      const now = context.now();
      const changes: UserUpdate = { updated_at: now };
      if (patch.email !== undefined) changes.email = patch.email;
      if (patch.displayName !== undefined) changes.display_name = patch.displayName;
      if (patch.unixAccount !== undefined) changes.unix_account = patch.unixAccount;
      if (patch.isAdmin !== undefined) changes.is_admin = patch.isAdmin ? 1 : 0;
      if (patch.password !== undefined) changes.password_hash = await hashPassword(patch.password);
      if (patch.maxStageProcesses !== undefined) changes.max_stage_processes = patch.maxStageProcesses;
      if (patch.disabled !== undefined)
        changes.disabled_at = patch.disabled ? (row.disabled_at ?? now) : null;

      const updated = await db.transaction().execute(async (trx) => {
        const result = await store.updateUser(trx, row.id, changes);
        // Checked after the change, inside the transaction, so two admins demoting each other at once
        // cannot both succeed and leave nobody in charge.
        const losesAdmin = row.is_admin === 1 && (result.is_admin === 0 || result.disabled_at !== null);
        if (losesAdmin && (await store.countActiveAdmins(trx)) === 0) {
          throw new AppError('last_admin', `"${username}" is the last active admin`);
        }
        if (patch.disabled === true) await revokeTokensOfUser(trx, row.id, now);
        // A new password is what someone does who fears the old one is known: whoever signed in with it
        // is signed out. The session making the change stays (it just proved it holds the account), and
        // API tokens stay too: they were never given the password, and DAQ agents and scripts run on them.
        const sessionsRevoked =
          patch.password !== undefined && patch.disabled !== true
            ? await revokeSessionsOfUser(
                trx,
                row.id,
                now,
                principal.userId === row.id ? principal.tokenId : undefined,
              )
            : undefined;
        await recordAudit(trx, auditWho(actor, now), {
          action: patch.disabled === true ? 'user.disable' : 'user.update',
          targetType: 'user',
          targetName: username,
          details: {
            ...patch,
            password: patch.password === undefined ? undefined : '(set)',
            sessionsRevoked,
          },
        });
        return { result, sessionsRevoked };
      });
      // Who may read which experiment tree on disk follows the unix account and the disabled flag.
      if (patch.unixAccount !== undefined || patch.disabled !== undefined)
        refreshPermissionsLater(context, { userId: row.id });
      const user = await presentOne(updated.result);
      return updated.sessionsRevoked === undefined
        ? user
        : { ...user, sessionsRevoked: updated.sessionsRevoked };
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;

export function presentUser(row: UserRow, managedStations: string[]): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    displayName: row.display_name,
    unixAccount: row.unix_account,
    isAdmin: row.is_admin === 1,
    maxStageProcesses: row.max_stage_processes ?? null,
    disabled: row.disabled_at !== null,
    managedStations,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
