/**
 * Who may read an experiment's storage, from the database, applied to the disk: the unix accounts of its
 * members and of its station's managers. Run when the tree is made, when membership changes, and on
 * `dm storage restore-permissions`.
 */
import { dirname, relative, sep } from 'node:path';
import type { ServiceContext } from '../context.ts';
import type { ExperimentRecord } from '../experiments/store.ts';
import { pathsOf } from './experiment-tree.ts';
import { type AppliedPermissions, applyExperimentPermissions, UnknownAccountError } from './permissions.ts';

export async function readerAccounts(
  context: ServiceContext,
  record: Pick<ExperimentRecord, 'id' | 'station_id'>,
): Promise<string[]> {
  const rows = await context.db
    .selectFrom('users as u')
    .select('u.unix_account')
    .where('u.unix_account', 'is not', null)
    .where('u.disabled_at', 'is', null)
    .where((eb) =>
      eb.or([
        eb(
          'u.id',
          'in',
          eb.selectFrom('experiment_members').select('user_id').where('experiment_id', '=', record.id),
        ),
        eb(
          'u.id',
          'in',
          eb.selectFrom('station_managers').select('user_id').where('station_id', '=', record.station_id),
        ),
      ]),
    )
    .execute();
  return [...new Set(rows.map((row) => row.unix_account!))].sort();
}

/**
 * The private data directory (0700) and those between it and the storage root, when the storage root lies
 * inside it (the default layout): readers get a traverse-only entry there, nothing they could list or read.
 */
function directoriesAboveStorage(settings: { dataDir: string; storageRoot: string }): string[] {
  const inside = relative(settings.dataDir, settings.storageRoot);
  if (inside === '' || inside.startsWith('..') || inside.startsWith(sep)) return [];
  const directories: string[] = [];
  for (let d = dirname(settings.storageRoot); d.startsWith(settings.dataDir); d = dirname(d)) {
    directories.push(d);
    if (d === settings.dataDir) break;
  }
  return directories;
}

export interface PermissionsReport extends AppliedPermissions {
  mode: 'acl' | 'group';
  readers: string[];
}

/** Applies the experiment's permissions; throws (e.g. an unknown unix account) for the caller to report. */
export async function applyPermissionsOf(
  context: ServiceContext,
  record: ExperimentRecord,
): Promise<PermissionsReport> {
  const readers = await readerAccounts(context, record);
  const applied = await applyExperimentPermissions(
    pathsOf(context, record),
    { readers, writers: [] },
    context.permissions,
    directoriesAboveStorage(context.settings),
  );
  return { ...applied, mode: context.permissions.mode, readers };
}

/**
 * For changes that already committed (a new member, a new experiment): a permission failure is logged, not
 * thrown, since the change itself stands; `dm storage restore-permissions` reports and retries it.
 */
export async function refreshPermissions(context: ServiceContext, record: ExperimentRecord): Promise<void> {
  try {
    const report = await applyPermissionsOf(context, record);
    for (const warning of report.warnings) context.logger.warn({ experiment: record.name }, warning);
  } catch (error) {
    if (error instanceof UnknownAccountError) {
      // A configuration matter, not a fault: say which accounts, once, without a stack.
      context.logger.warn(
        { experiment: record.name, accounts: error.accounts },
        `storage permissions not applied: ${error.message} on this host (create it, or fix the user's unix account)`,
      );
      return;
    }
    context.logger.error({ err: error, experiment: record.name }, 'storage permissions not applied');
  }
}

/**
 * After a change that affects many experiments (a station's managers, a user's unix account): their trees
 * are brought up to date in the background, one after the other.
 */
export function refreshPermissionsLater(
  context: ServiceContext,
  which: { stationId?: number; userId?: number },
): void {
  context.background.run('refreshing storage permissions', async () => {
    let query = context.db
      .selectFrom('experiments as e')
      .innerJoin('stations as s', 's.id', 'e.station_id')
      .leftJoin('experiment_types as t', 't.id', 'e.type_id')
      .selectAll('e')
      .select(['s.name as station_name', 't.name as type_name'])
      .where('e.storage_state', '=', 'ready');
    const { stationId, userId } = which;
    if (stationId !== undefined) query = query.where('e.station_id', '=', stationId);
    if (userId !== undefined) {
      query = query.where((eb) =>
        eb.or([
          eb(
            'e.id',
            'in',
            eb.selectFrom('experiment_members').select('experiment_id').where('user_id', '=', userId),
          ),
          eb(
            'e.station_id',
            'in',
            eb.selectFrom('station_managers').select('station_id').where('user_id', '=', userId),
          ),
        ]),
      );
    }
    for (const record of await query.execute()) await refreshPermissions(context, record);
  });
}
