/**
 * Two api processes on one PostgreSQL database, started at the same moment, serve the same data: the
 * migration lock and the admin bootstrap hold under the race, and a change made through one is seen by the
 * other. (The embedded SQLite default is one process by design.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { api, type ServerProcess, startServerProcess } from '../support/server-process.ts';
import { adminPassword } from '../support/test-app.ts';
import { createTestDatabase, describeBackends } from '../support/test-database.ts';

describeBackends('two api processes', (backend) => {
  if (backend !== 'postgres') return;
  let root: string;
  let database: { url: string; drop(): Promise<void> };
  let servers: ServerProcess[] = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'dm-multi-'));
    // A fresh, unmigrated database, so both processes race to migrate it.
    database = await createTestDatabase('postgres', { migrated: false });
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.kill()));
    await database.drop();
    rmSync(root, { recursive: true, force: true });
  });

  it('serve the same data from one PostgreSQL database', async () => {
    const storage = join(root, 'storage');
    servers = await Promise.all(
      ['host-a', 'host-b'].map((host) =>
        startServerProcess(
          ['--data-dir', join(root, host), '--storage-root', storage, '--database-url', database.url],
          {
            DM_ADMIN_PASSWORD: adminPassword,
          },
        ),
      ),
    );
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const token = (
      await api(a.url, 'POST', '/api/v1/auth/login', null, { username: 'admin', password: adminPassword })
    ).body.token;
    assert.ok(token, 'the admin account exists once and signs in');

    assert.equal((await api(a.url, 'POST', '/api/v1/stations', token, { name: '8-ID-I' })).status, 201);
    assert.equal(
      (await api(b.url, 'POST', '/api/v1/experiments', token, { name: 'shared', station: '8-ID-I' })).status,
      201,
    );
    const fromA = await api(a.url, 'GET', '/api/v1/experiments/shared', token);
    const fromB = await api(b.url, 'GET', '/api/v1/experiments/shared', token);
    assert.equal(fromA.status, 200);
    assert.deepEqual(fromA.body, fromB.body);
    const duplicate = await api(a.url, 'POST', '/api/v1/experiments', token, {
      name: 'shared',
      station: '8-ID-I',
    });
    assert.equal(duplicate.status, 409);

    const admins = await api(b.url, 'GET', '/api/v1/users?search=admin', token);
    assert.equal(admins.body.items.length, 1);
    const created = await api(a.url, 'GET', '/api/v1/audit?action=user.create&user=system', token);
    assert.equal(created.body.items.length, 1, 'one process created the admin');
    for (const server of servers) assert.equal(await server.stop(), 0);
  });
});
