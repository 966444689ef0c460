import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { BackgroundTasks } from './background.ts';
import type { MetadataReader } from './catalog/hdf5-reader.ts';
import type { DialectProfile } from './db/profile.ts';
import type { Database } from './db/tables.ts';
import type { EventHub } from './events/hub.ts';
import type { Settings } from './settings/settings.ts';
import type { PermissionSupport } from './storage/permissions.ts';
import type { CopyWorker } from './transfer/copy-worker.ts';

/** What every service is built with: built once in `createApp`, never a module-level singleton. */
export interface ServiceContext {
  db: Kysely<Database>;
  profile: DialectProfile;
  settings: Settings;
  logger: FastifyBaseLogger;
  /** Whether the storage filesystem takes POSIX ACLs, probed once at start. */
  permissions: PermissionSupport;
  /** Work started by a request that outlives it; the app waits for it on close. */
  background: BackgroundTasks;
  /** Live events: `context.events.publish(trx, event)` appends one and wakes this process' streams. */
  events: EventHub;
  /** Reads HDF5/NeXus content in this app's own worker thread; stopped by `App.close`. */
  metadataReader: MetadataReader;
  /** Verified copies into storage, in this app's own worker thread; stopped by `App.close`. */
  copyWorker: CopyWorker;
  /** The time, as the database stores it; tests may fix it. */
  now: () => string;
}
