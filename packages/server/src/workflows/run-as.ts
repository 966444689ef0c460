/**
 * Which unix account a workflow's stages run as. A workflow's commands are written by whoever upserts it, so
 * when the workers run as root the account is settled at upsert time, by rules that never let someone run
 * commands with more rights than they have:
 * - `userAccount` names the account. Admins and station managers may name any account but root; other users
 *   only their own (their user's `unix_account`).
 * - Without `userAccount`, stages run as the upserting user's own unix account, or, for an admin without
 *   one, as root.
 * When the workers do not run as root, stages run as the workers' account and `userAccount` is refused: it
 * could not be honoured.
 */
import { managesAnyStation } from '../auth/policy.ts';
import type { Actor } from '../auth/principal.ts';
import type { ServiceContext } from '../context.ts';
import { switchesAccounts } from '../system/run-as-account.ts';
import { lookupUnixAccount } from '../system/unix-accounts.ts';
import type { WorkflowProblem } from './definition.ts';

export type RunAs = { ok: true; account: string | null } | { ok: false; problem: WorkflowProblem };

function refuse(message: string): RunAs {
  return { ok: false, problem: { path: 'userAccount', message } };
}

export async function resolveRunAs(
  context: ServiceContext,
  actor: Actor,
  userAccount: string | undefined,
): Promise<RunAs> {
  const { principal } = actor;
  const own = await context.db
    .selectFrom('users')
    .select('unix_account')
    .where('id', '=', principal.userId)
    .executeTakeFirst();
  const ownAccount = own?.unix_account ?? null;
  if (userAccount === undefined) {
    if (!switchesAccounts(context.settings)) return { ok: true, account: null };
    if (ownAccount !== null) return await existing(ownAccount);
    if (principal.isAdmin) return { ok: true, account: null };
    return refuse(
      'the workers run as root, so a workflow must say which account its stages run as: set userAccount ' +
        'to your unix account, or ask an admin to record your unix account',
    );
  }
  if (!switchesAccounts(context.settings)) {
    return refuse(
      `stages cannot run as "${userAccount}": the workers do not run as root. Remove userAccount to run ` +
        "stages as the workers' own account",
    );
  }
  const staff = principal.isAdmin || (await managesAnyStation(context.db, principal));
  if (!staff && userAccount !== ownAccount) {
    return refuse(
      ownAccount === null
        ? `only admins and station managers may name an account ("${userAccount}")`
        : `you may only name your own unix account ("${ownAccount}"), not "${userAccount}"`,
    );
  }
  return await existing(userAccount);
}

async function existing(name: string): Promise<RunAs> {
  const account = await lookupUnixAccount(name);
  if (!account) return refuse(`there is no unix account "${name}" on this host`);
  if (account.uid === 0) return refuse(`stages never run as a uid 0 account ("${name}")`);
  return { ok: true, account: name };
}
