/**
 * A station's source roots and unix account, kept by admins (sources/source-rules.ts applies them).
 * A root is stored as its real path, checked to exist and to stay clear of the server's own files and of
 * the storage root; the account must be a non-system account the host knows.
 */
import { realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { auditWho, recordAudit } from '../audit/record.ts';
import { isStationManager, requireAdmin } from '../authorization/policy.ts';
import type { Actor } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import type { StationRow } from '../db/tables.ts';
import { AppError, invalidField } from '../errors/app-error.ts';
import { overlapping, protectedPaths } from '../system/protected-paths.ts';
import { lookupUnixAccount } from '../system/unix-accounts.ts';
import { findStationByName, sourceAccountOf, sourceRootsOf } from './lookup.ts';
import type { StationSources } from './source-roots-schemas.ts';
import * as store from './source-roots-store.ts';

export function createSourceRootService(context: ServiceContext) {
  const { db } = context;

  async function existing(name: string): Promise<StationRow> {
    const row = await findStationByName(db, name);
    if (!row) throw new AppError('station_not_found', `no station "${name}"`, { station: name });
    return row;
  }

  async function present(stationId: number, name: string): Promise<StationSources> {
    const account = (await sourceAccountOf(db, stationId)) ?? null;
    return {
      station: name,
      sourceRoots: (await sourceRootsOf(db, stationId)).map((root) => ({
        path: root.path,
        createdBy: root.created_by,
        createdAt: root.created_at,
      })),
      sourceAccount: account,
      checkedAs: account ?? context.settings.stageAccount,
    };
  }

  return {
    /** Admins and the station's managers (who start its uploads and DAQs). */
    async show(actor: Actor, name: string): Promise<StationSources> {
      const station = await existing(name);
      if (!(await isStationManager(db, actor.principal, station.id)))
        throw new AppError('forbidden', `only admins and managers of station "${name}" see its source roots`);
      return present(station.id, station.name);
    },

    async addRoot(actor: Actor, name: string, path: string): Promise<StationSources> {
      requireAdmin(actor.principal, 'change source roots');
      const station = await existing(name);
      const real = await realpath(resolve(path)).catch(() => undefined);
      if (real === undefined || !(await stat(real)).isDirectory())
        throw invalidField('path', `${path} is not a directory on the server`);
      const hit = overlapping(real, await protectedPaths(context.settings));
      if (hit !== undefined) {
        const shown = real === path ? path : `${path} (${real})`;
        throw invalidField('path', `${shown} overlaps ${hit.what}: a source root must stay clear of it`);
      }
      const now = context.now();
      await db.transaction().execute(async (trx) => {
        const added = await store.addSourceRoot(trx, {
          stationId: station.id,
          path: real,
          createdBy: actor.principal.username,
          now,
        });
        if (!added) return;
        await recordAudit(trx, auditWho(actor, now), {
          action: 'station.add_source_root',
          targetType: 'station',
          targetName: station.name,
          stationName: station.name,
          details: { path: real, ...(real !== path && { given: path }) },
        });
      });
      return present(station.id, station.name);
    },

    /** Takes the path as listed (a real path); a root that no longer exists can still be removed. */
    async removeRoot(actor: Actor, name: string, path: string): Promise<StationSources> {
      requireAdmin(actor.principal, 'change source roots');
      const station = await existing(name);
      const now = context.now();
      const removed = await db.transaction().execute(async (trx) => {
        if (!(await store.removeSourceRoot(trx, station.id, path))) return false;
        await recordAudit(trx, auditWho(actor, now), {
          action: 'station.remove_source_root',
          targetType: 'station',
          targetName: station.name,
          stationName: station.name,
          details: { path },
        });
        return true;
      });
      if (!removed)
        throw new AppError('source_root_not_found', `station "${name}" has no source root ${path}`, {
          station: name,
          path,
        });
      return present(station.id, station.name);
    },

    async setAccount(actor: Actor, name: string, account: string | null): Promise<StationSources> {
      requireAdmin(actor.principal, "change a station's unix account");
      const station = await existing(name);
      if (account !== null) await requireUsableAccount(context, account);
      const now = context.now();
      await db.transaction().execute(async (trx) => {
        await store.setSourceAccount(trx, station.id, account, now);
        await recordAudit(trx, auditWho(actor, now), {
          action: account === null ? 'station.clear_source_account' : 'station.set_source_account',
          targetType: 'station',
          targetName: station.name,
          stationName: station.name,
          details: { account },
        });
      });
      return present(station.id, station.name);
    },
  };
}

/** A beamline's data account: known to the host, not a system account, not forbidden by the site. */
async function requireUsableAccount(context: ServiceContext, name: string): Promise<void> {
  const { minStageUid, forbiddenAccounts } = context.settings;
  if (forbiddenAccounts.includes(name))
    throw invalidField('account', `"${name}" is one of the accounts the site forbids (forbiddenAccounts)`);
  const account = await lookupUnixAccount(name);
  if (!account)
    throw new AppError('unix_account_unknown', `unix account "${name}" does not exist on this host`, {
      field: 'account',
      account: name,
    });
  if (account.uid < minStageUid)
    throw invalidField(
      'account',
      `"${name}" is a system account (uid ${account.uid}, below minStageUid ${minStageUid})`,
    );
}

export type SourceRootService = ReturnType<typeof createSourceRootService>;
