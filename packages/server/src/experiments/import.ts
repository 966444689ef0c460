/**
 * Bulk import of proposals. All or nothing, and idempotent: rows are checked first (every problem reported
 * with its row), then applied in one transaction that creates missing experiments and brings existing ones
 * up to date; importing the same file twice changes nothing the second time.
 */

import { auditWho, recordAudit } from '../audit/record.ts';
import { isStationManager } from '../authorization/policy.ts';
import type { Actor } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { StationRow } from '../db/tables.ts';
import { AppError, type FieldProblem, validationFailed } from '../errors/app-error.ts';
import { finishCreation, storageUnavailable } from '../storage/lifecycle.ts';
import { findExperimentByName } from './lookup.ts';
import { checkDates, type MemberRef, resolveMembers, resolveStation, resolveTypeId } from './references.ts';
import type { ImportExperimentsBody, ImportResult } from './schemas.ts';
import * as store from './store.ts';

type Item = ImportExperimentsBody['experiments'][number];

interface CheckedItem {
  item: Item;
  station: StationRow;
  typeId: number | null | undefined;
  members: MemberRef[];
}

export async function importExperiments(
  context: ServiceContext,
  actor: Actor,
  body: ImportExperimentsBody,
): Promise<ImportResult> {
  const { db } = context;
  const problems: FieldProblem[] = [];
  const checked: CheckedItem[] = [];
  const stations = new Map<string, StationRow | undefined>();
  const seen = new Set<string>();
  const forbidden = new Set<string>();

  for (const [index, item] of body.experiments.entries()) {
    const prefix = `experiments/${index}/`;
    if (seen.has(item.name))
      problems.push({ field: `${prefix}name`, message: `"${item.name}" appears twice in the import` });
    seen.add(item.name);
    if (!stations.has(item.station))
      stations.set(item.station, await resolveStation(db, item.station, `${prefix}station`, []));
    const station = stations.get(item.station);
    if (!station) problems.push({ field: `${prefix}station`, message: `no station "${item.station}"` });
    else if (!(await isStationManager(db, actor.principal, station.id))) forbidden.add(station.name);
    const typeId = await resolveTypeId(db, item.type, `${prefix}type`, problems);
    const members = await resolveMembers(db, item, prefix, problems);
    checkDates(item.startDate, item.endDate, prefix, problems);
    const existing = await findExperimentByName(db, item.name);
    if (existing && station && existing.station_id !== station.id) {
      problems.push({
        field: `${prefix}station`,
        message: `"${item.name}" already exists at station ${existing.station_name}`,
      });
    }
    if (station) checked.push({ item, station, typeId, members });
  }
  if (forbidden.size > 0) {
    throw new AppError(
      'forbidden',
      `only admins and station managers may import experiments for ${[...forbidden].join(', ')}`,
    );
  }
  if (problems.length > 0) throw validationFailed(problems);

  const result: ImportResult = { created: [], updated: [], unchanged: [] };
  const now = context.now();
  try {
    await db.transaction().execute(async (trx) => {
      for (const { item, station, typeId, members } of checked) {
        const existing = await findExperimentByName(trx, item.name);
        const audit = {
          targetType: 'experiment' as const,
          targetName: item.name,
          stationName: station.name,
          experimentName: item.name,
        };
        if (!existing) {
          const row = await store.insertExperiment(trx, {
            name: item.name,
            stationId: station.id,
            typeId: typeId ?? null,
            description: item.description ?? null,
            startDate: item.startDate ?? null,
            endDate: item.endDate ?? null,
            now,
          });
          for (const member of members)
            await store.upsertMember(trx, row.id, member.userId, member.role, now);
          await recordAudit(trx, auditWho(actor, now), {
            ...audit,
            action: 'experiment.create',
            details: { ...item, via: 'import' },
          });
          result.created.push(item.name);
          continue;
        }
        const changes = {
          ...(typeId !== undefined && typeId !== existing.type_id && { type_id: typeId }),
          ...(item.description !== undefined &&
            item.description !== existing.description && { description: item.description }),
          ...(item.startDate !== undefined &&
            item.startDate !== existing.start_date && { start_date: item.startDate }),
          ...(item.endDate !== undefined && item.endDate !== existing.end_date && { end_date: item.endDate }),
        };
        const current = new Map(
          ((await store.membersOf(trx, [existing.id])).get(existing.id) ?? []).map((m) => [
            m.username,
            m.role,
          ]),
        );
        // Members are only added or promoted, never removed: someone added by hand stays.
        const memberChanges = members.filter(
          (m) => current.get(m.username) !== m.role && !(m.role === 'user' && current.has(m.username)),
        );
        if (Object.keys(changes).length === 0 && memberChanges.length === 0) {
          result.unchanged.push(item.name);
          continue;
        }
        if (Object.keys(changes).length > 0)
          await store.updateExperiment(trx, existing.id, { ...changes, updated_at: now });
        for (const member of memberChanges)
          await store.upsertMember(trx, existing.id, member.userId, member.role, now);
        await recordAudit(trx, auditWho(actor, now), {
          ...audit,
          action: 'experiment.update',
          details: {
            ...changes,
            members: memberChanges.map((m) => ({ username: m.username, role: m.role })),
            via: 'import',
          },
        });
        result.updated.push(item.name);
      }
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new AppError(
        'experiment_exists',
        'an experiment of this import was created meanwhile; import again',
      );
    throw error;
  }

  // Trees are made after the commit (see StorageState); a failure leaves the experiment pending for the
  // reconciler, and says so.
  const pending: string[] = [];
  for (const name of result.created) {
    const record = await findExperimentByName(db, name);
    if (!record) continue;
    try {
      await finishCreation(context, record);
    } catch (error) {
      context.logger.error(
        { err: error, experiment: name },
        'storage tree not created; the reconciler will retry',
      );
      pending.push(name);
    }
  }
  if (pending.length > 0) {
    const error = storageUnavailable(pending.join(', '), 'see the server log');
    error.details.pending = pending;
    throw error;
  }
  return result;
}
