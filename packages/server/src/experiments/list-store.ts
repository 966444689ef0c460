/**
 * The experiment list: filters, the caller's visibility, and keyset paging in any of the sortable orders.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { DialectProfile } from '../db/profile.ts';
import { containsText } from '../db/search.ts';
import type { Database, ExperimentStatus } from '../db/tables.ts';
import { type ExperimentRecord, selectExperiments } from './lookup.ts';
import type { ExperimentSort } from './schemas.ts';

export interface ExperimentFilter {
  /** Restrict to experiments this user belongs to or whose station they manage (undefined: all, for admins). */
  visibleTo?: number;
  station?: string;
  member?: string;
  status?: ExperimentStatus;
  search?: string;
  /** Ties are broken by name, which is unique, so the order (and a cursor) is total. */
  sort: ExperimentSort;
  /** The sort value and name of the last row of the previous page. */
  after?: [string, string];
  limit: number;
}

/** The sort column as a value comparable with `>`; no start date sorts as '' (before any date). */
function sortExpression(sort: ExperimentSort): RawBuilder<string> {
  const column = sort.replace(/^-/, '') as 'name' | 'station' | 'status' | 'startDate';
  switch (column) {
    case 'name':
      return sql<string>`e.name`;
    case 'station':
      return sql<string>`s.name`;
    case 'status':
      return sql<string>`e.status`;
    case 'startDate':
      return sql<string>`coalesce(e.start_date, '')`;
    default: {
      const never: never = column;
      throw new Error(`unknown sort ${String(never)}`);
    }
  }
}

/** The value of a row that `after` compares with (the first element of the next cursor). */
export function sortValue(row: ExperimentRecord, sort: ExperimentSort): string {
  const column = sort.replace(/^-/, '');
  if (column === 'station') return row.station_name;
  if (column === 'status') return row.status;
  if (column === 'startDate') return row.start_date ?? '';
  return row.name;
}

export async function listExperiments(
  db: Kysely<Database>,
  profile: DialectProfile,
  filter: ExperimentFilter,
): Promise<ExperimentRecord[]> {
  const descending = filter.sort.startsWith('-');
  const direction = descending ? sql.raw('desc') : sql.raw('asc');
  const key = sortExpression(filter.sort);
  let query = selectExperiments(db)
    .orderBy(sql`${key} ${direction}`)
    .orderBy(sql`e.name ${direction}`)
    .limit(filter.limit + 1);
  const viewer = filter.visibleTo;
  if (viewer !== undefined) {
    query = query.where((eb) =>
      eb.or([
        eb(
          'e.id',
          'in',
          eb.selectFrom('experiment_members').select('experiment_id').where('user_id', '=', viewer),
        ),
        eb(
          'e.station_id',
          'in',
          eb.selectFrom('station_managers').select('station_id').where('user_id', '=', viewer),
        ),
      ]),
    );
  }
  if (filter.station !== undefined) query = query.where('s.name', '=', filter.station);
  if (filter.status !== undefined) query = query.where('e.status', '=', filter.status);
  if (filter.member !== undefined) {
    const member = filter.member;
    query = query.where('e.id', 'in', (eb) =>
      eb
        .selectFrom('experiment_members as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .select('m.experiment_id')
        .where('u.username', '=', member),
    );
  }
  if (filter.search) {
    const text = filter.search;
    query = query.where((eb) =>
      eb.or([containsText(profile, 'e.name', text), containsText(profile, 'e.description', text)]),
    );
  }
  if (filter.after !== undefined) {
    // Keyset paging on (sort value, name): no row skipped or repeated when experiments are added meanwhile,
    // and no OFFSET to read through (a facility has thousands of experiments, not millions, so the other
    // orders need no index of their own).
    const [value, name] = filter.after;
    const beyond = sql.raw(descending ? '<' : '>');
    query = query.where(
      sql<boolean>`(${key} ${beyond} ${value} or (${key} = ${value} and e.name ${beyond} ${name}))`,
    );
  }
  return query.execute();
}
