import { type Kysely, type MigrationResultSet, Migrator } from 'kysely';
import { foundation } from './migrations/0001-foundation.ts';
import { catalog } from './migrations/0002-catalog.ts';
import { daqs } from './migrations/0003-daqs.ts';
import { fileMetadata } from './migrations/0004-file-metadata.ts';
import { daqAgent } from './migrations/0005-daq-agent.ts';
import { workflowsJobs } from './migrations/0006-workflows-jobs.ts';
import { events } from './migrations/0007-events.ts';
import { usage } from './migrations/0008-usage.ts';
import { stationAccounts } from './migrations/0009-station-accounts.ts';
import { sourceRoots } from './migrations/0010-source-roots.ts';
import { serverSecrets } from './migrations/0011-server-secrets.ts';
import { userStageLimit } from './migrations/0012-user-stage-limit.ts';
import { sites } from './migrations/0013-sites.ts';
import type { DialectProfile } from './profile.ts';
import type { Database } from './tables.ts';

/** Numbered migrations; a released one is never edited. Kysely's migrator takes a lock, so two processes
 * starting together on one PostgreSQL database apply each migration once. */
function migrationsFor(profile: DialectProfile) {
  return {
    '0001-foundation': foundation(profile),
    '0002-catalog': catalog(profile),
    '0003-daqs': daqs(profile),
    '0004-file-metadata': fileMetadata(profile),
    '0005-daq-agent': daqAgent(profile),
    '0006-workflows-jobs': workflowsJobs(profile),
    '0007-events': events(profile),
    '0008-usage': usage(),
    '0009-station-accounts': stationAccounts(),
    '0010-source-roots': sourceRoots(),
    '0011-server-secrets': serverSecrets(),
    '0012-user-stage-limit': userStageLimit(),
    '0013-sites': sites(profile),
  };
}

export interface MigrationReport {
  applied: string[];
}

export async function migrateToLatest(
  db: Kysely<Database>,
  profile: DialectProfile,
): Promise<MigrationReport> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrationsFor(profile) },
    migrationTableName: 'dm_migrations',
    migrationLockTableName: 'dm_migrations_lock',
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const cause = result.error instanceof Error ? result.error.message : String(result.error);
    throw new Error(`database migration ${failed?.migrationName ?? '(setup)'} failed: ${cause}`, {
      cause: result.error,
    });
  }
  return {
    applied: (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName),
  };
}
