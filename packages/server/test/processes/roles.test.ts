/**
 * `dm serve --roles`: a facility splits the roles across processes sharing one PostgreSQL database. An
 * api-only process serves the API and runs no job; a process without the api role listens nowhere and runs
 * the jobs the api process accepted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadSettings, SettingsError } from '../../src/settings/settings.ts';
import { api, type ServerProcess, startServerProcess } from '../support/server-process.ts';
import { adminPassword } from '../support/test-app.ts';
import { createTestDatabase, describeBackends } from '../support/test-database.ts';
import { readUntil } from '../support/wait.ts';

describe('--roles', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadSettings({ env, cwd: tmpdir() });
      return [];
    } catch (error) {
      assert.ok(error instanceof SettingsError, String(error));
      return error.problems;
    }
  };

  it('runs every role by default, or the ones named', () => {
    assert.deepEqual(
      [...loadSettings({ env: {}, cwd: tmpdir() }).roles],
      ['api', 'jobs', 'transfers', 'retention'],
    );
    const postgres = { DM_DATABASE_URL: 'postgres://dm@127.0.0.1/dm' };
    assert.deepEqual(
      [...loadSettings({ env: { ...postgres, DM_ROLES: ' api, jobs ' } }).roles],
      ['api', 'jobs'],
    );
    assert.equal(loadSettings({ env: { DM_ROLES: 'all' } }).roles.size, 4);
  });

  it('refuses an unknown role, an empty list, and a split on SQLite', () => {
    assert.match(
      problems({ DM_ROLES: 'api,scheduler' }).join(),
      /DM_ROLES: unknown role "scheduler" \(roles: api, jobs, transfers, retention, or all\)/,
    );
    assert.match(problems({ DM_ROLES: ' , ' }).join(), /DM_ROLES: no role given/);
    assert.match(
      problems({ DM_ROLES: 'api' }).join(),
      /DM_ROLES: running only some roles \(api\) needs PostgreSQL/,
    );
  });
});

describeBackends('roles split across processes', (backend) => {
  if (backend !== 'postgres') return;
  let root: string;
  let database: { url: string; drop(): Promise<void> };
  const servers: ServerProcess[] = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'dm-roles-'));
    database = await createTestDatabase('postgres');
  });
  after(async () => {
    for (const server of servers) await server.kill();
    await database.drop();
    rmSync(root, { recursive: true, force: true });
  });

  const start = async (name: string, roles: string) => {
    const server = await startServerProcess(
      [
        '--data-dir',
        join(root, name),
        '--storage-root',
        join(root, 'storage'),
        '--database-url',
        database.url,
        '--roles',
        roles,
      ],
      { DM_ADMIN_PASSWORD: adminPassword, DM_STAGE_SWITCH: 'none' },
    );
    servers.push(server);
    return server;
  };

  it('accepts a job in the api process and runs it in the jobs process', async () => {
    const front = await start('front', 'api');
    const health = await api(front.url, 'GET', '/api/health', null);
    assert.deepEqual(health.body.roles, ['api']);
    const token = (
      await api(front.url, 'POST', '/api/v1/auth/login', null, { username: 'admin', password: adminPassword })
    ).body.token as string;
    const workflow = await api(front.url, 'POST', '/api/v1/workflows', token, {
      definition: { name: 'hello', owner: 'admin', stages: { say: { command: 'echo split-roles' } } },
    });
    assert.equal(workflow.status, 201, JSON.stringify(workflow.body));
    const job = await api(front.url, 'POST', '/api/v1/jobs', token, { workflow: 'hello', owner: 'admin' });
    assert.equal(job.status, 201, JSON.stringify(job.body));
    assert.equal(job.body.status, 'pending');

    const back = await start('back', 'jobs,transfers,retention');
    assert.equal(back.url, '', 'a process without the api role listens nowhere');
    assert.match(
      back.output(),
      /Photon DM running jobs, transfers, retention \(no HTTP: the api role is off\)/,
    );

    const status = await readUntil(
      async () => (await api(front.url, 'GET', `/api/v1/jobs/${job.body.id}`, token)).body.status as string,
      (status) => ['done', 'failed'].includes(status),
      { timeout: 60_000, interval: 100 },
    );
    assert.equal(status, 'done', back.output());
    const logs = await api(front.url, 'GET', `/api/v1/jobs/${job.body.id}/logs`, token);
    assert.match(JSON.stringify(logs.body), /split-roles/);
  });
});
