import { pino } from 'pino';
import { createApp } from './app.ts';
import { openDatabase } from './db/connection.ts';
import { type MigrationReport, migrateToLatest } from './db/migrate.ts';
import type { Settings } from './settings/settings.ts';
import { reconcileStorage } from './storage/reconcile.ts';
import { securePrivateFiles } from './system/private-files.ts';

export interface RunningServer {
  /** Where the API listens, with the real port when 0 was asked for. */
  url: string;
  generatedAdminPassword?: string;
  adminPasswordFile?: string;
  close(): Promise<void>;
}

/** How often interrupted storage work is retried while running (it always runs once at start). */
const reconcileIntervalMs = 60_000;

/**
 * Runs every role of this process (today: the api) until `close()`.
 *
 * @example
 * const server = await startServer(loadSettings());
 * process.once('SIGTERM', () => server.close());
 */
export async function startServer(settings: Settings): Promise<RunningServer> {
  const logger = pino({ level: settings.logLevel, redact: ['req.headers.authorization'] });
  const app = await createApp({ settings, logger });
  await app.http.listen({ host: settings.host, port: settings.port });
  const address = app.http.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  const url = `http://${host}:${port}`;
  logger.info(
    { url, database: app.database.displayUrl, storageRoot: settings.storageRoot },
    'Photon DM started',
  );

  const timer = setInterval(() => {
    reconcileStorage(app.context).catch((error: unknown) =>
      logger.error({ err: error }, 'storage reconciliation failed'),
    );
  }, reconcileIntervalMs);
  timer.unref();

  return {
    url,
    generatedAdminPassword: app.admin.generatedPassword,
    adminPasswordFile: app.admin.passwordFile,
    async close() {
      clearInterval(timer);
      await app.close();
      logger.info('Photon DM stopped');
    },
  };
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
