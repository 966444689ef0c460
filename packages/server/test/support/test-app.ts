/**
 * A whole Photon DM app on a fresh database and temp directory, driven in-process through `inject` (no
 * port). Factories create users, stations and experiments through the API, as a person would.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, type AppOptions, createApp } from '../../src/app.ts';
import { setHashCostForTests } from '../../src/auth/passwords.ts';
import { loadSettings } from '../../src/settings/settings.ts';
import { type Backend, createTestDatabase } from './test-database.ts';

export const adminPassword = 'admin-password-for-tests';

// Hundreds of accounts are made and logged in to by the suite: at scrypt's production cost that is minutes of
// CPU. The one test of the stored hash's cost sets it back (auth.test.ts).
setHashCostForTests({ N: 16, r: 8, p: 1 });

export interface ApiResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests assert on arbitrary JSON response bodies
  body: any;
  headers: Record<string, unknown>;
}

export interface TestApp {
  readonly app: App;
  /** Closes the app and starts a new one on the same database and directories, as a server restart does. */
  restart(whileDown?: () => void | Promise<void>): Promise<void>;
  dataDir: string;
  storageRoot: string;
  adminToken: string;
  call(
    method: string,
    url: string,
    options?: { token?: string | null; body?: unknown; rawBody?: string },
  ): Promise<ApiResponse>;
  /** Creates a user with a password and returns a session token for them. */
  user(username: string, extra?: Record<string, unknown>): Promise<string>;
  station(name: string, managers?: string[]): Promise<void>;
  // biome-ignore lint/suspicious/noExplicitAny: the experiment's JSON, asserted on field by field
  experiment(name: string, station: string, extra?: Record<string, unknown>): Promise<any>;
  count(
    table: 'users' | 'stations' | 'experiments' | 'experiment_members' | 'audit_events' | 'api_tokens',
  ): Promise<number>;
  close(): Promise<void>;
}

export async function createTestApp(
  backend: Backend,
  env: Record<string, string> = {},
  options: Omit<AppOptions, 'settings'> = {},
): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dm-test-'));
  const database = await createTestDatabase(backend);
  const settings = loadSettings({
    flags: { dataDir, databaseUrl: database.url, logLevel: 'silent' },
    env: { DM_ADMIN_PASSWORD: adminPassword, ...env },
  });
  let app = await createApp({ ...options, settings });

  const call: TestApp['call'] = async (method, url, options = {}) => {
    const token = options.token === undefined ? adminToken : options.token;
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (options.rawBody !== undefined) {
      payload = options.rawBody;
      headers['content-type'] = 'application/json';
    } else if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const response = await app.http.inject({ method: method as 'GET', url, headers, payload });
    const text = response.body;
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (e.g. /metrics): keep the text
    }
    return { status: response.statusCode, body, headers: response.headers };
  };

  const login = async (username: string, password: string) => {
    const response = await call('POST', '/api/v1/auth/login', { token: null, body: { username, password } });
    if (response.status !== 200)
      throw new Error(`login ${username}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.token as string;
  };

  let adminToken = '';
  adminToken = await login('admin', app.admin.generatedPassword ?? adminPassword);

  const expectStatus = (response: ApiResponse, status: number, what: string) => {
    if (response.status !== status)
      throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
  };

  return {
    get app() {
      return app;
    },
    async restart(whileDown) {
      await app.close();
      await whileDown?.();
      app = await createApp({ ...options, settings });
    },
    dataDir,
    storageRoot: settings.storageRoot,
    adminToken,
    call,
    async user(username, extra = {}) {
      const password = `${username}-password`;
      expectStatus(
        await call('POST', '/api/v1/users', { body: { username, password, ...extra } }),
        201,
        `add user ${username}`,
      );
      return login(username, password);
    },
    async station(name, managers = []) {
      expectStatus(await call('POST', '/api/v1/stations', { body: { name } }), 201, `add station ${name}`);
      for (const username of managers) {
        expectStatus(
          await call('POST', `/api/v1/stations/${name}/managers`, { body: { username } }),
          200,
          `manager ${username}`,
        );
      }
    },
    async experiment(name, station, extra = {}) {
      const response = await call('POST', '/api/v1/experiments', { body: { name, station, ...extra } });
      expectStatus(response, 201, `add experiment ${name}`);
      return response.body;
    },
    async count(table) {
      const row = await app.context.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async close() {
      await app.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
