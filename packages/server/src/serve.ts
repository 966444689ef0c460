import { pino } from 'pino';
import { type App, createApp } from './app.ts';
import { openDatabase } from './db/connection.ts';
import { type MigrationReport, migrateToLatest } from './db/migrate.ts';
import type { Role, Settings } from './settings/settings.ts';
import { reconcileStorage } from './storage/reconcile.ts';
import { securePrivateFiles } from './system/private-files.ts';

export interface RunningServer {
  /** Where the API listens, with the real port when 0 was asked for; undefined without the api role. */
  url: string | undefined;
  /** The roles this process runs (`--roles`). */
  roles: Role[];
  generatedAdminPassword?: string;
  adminPasswordFile?: string;
  close(): Promise<void>;
}

/** How often interrupted storage work is retried while running (it always runs once at start). */
const reconcileIntervalMs = 60_000;

/**
 * Runs the roles of this process (`settings.roles`: all of them by default) until `close()`. Without the api
 * role nothing listens: such a process only works on the shared database and storage.
 *
 * @example
 * const server = await startServer(loadSettings());
 * process.once('SIGTERM', () => server.close());
 */
export async function startServer(settings: Settings): Promise<RunningServer> {
  const logger = pino({ level: settings.logLevel, redact: ['req.headers.authorization'] });
  const app = await createApp({ settings, logger });
  const roles = [...settings.roles];
  const url = settings.roles.has('api') ? await listen(app, settings) : undefined;
  logger.info(
    { url, roles, database: app.database.displayUrl, storageRoot: settings.storageRoot },
    'Photon DM started',
  );

  // Interrupted storage work is retried by the retention role; every process still does it once at start.
  const timer = settings.roles.has('retention')
    ? setInterval(() => {
        reconcileStorage(app.context).catch((error: unknown) =>
          logger.error({ err: error }, 'storage reconciliation failed'),
        );
      }, reconcileIntervalMs).unref()
    : undefined;

  return {
    url,
    roles,
    generatedAdminPassword: app.admin.generatedPassword,
    adminPasswordFile: app.admin.passwordFile,
    async close() {
      clearInterval(timer);
      await app.close();
      logger.info('Photon DM stopped');
    },
  };
}

async function listen(app: App, settings: Settings): Promise<string> {
  await app.http.listen({ host: settings.host, port: settings.port });
  const address = app.http.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return `http://${host}:${port}`;
}

/** `dm db migrate`: brings the database schema up to date without starting the server. */
export async function migrateDatabase(settings: Settings): Promise<MigrationReport> {
  await securePrivateFiles(settings, pino({ level: settings.logLevel }));
  const database = openDatabase({ url: settings.databaseUrl, poolSize: 1 });
  try {
    return await migrateToLatest(database.db, database.profile);
  } finally {
    await database.close();
  }
}
