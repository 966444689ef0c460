/**
 * The set-up of a SIGKILL story: a temporary directory and a database of the suite's own, the real server
 * started on them (and killed and started again by the story), and after the suite every server it started
 * killed and both removed. Call it in a `describeBackends` body: it registers the `before` and `after` hooks.
 *
 * @example
 * describeBackends('DAQ under SIGKILL', (backend) => {
 *   const story = serverStory(backend, 'dm-daq-crash-');
 *   it('loses no file', async () => {
 *     let server = await story.start();
 *     const token = await story.login(server);
 *     await server.kill();
 *     server = await story.start();
 *   });
 * });
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { api, type ServerProcess, startServerProcess } from './server-process.ts';
import { adminPassword } from './test-app.ts';
import { type Backend, createTestDatabase, type TestDatabase } from './test-database.ts';

export interface StartOptions {
  /** The server's `--data-dir`, below the story's root. Default: `data`. */
  dataDirectory?: string;
  /** More `dm serve` arguments. */
  args?: string[];
  /** More environment variables (the admin's password is always set). */
  env?: Record<string, string>;
}

export interface ServerStory {
  /** The suite's temporary directory (from its `before` on). */
  readonly root: string;
  /** The default data directory of the servers started: `data` below the root. */
  readonly dataDirectory: string;
  /** Every server started, in order (for their output when a story fails). */
  readonly started: readonly ServerProcess[];
  /** Starts a server on the story's database; started servers still running at the end are killed. */
  start(options?: StartOptions): Promise<ServerProcess>;
  /** The admin's token from `server`. */
  login(server: ServerProcess): Promise<string>;
}

export function serverStory(backend: Backend, prefix: string): ServerStory {
  let root: string | undefined;
  let database: TestDatabase | undefined;
  const started: ServerProcess[] = [];
  const made = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the server story is used before its before hook ran');
    return value;
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), prefix));
    database = await createTestDatabase(backend);
  });
  after(async () => {
    for (const server of started) await server.kill();
    await database?.drop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  return {
    get root() {
      return made(root);
    },
    get dataDirectory() {
      return join(made(root), 'data');
    },
    started,
    async start({ dataDirectory = 'data', args = [], env = {} } = {}) {
      const server = await startServerProcess(
        ['--data-dir', join(made(root), dataDirectory), '--database-url', made(database).url, ...args],
        { DM_ADMIN_PASSWORD: adminPassword, ...env },
      );
      started.push(server);
      return server;
    },
    async login(server) {
      const response = await api(server.url, 'POST', '/api/v1/auth/login', null, {
        username: 'admin',
        password: adminPassword,
      });
      return response.body.token as string;
    },
  };
}
