import type { Kysely } from 'kysely';
import type { Database, ExperimentRole, ExperimentRow, ExperimentStatus } from '../db/tables.ts';

export interface Member {
  username: string;
  role: ExperimentRole;
}

export async function membersOf(
  db: Kysely<Database>,
  experimentIds: number[],
): Promise<Map<number, Member[]>> {
  const result = new Map<number, Member[]>();
  if (experimentIds.length === 0) return result;
  const rows = await db
    .selectFrom('experiment_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.experiment_id', 'u.username', 'm.role'])
    .where('m.experiment_id', 'in', experimentIds)
    .orderBy('u.username')
    .execute();
  for (const row of rows) {
    result.set(row.experiment_id, [
      ...(result.get(row.experiment_id) ?? []),
      { username: row.username, role: row.role },
    ]);
  }
  return result;
}

export async function isMember(db: Kysely<Database>, experimentId: number, userId: number): Promise<boolean> {
  const row = await db
    .selectFrom('experiment_members')
    .select('user_id')
    .where('experiment_id', '=', experimentId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertExperiment(
  db: Kysely<Database>,
  values: {
    name: string;
    stationId: number;
    typeId: number | null;
    description: string | null;
    startDate: string | null;
    endDate: string | null;
    now: string;
  },
): Promise<ExperimentRow> {
  return db
    .insertInto('experiments')
    .values({
      name: values.name,
      station_id: values.stationId,
      type_id: values.typeId,
      description: values.description,
      status: 'planned',
      start_date: values.startDate,
      end_date: values.endDate,
      storage_state: 'pending',
      created_at: values.now,
      updated_at: values.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateExperiment(
  db: Kysely<Database>,
  id: number,
  values: Partial<Pick<ExperimentRow, 'type_id' | 'description' | 'start_date' | 'end_date'>> & {
    updated_at: string;
  },
): Promise<void> {
  await db.updateTable('experiments').set(values).where('id', '=', id).execute();
}

/** A guarded status change: of two concurrent calls only one sees its `from` status and wins. */
export async function changeStatus(
  db: Kysely<Database>,
  id: number,
  from: ExperimentStatus,
  to: ExperimentStatus,
  dates: Partial<Pick<ExperimentRow, 'start_date' | 'end_date'>>,
  now: string,
): Promise<boolean> {
  const result = await db
    .updateTable('experiments')
    .set({ status: to, ...dates, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Sets a member's role; a new PI demotes the previous one, since an experiment has one PI. */
export async function upsertMember(
  db: Kysely<Database>,
  experimentId: number,
  userId: number,
  role: ExperimentRole,
  now: string,
): Promise<void> {
  if (role === 'pi') {
    await db
      .updateTable('experiment_members')
      .set({ role: 'user' })
      .where('experiment_id', '=', experimentId)
      .where('role', '=', 'pi')
      .where('user_id', '!=', userId)
      .execute();
  }
  await db
    .insertInto('experiment_members')
    .values({ experiment_id: experimentId, user_id: userId, role, created_at: now })
    .onConflict((oc) => oc.columns(['experiment_id', 'user_id']).doUpdateSet({ role }))
    .execute();
}

export async function removeMember(
  db: Kysely<Database>,
  experimentId: number,
  userId: number,
): Promise<boolean> {
  const result = await db
    .deleteFrom('experiment_members')
    .where('experiment_id', '=', experimentId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}
