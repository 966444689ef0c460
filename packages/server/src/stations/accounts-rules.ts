/**
 * Which unix accounts a stage may run as at all, whoever asks: an account this host knows, not a system
 * account (uid below DM_MIN_STAGE_UID: daemon, postgres, www-data...), not one of DM_FORBIDDEN_ACCOUNTS, and
 * never root or another uid 0 account. Station lists (accounts-service.ts) and workflows (workflows/run-as.ts)
 * both ask this; the worker asks again before each job, since the host and the settings may have changed.
 */
import type { Settings } from '../settings/settings.ts';
import { lookupUnixAccount, type UnixAccount } from '../system/unix-accounts.ts';

export type Eligibility = { ok: true; account: UnixAccount } | { ok: false; message: string };

/**
 * @example
 * const eligible = await eligibleStageAccount(context.settings, 's8iduser');
 * if (!eligible.ok) throw invalidField('account', eligible.message);
 */
export async function eligibleStageAccount(
  settings: Pick<Settings, 'minStageUid' | 'forbiddenAccounts'>,
  name: string,
): Promise<Eligibility> {
  if (settings.forbiddenAccounts.includes(name))
    return { ok: false, message: `"${name}" is a forbidden account (DM_FORBIDDEN_ACCOUNTS)` };
  const account = await lookupUnixAccount(name);
  if (!account) return { ok: false, message: `there is no unix account "${name}" on this host` };
  if (account.uid === 0) return { ok: false, message: `stages never run as a uid 0 account ("${name}")` };
  if (account.uid < settings.minStageUid)
    return {
      ok: false,
      message: `"${name}" is a system account (uid ${account.uid} < ${settings.minStageUid}, DM_MIN_STAGE_UID)`,
    };
  return { ok: true, account };
}
