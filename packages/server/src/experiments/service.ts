import { auditWho, recordAudit } from '../audit/record.ts';
import { isStationManager } from '../authorization/policy.ts';
import type { Actor } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { ExperimentStatus } from '../db/tables.ts';
import { AppError, type FieldProblem, validationFailed } from '../errors/app-error.ts';
import { defined } from '../errors/defined.ts';
import { CursorShape, decodeCursor, toPage } from '../paging/pages.ts';
import { refreshPermissions } from '../storage/experiment-permissions.ts';
import {
  abandonCreation,
  beginDeletion,
  finishCreation,
  finishDeletion,
  holdsFiles,
  storageUnavailable,
} from '../storage/lifecycle.ts';
import { findUserByName } from '../users/lookup.ts';
import { loadManageable, notFound, presentByName, presentExperiment, presentExperiments } from './access.ts';
import { importExperiments } from './import.ts';
import { listExperiments, sortValue } from './list-store.ts';
import { type ExperimentRecord, findExperimentByName } from './lookup.ts';
import { checkDates, resolveMembers, resolveStation, resolveTypeId } from './references.ts';
import type {
  CreateExperimentBody,
  Experiment,
  ExperimentListQuery,
  ImportExperimentsBody,
  UpdateExperimentBody,
} from './schemas.ts';
import * as store from './store.ts';

/** The experiment life cycle: which status may follow which. */
const transitions: Record<ExperimentStatus, readonly ExperimentStatus[]> = {
  planned: ['running'],
  running: ['stopped'],
  stopped: ['running'],
};

export function createExperimentService(context: ServiceContext) {
  const { db } = context;

  async function changeStatus(actor: Actor, name: string, to: ExperimentStatus): Promise<Experiment> {
    const record = await loadManageable(context, actor, name);
    if (!transitions[record.status].includes(to)) {
      throw new AppError(
        'invalid_transition',
        `experiment "${name}" is ${record.status}; it cannot become ${to}`,
        {
          experiment: name,
          status: record.status,
        },
      );
    }
    const now = context.now();
    // Starting records the actual start unless a start date was already set (from a proposal, say);
    // stopping records the actual end; running again after a stop reopens the end.
    const dates =
      to === 'stopped'
        ? { end_date: now }
        : record.status === 'planned'
          ? { start_date: record.start_date ?? now }
          : { end_date: null };
    await db.transaction().execute(async (trx) => {
      if (!(await store.changeStatus(trx, record.id, record.status, to, dates, now))) {
        throw new AppError('invalid_transition', `experiment "${name}" changed meanwhile; try again`, {
          experiment: name,
        });
      }
      await recordAudit(trx, auditWho(actor, now), {
        action: to === 'stopped' ? 'experiment.stop' : 'experiment.start',
        targetType: 'experiment',
        targetName: name,
        stationName: record.station_name,
        experimentName: name,
        details: { from: record.status, to },
      });
    });
    return presentByName(context, name);
  }

  async function changeMember(actor: Actor, name: string, username: string, role: 'pi' | 'user' | null) {
    const record = await loadManageable(context, actor, name);
    const user = await findUserByName(db, username);
    if (!user) throw new AppError('user_not_found', `no user "${username}"`, { username });
    const now = context.now();
    await db.transaction().execute(async (trx) => {
      if (role === null) {
        if (!(await store.removeMember(trx, record.id, user.id))) {
          throw new AppError('user_not_found', `"${username}" is not a member of "${name}"`, { username });
        }
      } else {
        await store.upsertMember(trx, record.id, user.id, role, now);
      }
      await recordAudit(trx, auditWho(actor, now), {
        action: role === null ? 'experiment.remove_user' : 'experiment.add_user',
        targetType: 'experiment',
        targetName: name,
        stationName: record.station_name,
        experimentName: name,
        details: { username, role },
      });
    });
    await refreshPermissions(context, record);
    return presentByName(context, name);
  }

  return {
    async create(actor: Actor, input: CreateExperimentBody): Promise<Experiment> {
      const problems: FieldProblem[] = [];
      const station = await resolveStation(db, input.station, 'station', problems);
      if (station && !(await isStationManager(db, actor.principal, station.id))) {
        throw new AppError(
          'forbidden',
          `only admins and managers of station "${station.name}" may add experiments`,
        );
      }
      const typeId = await resolveTypeId(db, input.type, 'type', problems);
      const members = await resolveMembers(db, input, '', problems);
      checkDates(input.startDate, input.endDate, '', problems);
      if (problems.length > 0 || !station) throw validationFailed(problems);

      const now = context.now();
      let created: ExperimentRecord;
      try {
        await db.transaction().execute(async (trx) => {
          const row = await store.insertExperiment(trx, {
            name: input.name,
            stationId: station.id,
            typeId: typeId ?? null,
            description: input.description ?? null,
            startDate: input.startDate ?? null,
            endDate: input.endDate ?? null,
            now,
          });
          for (const member of members)
            await store.upsertMember(trx, row.id, member.userId, member.role, now);
          await recordAudit(trx, auditWho(actor, now), {
            action: 'experiment.create',
            targetType: 'experiment',
            targetName: input.name,
            stationName: station.name,
            experimentName: input.name,
            details: { ...input },
          });
        });
        created = defined(await findExperimentByName(db, input.name), `experiment ${input.name}`);
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new AppError('experiment_exists', `experiment "${input.name}" already exists`, {
            experiment: input.name,
          });
        }
        throw error;
      }
      try {
        await finishCreation(context, created);
      } catch (error) {
        // The row says "pending": the reconciler would finish the tree later, but the caller asked for an
        // experiment now, so undo the row rather than leave one whose storage may never come.
        await abandonCreation(db, created);
        await finishDeletion(context, created, auditWho(actor, context.now()), {
          action: 'experiment.delete',
          targetType: 'experiment',
          targetName: input.name,
          stationName: station.name,
          experimentName: input.name,
          details: { reason: 'storage could not be prepared' },
        }).catch((cleanupError: unknown) =>
          context.logger.error({ err: cleanupError }, 'undoing experiment failed'),
        );
        throw storageUnavailable(input.name, error);
      }
      return presentByName(context, input.name);
    },

    async list(actor: Actor, query: ExperimentListQuery) {
      const rows = await listExperiments(db, context.profile, {
        visibleTo: actor.principal.isAdmin ? undefined : actor.principal.userId,
        station: query.station,
        member: query.user,
        status: query.status,
        search: query.search,
        sort: query.sort,
        // The sort value and the name of the last row shown (see `listExperiments`).
        after: decodeCursor(query.cursor, CursorShape.valueAndName),
        limit: query.limit,
      });
      const page = toPage(
        rows,
        query.limit,
        (row) => [sortValue(row, query.sort), row.name],
        (row) => row,
      );
      return { items: await presentExperiments(context, page.items), nextCursor: page.nextCursor };
    },

    /** The most frequent read: membership is checked on the member list it loads anyway (one query less). */
    async show(actor: Actor, name: string): Promise<Experiment> {
      const record = await findExperimentByName(db, name);
      if (!record) throw notFound(name);
      const members = (await store.membersOf(db, [record.id])).get(record.id) ?? [];
      const { principal } = actor;
      const allowed =
        principal.isAdmin ||
        members.some((member) => member.username === principal.username) ||
        (await isStationManager(db, principal, record.station_id));
      if (!allowed) throw notFound(name);
      return presentExperiment(context, record, members);
    },

    async update(actor: Actor, name: string, patch: UpdateExperimentBody): Promise<Experiment> {
      const record = await loadManageable(context, actor, name);
      const problems: FieldProblem[] = [];
      const typeId = await resolveTypeId(db, patch.type, 'type', problems);
      const startDate = patch.startDate === undefined ? record.start_date : patch.startDate;
      const endDate = patch.endDate === undefined ? record.end_date : patch.endDate;
      checkDates(startDate, endDate, '', problems);
      if (problems.length > 0) throw validationFailed(problems);
      const now = context.now();
      await db.transaction().execute(async (trx) => {
        await store.updateExperiment(trx, record.id, {
          ...(typeId !== undefined && { type_id: typeId }),
          ...(patch.description !== undefined && { description: patch.description }),
          ...(patch.startDate !== undefined && { start_date: patch.startDate }),
          ...(patch.endDate !== undefined && { end_date: patch.endDate }),
          updated_at: now,
        });
        await recordAudit(trx, auditWho(actor, now), {
          action: 'experiment.update',
          targetType: 'experiment',
          targetName: name,
          stationName: record.station_name,
          experimentName: name,
          details: { ...patch },
        });
      });
      return presentByName(context, name);
    },

    start: (actor: Actor, name: string) => changeStatus(actor, name, 'running'),
    stop: (actor: Actor, name: string) => changeStatus(actor, name, 'stopped'),
    addUser: (actor: Actor, name: string, username: string, role: 'pi' | 'user') =>
      changeMember(actor, name, username, role),
    removeUser: (actor: Actor, name: string, username: string) => changeMember(actor, name, username, null),

    /** Refused while the storage tree holds any file (the file catalog will be checked here too). */
    async delete(actor: Actor, name: string): Promise<void> {
      const record = await loadManageable(context, actor, name);
      if (await holdsFiles(context, record)) {
        throw new AppError(
          'experiment_not_empty',
          `experiment "${name}" still holds files; remove them first`,
          {
            experiment: name,
          },
        );
      }
      await beginDeletion(db, record);
      try {
        await finishDeletion(
          context,
          { ...record, storage_state: 'deleting' },
          auditWho(actor, context.now()),
          {
            action: 'experiment.delete',
            targetType: 'experiment',
            targetName: name,
            stationName: record.station_name,
            experimentName: name,
          },
        );
      } catch (error) {
        if (error instanceof AppError) throw error;
        // Left `deleting`: the reconciler finishes the deletion once the storage answers again.
        context.logger.error({ err: error, experiment: name }, 'removing the storage tree failed');
        throw storageUnavailable(name, error);
      }
    },

    import: (actor: Actor, body: ImportExperimentsBody) => importExperiments(context, actor, body),
  };
}

export type ExperimentService = ReturnType<typeof createExperimentService>;
