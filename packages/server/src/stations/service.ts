import { auditWho, recordAudit } from '../audit/record.ts';
import { requireAdmin } from '../authorization/policy.ts';
import type { Actor } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { StationRow } from '../db/tables.ts';
import { AppError } from '../errors/app-error.ts';
import { defined } from '../errors/defined.ts';
import { CursorShape, decodeCursor, type PageQuery, toPage } from '../paging/pages.ts';
import { refreshPermissionsLater } from '../storage/experiment-permissions.ts';
import { findUserByName } from '../users/lookup.ts';
import { findStationByName } from './lookup.ts';
import type { CreateStationBody, Station } from './schemas.ts';
import * as store from './store.ts';

export function createStationService(context: ServiceContext) {
  const { db } = context;

  async function present(rows: StationRow[]): Promise<Station[]> {
    const managers = await store.managersOf(
      db,
      rows.map((r) => r.id),
    );
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      description: row.description,
      managers: managers.get(row.id) ?? [],
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }));
  }

  async function existing(name: string): Promise<StationRow> {
    const row = await findStationByName(db, name);
    if (!row) throw new AppError('station_not_found', `no station "${name}"`, { station: name });
    return row;
  }

  async function changeManager(
    actor: Actor,
    stationName: string,
    username: string,
    add: boolean,
  ): Promise<Station> {
    requireAdmin(actor.principal, 'change station managers');
    const station = await existing(stationName);
    const user = await findUserByName(db, username);
    if (!user) throw new AppError('user_not_found', `no user "${username}"`, { username });
    const now = context.now();
    await db.transaction().execute(async (trx) => {
      const changed = add
        ? await store.addManager(trx, station.id, user.id, now)
        : await store.removeManager(trx, station.id, user.id);
      if (!changed) return;
      await recordAudit(trx, auditWho(actor, now), {
        action: add ? 'station.add_manager' : 'station.remove_manager',
        targetType: 'station',
        targetName: station.name,
        stationName: station.name,
        details: { username },
      });
    });
    refreshPermissionsLater(context, { stationId: station.id });
    return defined((await present([station]))[0], `station ${station.name}`);
  }

  return {
    async create(actor: Actor, input: CreateStationBody): Promise<Station> {
      requireAdmin(actor.principal, 'add stations');
      const now = context.now();
      try {
        const row = await db.transaction().execute(async (trx) => {
          const inserted = await store.insertStation(trx, {
            name: input.name,
            description: input.description ?? null,
            now,
          });
          await recordAudit(trx, auditWho(actor, now), {
            action: 'station.create',
            targetType: 'station',
            targetName: input.name,
            stationName: input.name,
            details: { ...input },
          });
          return inserted;
        });
        return defined((await present([row]))[0], `station ${input.name}`);
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new AppError('station_exists', `station "${input.name}" already exists`, {
            station: input.name,
          });
        }
        throw error;
      }
    },

    /** Stations are not private: every signed-in user may list them. */
    async list(_actor: Actor, query: PageQuery) {
      const rows = await store.listStations(db, {
        afterName: decodeCursor(query.cursor, CursorShape.name),
        limit: query.limit,
      });
      const page = toPage(
        rows,
        query.limit,
        (row) => row.name,
        (row) => row,
      );
      return { items: await present(page.items), nextCursor: page.nextCursor };
    },

    async show(_actor: Actor, name: string): Promise<Station> {
      return defined((await present([await existing(name)]))[0], `station ${name}`);
    },

    async update(actor: Actor, name: string, patch: { description: string | null }): Promise<Station> {
      requireAdmin(actor.principal, 'change stations');
      const station = await existing(name);
      const now = context.now();
      const row = await db.transaction().execute(async (trx) => {
        const updated = await store.updateStationDescription(trx, station.id, patch.description, now);
        await recordAudit(trx, auditWho(actor, now), {
          action: 'station.update',
          targetType: 'station',
          targetName: name,
          stationName: name,
          details: patch,
        });
        return updated;
      });
      return defined((await present([row]))[0], `station ${name}`);
    },

    addManager: (actor: Actor, station: string, username: string) =>
      changeManager(actor, station, username, true),
    removeManager: (actor: Actor, station: string, username: string) =>
      changeManager(actor, station, username, false),
  };
}

export type StationService = ReturnType<typeof createStationService>;
