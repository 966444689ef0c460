/**
 * The composition root: settings → database → services → HTTP routes. Nothing else builds services, so a
 * test gets a whole, independent app on a temp directory with one call.
 */
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { registerDaqAgentRoutes } from './agent-api/routes.ts';
import { createDaqAgentService } from './agent-api/service.ts';
import { registerAuditRoutes } from './audit/routes.ts';
import { type AdminBootstrap, ensureAdminAccount } from './auth/bootstrap.ts';
import { registerAuthRoutes } from './auth/routes.ts';
import { createAuthService } from './auth/service.ts';
import { createBackgroundTasks } from './background.ts';
import { registerDownloadRoutes } from './catalog/download-routes.ts';
import { createDownloadService } from './catalog/download-service.ts';
import { createMetadataReader } from './catalog/hdf5-reader.ts';
import { registerCatalogRoutes } from './catalog/routes.ts';
import { createCatalogService } from './catalog/service.ts';
import { UnsavedErrors } from './claims/unsaved-errors.ts';
import type { ServiceContext } from './context.ts';
import { registerDaqRoutes } from './daq/routes.ts';
import { startDaqRunner } from './daq/runner.ts';
import { createDaqService } from './daq/service.ts';
import { type DatabaseHandle, openDatabase } from './db/connection.ts';
import { migrateToLatest } from './db/migrate.ts';
import { createEventHub, type EventHubOptions } from './events/hub.ts';
import { type EventRetention, startEventRetention } from './events/retention.ts';
import { registerEventRoutes } from './events/routes.ts';
import { registerExperimentTypeRoutes } from './experiment-types/routes.ts';
import { createExperimentTypeService } from './experiment-types/service.ts';
import { registerExperimentRoutes } from './experiments/routes.ts';
import { createExperimentService } from './experiments/service.ts';
import { registerStorageRoutes } from './experiments/storage-routes.ts';
import { registerHealthRoutes } from './health/routes.ts';
import { createHttpServer, type HttpServer } from './http/server.ts';
import { startJobEngine } from './jobs/engine.ts';
import { registerJobRoutes } from './jobs/routes.ts';
import { createJobService } from './jobs/service.ts';
import { registerMetrics } from './metrics/metrics.ts';
import { registerOpenApi } from './openapi/openapi.ts';
import { registerPortalRoutes } from './portal/routes.ts';
import { type PartialSweep, type PartialSweepOptions, startPartialSweep } from './retention/partial-sweep.ts';
import { registerSecretRoutes } from './secrets/routes.ts';
import type { Role, Settings } from './settings/settings.ts';
import { registerSiteRoutes } from './sites/routes.ts';
import { createSiteService } from './sites/service.ts';
import { registerStationAccountRoutes } from './stations/accounts-routes.ts';
import { createStationAccountService } from './stations/accounts-service.ts';
import { registerStationRoutes } from './stations/routes.ts';
import { createStationService } from './stations/service.ts';
import { registerSourceRootRoutes } from './stations/source-roots-routes.ts';
import { createSourceRootService } from './stations/source-roots-service.ts';
import { prepareStorageRoot } from './storage/experiment-tree.ts';
import { probePermissionSupport } from './storage/permissions.ts';
import { reconcileStorage } from './storage/reconcile.ts';
import { securePrivateFiles } from './system/private-files.ts';
import { createCopyWorker } from './transfer/copy-worker.ts';
import { registerUploadRoutes } from './uploads/routes.ts';
import { startUploadRunner } from './uploads/runner.ts';
import { createUploadService } from './uploads/service.ts';
import { registerUsageRoutes } from './usage/routes.ts';
import { createUsageService } from './usage/service.ts';
import { registerUserRoutes } from './users/routes.ts';
import { createUserService } from './users/service.ts';
import { registerWorkflowRoutes } from './workflows/routes.ts';
import { createWorkflowService } from './workflows/service.ts';

/** What stands in for a loop of a role this process does not run. */
const idleLoop = { wake: () => {}, stop: async () => {} };
const idleJobEngine = {
  runner: { wake: () => {}, stopLocal: () => false },
  stop: async () => {},
};

export interface App {
  http: HttpServer;
  context: ServiceContext;
  database: DatabaseHandle;
  admin: AdminBootstrap;
  /** Deletes expired live events every hour; `runNow()` for tests. */
  eventRetention: EventRetention;
  /** Removes what interrupted transfers left in experiment trees, by age; `runNow()` for tests. */
  partialSweep: PartialSweep;
  close(): Promise<void>;
}

export interface AppOptions {
  settings: Settings;
  logger?: FastifyBaseLogger;
  now?: () => string;
  /** Polling and heartbeat intervals of live event streams (tests shorten them). */
  events?: EventHubOptions;
  /** When the first sweep of leftover temp files runs (default a minute after start; tests move it). */
  partialSweep?: PartialSweepOptions;
}

/**
 * @example
 * const app = await createApp({ settings: loadSettings({ flags: { dataDir: '/tmp/dm' } }) });
 * const response = await app.http.inject({ method: 'GET', url: '/api/health' });
 * await app.close();
 */
export async function createApp(options: AppOptions): Promise<App> {
  const { settings } = options;
  const logger = options.logger ?? pino({ level: settings.logLevel, redact: ['req.headers.authorization'] });
  // Before the database is opened: SQLite makes its -wal and -shm with the database file's mode.
  await securePrivateFiles(settings, logger);
  const database = openDatabase({ url: settings.databaseUrl, poolSize: settings.databasePoolSize });
  try {
    await migrateToLatest(database.db, database.profile);
    await prepareStorageRoot(settings.storageRoot);
    const permissions = await probePermissionSupport(settings.storageRoot);
    if (permissions.mode === 'group') logger.warn(permissions.reason);
    // The one wall clock of the server: every other time is read through `context.now()`.
    const now = options.now ?? (() => new Date().toISOString());
    const context: ServiceContext = {
      db: database.db,
      profile: database.profile,
      settings,
      logger,
      permissions,
      background: createBackgroundTasks(logger),
      events: createEventHub(
        { db: database.db, profile: database.profile, logger, databaseUrl: settings.databaseUrl, now },
        options.events,
      ),
      metadataReader: createMetadataReader(),
      copyWorker: createCopyWorker(),
      now,
    };
    const admin = await ensureAdminAccount(context);
    await reconcileStorage(context);

    const auth = createAuthService(context);
    const http = createHttpServer(logger);
    await registerOpenApi(http);
    http.decorateRequest('principal', null);
    http.addHook('onRequest', async (request) => {
      request.principal = null;
      // Every route needs a token unless it says it is public; an unmatched URL gets its 404 either way.
      if (request.routeOptions.config?.public || request.routeOptions.url === undefined) return;
      request.principal = await auth.authenticate(request.headers.authorization);
    });
    const metrics = registerMetrics(http);
    registerHealthRoutes(http, context);
    registerAuthRoutes(http, auth);
    registerUserRoutes(http, createUserService(context));
    registerStationRoutes(http, createStationService(context));
    registerStationAccountRoutes(http, createStationAccountService(context));
    registerSourceRootRoutes(http, createSourceRootService(context));
    registerSiteRoutes(http, createSiteService(context));
    registerExperimentTypeRoutes(http, createExperimentTypeService(context));
    registerExperimentRoutes(http, createExperimentService(context));
    registerAuditRoutes(http, context);
    const catalog = createCatalogService(context);
    registerCatalogRoutes(http, catalog, context);
    registerDownloadRoutes(http, createDownloadService(context));
    registerStorageRoutes(http, context);
    registerSecretRoutes(http, context);
    registerEventRoutes(http, context, (authorization) => auth.authenticate(authorization));
    // A role this process does not run is another process' work (on the same PostgreSQL database): its
    // loops are not started here, and a wake-up for them is a no-op (theirs poll and listen on their own).
    const runs = (role: Role) => settings.roles.has(role);
    const eventRetention = startEventRetention(context, { scheduled: runs('retention') });
    // Walks every experiment's tree (minutes on a storage root of millions of files): never during the start.
    const partialSweep = startPartialSweep(context, metrics, {
      ...options.partialSweep,
      scheduled: runs('retention'),
    });
    // Why an upload or a DAQ of this process waits, while the database cannot take it (its disk is full).
    const unsaved = { uploads: new UnsavedErrors(), daqs: new UnsavedErrors() };
    const uploadRunner = runs('transfers')
      ? startUploadRunner(context, { unsaved: unsaved.uploads })
      : idleLoop;
    registerUploadRoutes(
      http,
      createUploadService(context, { wake: uploadRunner.wake, unsaved: unsaved.uploads }),
    );
    const daqRunner = runs('transfers') ? startDaqRunner(context, { unsaved: unsaved.daqs }) : idleLoop;
    registerDaqRoutes(http, createDaqService(context, { wake: daqRunner.wake, unsaved: unsaved.daqs }));
    const jobEngine = runs('jobs') ? startJobEngine(context) : idleJobEngine;
    registerWorkflowRoutes(http, createWorkflowService(context));
    registerJobRoutes(
      http,
      createJobService(context, {
        catalog,
        wakeRunner: jobEngine.runner.wake,
        stopLocal: jobEngine.runner.stopLocal,
      }),
    );
    registerDaqAgentRoutes(http, createDaqAgentService(context));
    registerUsageRoutes(http, createUsageService(context));
    await registerPortalRoutes(http, settings.webDir);
    await http.ready();

    return {
      http,
      context,
      database,
      admin,
      eventRetention,
      partialSweep,
      async close() {
        // Open event streams first: they would otherwise hold their connections (and http.close) open.
        await context.events.close();
        await http.close();
        await uploadRunner.stop();
        await daqRunner.stop();
        await jobEngine.stop();
        await eventRetention.stop();
        await partialSweep.stop();
        await context.background.drain();
        await context.metadataReader.stop();
        await context.copyWorker.stop();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
