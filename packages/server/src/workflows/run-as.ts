/**
 * Which unix account a workflow's stages run as. Whoever upserts a workflow writes its commands, so the
 * account is settled at upsert time by rules that never give anyone more than their own rights, and checked
 * again by the worker before each job (accountForJob), since lists, accounts and settings change.
 *
 * With DM_STAGE_SWITCH `direct` (server is root) or `sudo` (server switches through a sudo rule):
 * - `userAccount` may be the upserter's own unix account, an account on the list of a station they manage,
 *   or, for admins, an account on any station's list. Never an account no stage may run as
 *   (stations/accounts-rules.ts: unknown, system, forbidden, uid 0).
 * - root only when an admin gives the upsert `allowRoot: true` (audit-logged) and DM_ALLOW_ROOT_STAGES is on.
 * - without `userAccount`, stages run as the upserter's own unix account, else as DM_STAGE_ACCOUNT (nobody):
 *   never as the server's own account, which holds the database and the secrets.
 * With `none` (a personal installation), every stage runs as the server's account and `userAccount` is
 * refused: it could not be honoured.
 */
import { managedStationIds } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import type { RunAsGrant, WorkflowRevisionRow } from '../db/job-tables.ts';
import { eligibleStageAccount } from '../stations/accounts-rules.ts';
import { isListed, stationsListing } from '../stations/lookup.ts';
import { lookupUnixAccount, runsAsRoot, type UnixAccount } from '../system/unix-accounts.ts';
import type { WorkflowProblem } from './definition.ts';
import { unixAccountOfUser } from './store.ts';

/** The account a revision runs as (null: the stage account, or the server's in `none` mode), and why. */
export interface RunAsDecision {
  account: string | null;
  grant: RunAsGrant | null;
  stationId: number | null;
}

export type RunAs = { ok: true; decision: RunAsDecision } | { ok: false; problem: WorkflowProblem };

const refuse = (message: string, path = 'userAccount'): RunAs => ({ ok: false, problem: { path, message } });
const granted = (
  account: string | null,
  grant: RunAsGrant | null,
  stationId: number | null = null,
): RunAs => ({
  ok: true,
  decision: { account, grant, stationId },
});

/**
 * @example
 * const runAs = await resolveRunAs(context, actor.principal, definition.userAccount, { allowRoot: false });
 * if (!runAs.ok) throw workflowInvalid([runAs.problem]);
 */
export async function resolveRunAs(
  context: ServiceContext,
  principal: Principal,
  userAccount: string | undefined,
  options: { allowRoot: boolean },
): Promise<RunAs> {
  const { settings } = context;
  if (options.allowRoot && !principal.isAdmin)
    return refuse('only admins may allow a workflow to run as root', 'allowRoot');
  if (settings.stageSwitch === 'none') {
    if (userAccount === undefined && !options.allowRoot) return granted(null, null);
    return refuse(
      `stages run as the server's own account here (DM_STAGE_SWITCH=none): remove userAccount` +
        (userAccount === undefined ? '' : ` ("${userAccount}")`),
    );
  }
  const own = await unixAccountOfUser(context.db, principal.username);
  if (userAccount === undefined) {
    if (options.allowRoot) return refuse('allowRoot needs userAccount "root"', 'allowRoot');
    if (own === null) return granted(null, null);
    const eligible = await eligibleStageAccount(settings, own);
    if (!eligible.ok) return refuse(`your unix account cannot run stages: ${eligible.message}`);
    return granted(own, 'own');
  }
  const account = await lookupUnixAccount(userAccount);
  if (account?.uid === 0) return rootLeave(context, principal, userAccount, options.allowRoot);
  if (options.allowRoot)
    return refuse(`allowRoot is for userAccount "root", not "${userAccount}"`, 'allowRoot');
  const eligible = await eligibleStageAccount(settings, userAccount);
  if (!eligible.ok) return refuse(eligible.message);
  if (userAccount === own) return granted(userAccount, 'own');
  const listing = await stationsListing(context.db, userAccount);
  if (principal.isAdmin && listing[0]) return granted(userAccount, 'station', listing[0].stationId);
  const managed = await managedStationIds(context.db, principal);
  const station = listing.find((row) => managed.includes(row.stationId));
  if (station) return granted(userAccount, 'station', station.stationId);
  return refuse(
    `you may not run stages as "${userAccount}": name your own unix account` +
      (own === null ? '' : ` ("${own}")`) +
      ', or an account on the list of a station you manage (admins keep those lists: dm station add-account)',
  );
}

function rootLeave(context: ServiceContext, principal: Principal, name: string, allowRoot: boolean): RunAs {
  if (!principal.isAdmin) return refuse(`stages never run as a uid 0 account ("${name}")`);
  if (!context.settings.allowRootStages)
    return refuse(`stages never run as "${name}" on this server (DM_ALLOW_ROOT_STAGES is off)`);
  if (!allowRoot)
    return refuse(
      `running as "${name}" needs an admin's explicit leave for this workflow: send allowRoot: true`,
    );
  return granted(name, 'root');
}

export type JobAccount = { ok: true; account: UnixAccount | undefined } | { ok: false; message: string };

/**
 * The account a job's stages run as, checked again before it runs: an account taken off its station's
 * list, made forbidden, or root without DM_ALLOW_ROOT_STAGES fails the job instead of running it.
 * `undefined`: the server's own account (`none` mode only).
 */
export async function accountForJob(
  context: ServiceContext,
  revision: Pick<WorkflowRevisionRow, 'run_as' | 'run_as_grant' | 'run_as_station_id' | 'created_by'>,
): Promise<JobAccount> {
  const { settings } = context;
  const name = revision.run_as;
  const fail = (message: string): JobAccount => ({ ok: false, message });
  if (settings.stageSwitch === 'none') {
    if (name === null) return { ok: true, account: undefined };
    return fail(
      `stages must run as "${name}", but this server runs every stage as itself (DM_STAGE_SWITCH=none)`,
    );
  }
  if (settings.stageSwitch === 'direct' && !runsAsRoot())
    return fail('DM_STAGE_SWITCH is direct, but this worker does not run as root');
  if (name === null) {
    const account = await lookupUnixAccount(settings.stageAccount);
    if (!account)
      return fail(`there is no unix account "${settings.stageAccount}" (DM_STAGE_ACCOUNT) on this worker`);
    if (account.uid === 0) return fail(`DM_STAGE_ACCOUNT "${settings.stageAccount}" is a uid 0 account`);
    return { ok: true, account };
  }
  if (revision.run_as_grant === 'root') {
    const account = await lookupUnixAccount(name);
    if (!settings.allowRootStages)
      return fail(`stages may not run as "${name}": DM_ALLOW_ROOT_STAGES is off`);
    return account ? { ok: true, account } : fail(`there is no unix account "${name}" on this worker`);
  }
  const eligible = await eligibleStageAccount(settings, name);
  if (!eligible.ok) return fail(`stages may not run as "${name}": ${eligible.message}`);
  const stillGranted = await grantHolds(context, revision, name);
  return stillGranted ? { ok: true, account: eligible.account } : fail(stillGrantedMessage(revision, name));
}

async function grantHolds(
  context: ServiceContext,
  revision: Pick<WorkflowRevisionRow, 'run_as_grant' | 'run_as_station_id' | 'created_by'>,
  name: string,
): Promise<boolean> {
  const own = async () => (await unixAccountOfUser(context.db, revision.created_by)) === name;
  switch (revision.run_as_grant) {
    case 'own':
      return await own();
    case 'station':
      return (
        revision.run_as_station_id !== null && (await isListed(context.db, revision.run_as_station_id, name))
      );
    case null: // a revision from before station lists: its author's own account, or any station's list
      return (await own()) || (await stationsListing(context.db, name)).length > 0;
    case 'root':
      return false; // handled by the caller
    default: {
      const never: never = revision.run_as_grant;
      throw new Error(`unknown run-as grant ${String(never)}`);
    }
  }
}

function stillGrantedMessage(
  revision: Pick<WorkflowRevisionRow, 'run_as_grant' | 'created_by'>,
  name: string,
) {
  return revision.run_as_grant === 'own'
    ? `stages may not run as "${name}": it is no longer the unix account of "${revision.created_by}", who saved this revision`
    : `stages may not run as "${name}": no station lists it any more (an admin took it off; upsert the workflow again)`;
}
