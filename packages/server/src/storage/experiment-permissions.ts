/**
 * Who may read an experiment's storage, from the database, applied to the disk: the unix accounts of its
 * members and of its station's managers. Run when the tree is made, when membership changes, and on
 * `dm storage restore-permissions`.
 */
import { dirname, relative, sep } from 'node:path';
import type { ServiceContext } from '../context.ts';
import { pathsOf } from './experiment-tree.ts';
import type { StoredExperiment } from './lookup.ts';
import { type AppliedPermissions, applyExperimentPermissions, UnknownAccountError } from './permissions.ts';
import { readerAccountsOf, readyExperimentsOf } from './store.ts';

export async function readerAccounts(
  context: ServiceContext,
  record: Pick<StoredExperiment, 'id' | 'station_id'>,
): Promise<string[]> {
  return [...new Set(await readerAccountsOf(context.db, record))].sort();
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
  record: StoredExperiment,
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
export async function refreshPermissions(context: ServiceContext, record: StoredExperiment): Promise<void> {
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
    for (const record of await readyExperimentsOf(context.db, which))
      await refreshPermissions(context, record);
  });
}
