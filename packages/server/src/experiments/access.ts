/**
 * Reading experiments with the caller's rights, and presenting them with the APS field names.
 * An experiment the caller may not read is reported as missing (404): its existence is private.
 */
import type { Kysely } from 'kysely';
import { isStationManager } from '../authorization/policy.ts';
import type { Actor } from '../authorization/principal.ts';
import type { ServiceContext } from '../context.ts';
import type { Database } from '../db/tables.ts';
import { AppError } from '../errors/app-error.ts';
import { defined } from '../errors/defined.ts';
import { pathsOf } from '../storage/experiment-tree.ts';
import { type ExperimentRecord, findExperimentByName } from './lookup.ts';
import type { Experiment } from './schemas.ts';
import { isMember, type Member, membersOf } from './store.ts';

export function notFound(name: string): AppError {
  return new AppError('experiment_not_found', `no experiment "${name}"`, { experiment: name });
}

export async function canRead(
  db: Kysely<Database>,
  actor: Actor,
  record: ExperimentRecord,
): Promise<boolean> {
  const { principal } = actor;
  return (
    principal.isAdmin ||
    (await isMember(db, record.id, principal.userId)) ||
    (await isStationManager(db, principal, record.station_id))
  );
}

export async function loadReadable(
  context: ServiceContext,
  actor: Actor,
  name: string,
): Promise<ExperimentRecord> {
  const record = await findExperimentByName(context.db, name);
  if (!record || !(await canRead(context.db, actor, record))) throw notFound(name);
  return record;
}

/** Admins and the station's managers manage an experiment; members who may only read get 403. */
export async function loadManageable(
  context: ServiceContext,
  actor: Actor,
  name: string,
): Promise<ExperimentRecord> {
  const record = await findExperimentByName(context.db, name);
  if (!record) throw notFound(name);
  if (await isStationManager(context.db, actor.principal, record.station_id)) return record;
  if (await canRead(context.db, actor, record)) {
    throw new AppError(
      'forbidden',
      `only admins and managers of station "${record.station_name}" may change "${name}"`,
      {
        experiment: name,
      },
    );
  }
  throw notFound(name);
}

export async function presentExperiments(
  context: ServiceContext,
  records: ExperimentRecord[],
): Promise<Experiment[]> {
  const members = await membersOf(
    context.db,
    records.map((r) => r.id),
  );
  return records.map((record) => presentExperiment(context, record, members.get(record.id) ?? []));
}

export async function presentByName(context: ServiceContext, name: string): Promise<Experiment> {
  const record = await findExperimentByName(context.db, name);
  if (!record) throw notFound(name);
  return defined((await presentExperiments(context, [record]))[0], `experiment ${name}`);
}

export function presentExperiment(
  context: ServiceContext,
  record: ExperimentRecord,
  members: Member[],
): Experiment {
  return {
    id: record.id,
    name: record.name,
    description: record.description,
    experimentStation: record.station_name,
    experimentType: record.type_name,
    status: record.status,
    startDate: record.start_date,
    endDate: record.end_date,
    pi: members.find((m) => m.role === 'pi')?.username ?? null,
    experimentUsernameList: members.map((m) => m.username),
    users: members,
    ...pathsOf(context, record),
    storageState: record.storage_state,
    fileCount: Number(record.file_count ?? 0),
    fileBytes: Number(record.byte_count ?? 0),
    createdAt: record.created_at,
    updatedAt: record.updated_at,
  };
}

/**
 * For things that belong to an experiment (uploads, DAQs): someone who may not see the experiment may not
 * learn that they exist either, so its 404 becomes theirs; any other error passes through.
 */
export async function requireReadableOwner(
  context: ServiceContext,
  actor: Actor,
  experimentName: string,
  hidden: () => AppError,
): Promise<ExperimentRecord> {
  try {
    return await loadReadable(context, actor, experimentName);
  } catch (error) {
    throw error instanceof AppError && error.code === 'experiment_not_found' ? hidden() : error;
  }
}
