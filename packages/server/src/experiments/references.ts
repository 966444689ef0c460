/**
 * Resolving the names an experiment refers to (station, type, users), reporting every unknown name at once
 * with the field it came from.
 */
import type { Kysely } from 'kysely';
import type { Database, ExperimentRole } from '../db/tables.ts';
import type { FieldProblem } from '../errors/app-error.ts';
import { findStationByName } from '../stations/lookup.ts';
import { findUsersByName } from '../users/lookup.ts';

export interface MemberRef {
  userId: number;
  username: string;
  role: ExperimentRole;
}

/** The PI and users as members; someone named both as PI and as a user is the PI. */
export async function resolveMembers(
  db: Kysely<Database>,
  input: { pi?: string; users?: string[] },
  fieldPrefix: string,
  problems: FieldProblem[],
): Promise<MemberRef[]> {
  const wanted = [...new Set([...(input.pi ? [input.pi] : []), ...(input.users ?? [])])];
  const found = new Map((await findUsersByName(db, wanted)).map((u) => [u.username, u]));
  if (input.pi && !found.has(input.pi))
    problems.push({ field: `${fieldPrefix}pi`, message: `no user "${input.pi}"` });
  (input.users ?? []).forEach((username, index) => {
    if (!found.has(username))
      problems.push({ field: `${fieldPrefix}users/${index}`, message: `no user "${username}"` });
  });
  return wanted.flatMap((username) => {
    const user = found.get(username);
    return user === undefined
      ? []
      : [{ userId: user.id, username, role: username === input.pi ? 'pi' : 'user' }];
  });
}

export async function resolveTypeId(
  db: Kysely<Database>,
  type: string | null | undefined,
  field: string,
  problems: FieldProblem[],
): Promise<number | null | undefined> {
  if (type === undefined || type === null) return type;
  const row = await db
    .selectFrom('experiment_types')
    .select('id')
    .where('name', '=', type)
    .executeTakeFirst();
  if (!row) problems.push({ field, message: `no experiment type "${type}"` });
  return row?.id;
}

export async function resolveStation(
  db: Kysely<Database>,
  station: string,
  field: string,
  problems: FieldProblem[],
) {
  const row = await findStationByName(db, station);
  if (!row) problems.push({ field, message: `no station "${station}"` });
  return row;
}

export function checkDates(
  startDate: string | null | undefined,
  endDate: string | null | undefined,
  fieldPrefix: string,
  problems: FieldProblem[],
): void {
  if (startDate && endDate && Date.parse(startDate) > Date.parse(endDate)) {
    problems.push({ field: `${fieldPrefix}endDate`, message: 'must not be before startDate' });
  }
}
