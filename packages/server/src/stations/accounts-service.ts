/**
 * A station's run-as list: the unix accounts its workflows may run as (e.g. the beamline's `s8iduser`).
 * Only admins change it, since an account on it lets the station's managers run any command as that
 * account; every change is in the audit log. Every signed-in user may read it, as they may read stations.
 */
import { auditWho, recordAudit } from '../audit/record.ts';
import { requireAdmin } from '../authorization/policy.ts';
import type { Actor } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import type { StationRow } from '../db/tables.ts';
import { AppError, invalidField } from '../errors/app-error.ts';
import { eligibleStageAccount } from './accounts-rules.ts';
import type { StationAccounts } from './accounts-schemas.ts';
import * as accounts from './accounts-store.ts';
import { findStationByName } from './lookup.ts';

export function createStationAccountService(context: ServiceContext) {
  const { db } = context;

  async function existing(name: string): Promise<StationRow> {
    const row = await findStationByName(db, name);
    if (!row) throw new AppError('station_not_found', `no station "${name}"`, { station: name });
    return row;
  }

  async function present(station: StationRow): Promise<StationAccounts> {
    const rows = await accounts.accountsOfStation(db, station.id);
    return {
      station: station.name,
      accounts: rows.map((row) => ({ account: row.account, addedBy: row.addedBy, addedAt: row.addedAt })),
    };
  }

  return {
    async list(_actor: Actor, stationName: string): Promise<StationAccounts> {
      return await present(await existing(stationName));
    },

    /** Idempotent; refuses accounts no stage may run as, naming the field `account`. */
    async add(actor: Actor, stationName: string, account: string): Promise<StationAccounts> {
      requireAdmin(actor.principal, "change a station's unix accounts");
      const station = await existing(stationName);
      const eligible = await eligibleStageAccount(context.settings, account);
      if (!eligible.ok) throw invalidField('account', eligible.message);
      const now = context.now();
      await db.transaction().execute(async (trx) => {
        const added = await accounts.addAccount(trx, {
          stationId: station.id,
          account,
          by: actor.principal.username,
          now,
        });
        if (added)
          await recordAudit(trx, auditWho(actor, now), {
            action: 'station.add_account',
            targetType: 'station',
            targetName: station.name,
            stationName: station.name,
            details: { account },
          });
      });
      return await present(station);
    },

    /** Jobs of workflows that run as the account fail from now on (checked again before each job). */
    async remove(actor: Actor, stationName: string, account: string): Promise<StationAccounts> {
      requireAdmin(actor.principal, "change a station's unix accounts");
      const station = await existing(stationName);
      const now = context.now();
      const removed = await db.transaction().execute(async (trx) => {
        if (!(await accounts.removeAccount(trx, station.id, account))) return false;
        await recordAudit(trx, auditWho(actor, now), {
          action: 'station.remove_account',
          targetType: 'station',
          targetName: station.name,
          stationName: station.name,
          details: { account },
        });
        return true;
      });
      if (!removed)
        throw new AppError(
          'station_account_not_found',
          `station "${station.name}" does not list the account "${account}"`,
          { station: station.name, account },
        );
      return await present(station);
    },
  };
}

export type StationAccountService = ReturnType<typeof createStationAccountService>;
