/**
 * What ends a signed-in client's access, and how fast: a revoked token, a disabled account or an expired
 * token closes an open event stream within seconds, even when nothing is published and even when the
 * revocation happens in another api process on the same database; a new password signs out the user's other
 * sessions; answers carrying a token are never cached.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { type App, createApp } from '../src/app.ts';
import { loadSettings } from '../src/settings/settings.ts';
import { openEventStream } from './support/event-stream.ts';
import { type TempDir, tempDir } from './support/temp-dir.ts';
import { adminPassword, createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';

/** A bound on "within seconds", generous for a busy machine; the server checks every 2 s. */
const closesWithinMs = 15_000;

async function endsWithin(ended: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const result = await Promise.race([ended.then(() => true), timedOut]);
  clearTimeout(timer);
  return result;
}

describeBackends('ending sessions', (backend) => {
  let t: TestApp;
  let other: App;
  let root: TempDir;
  let url: string;

  before(async () => {
    // Polling is slowed down so that only the stream's own token check can end it.
    t = await createTestApp(backend, {}, { events: { pollMs: 3_600_000, heartbeatMs: 60_000 } });
    url = await t.app.http.listen({ host: '127.0.0.1', port: 0 });
    // A second api process on the same database, where revocations happen.
    root = await tempDir('dm-sessions-');
    other = await createApp({
      settings: loadSettings({
        flags: {
          dataDir: join(root.path, 'other'),
          storageRoot: t.storageRoot,
          databaseUrl: t.app.context.settings.databaseUrl,
          logLevel: 'silent',
        },
        env: { DM_ADMIN_PASSWORD: adminPassword },
      }),
    });
  });
  after(async () => {
    await other?.close();
    await t.close();
    await root?.remove();
  });

  const onOther = async (method: string, path: string, token: string, body?: unknown) => {
    const response = await other.http.inject({
      method: method as 'POST',
      url: path,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      payload: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
  };

  it('should close an event stream within seconds of its token being revoked in another process', async () => {
    const session = await t.user('rita');
    const issued = await t.call('POST', '/api/v1/tokens', { token: session, body: { name: 'stream' } });
    assert.equal(issued.status, 201);
    const stream = await openEventStream(url, issued.body.token);
    assert.equal(stream.status, 200);
    const revoked = await onOther('DELETE', `/api/v1/tokens/${issued.body.id}`, session);
    assert.equal(revoked.status, 204, JSON.stringify(revoked.body));
    assert.ok(await endsWithin(stream.ended, closesWithinMs), 'the stream stayed open after the revocation');
    stream.close();
  });

  it('should close an event stream within seconds of its user being disabled', async () => {
    const session = await t.user('dora');
    const stream = await openEventStream(url, session);
    assert.equal(stream.status, 200);
    const disabled = await onOther('PATCH', '/api/v1/users/dora', t.adminToken, { disabled: true });
    assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
    assert.ok(await endsWithin(stream.ended, closesWithinMs), 'the stream stayed open after disabling');
    stream.close();
  });

  it('should close an event stream within seconds of its token expiring', async () => {
    const session = await t.user('ezra');
    const issued = await t.call('POST', '/api/v1/tokens', {
      token: session,
      body: { name: 'short', expiresIn: '3s' },
    });
    assert.equal(issued.status, 201);
    const stream = await openEventStream(url, issued.body.token);
    assert.equal(stream.status, 200);
    assert.ok(await endsWithin(stream.ended, 3_000 + closesWithinMs), 'the stream outlived its token');
    stream.close();
  });

  it('should sign out the other sessions of a user whose password changes, and say how many', async () => {
    const first = await t.user('paul');
    const login = () =>
      t.call('POST', '/api/v1/auth/login', {
        token: null,
        body: { username: 'paul', password: 'paul-password' },
      });
    const second = (await login()).body.token as string;
    const apiToken = (await t.call('POST', '/api/v1/tokens', { token: first, body: { name: 'daq' } })).body
      .token as string;

    const changed = await t.call('PATCH', '/api/v1/users/paul', {
      token: first,
      body: { password: 'a-brand-new-password' },
    });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body.sessionsRevoked, 1);
    assert.equal((await t.call('GET', '/api/v1/auth/whoami', { token: second })).status, 401);
    // The session that made the change, and the API token a DAQ agent runs on, stay valid.
    assert.equal((await t.call('GET', '/api/v1/auth/whoami', { token: first })).status, 200);
    assert.equal((await t.call('GET', '/api/v1/auth/whoami', { token: apiToken })).status, 200);

    // An admin resetting the password signs out every session of the user.
    const third = (
      await t.call('POST', '/api/v1/auth/login', {
        token: null,
        body: { username: 'paul', password: 'a-brand-new-password' },
      })
    ).body.token as string;
    const reset = await t.call('PATCH', '/api/v1/users/paul', { body: { password: 'reset-by-the-admin' } });
    assert.equal(reset.status, 200);
    assert.equal(reset.body.sessionsRevoked, 2);
    for (const token of [first, third])
      assert.equal((await t.call('GET', '/api/v1/auth/whoami', { token })).status, 401);
    assert.equal((await t.call('GET', '/api/v1/auth/whoami', { token: apiToken })).status, 200);
    // Other changes leave sessions alone and do not mention them.
    const renamed = await t.call('PATCH', '/api/v1/users/paul', { body: { displayName: 'Paul' } });
    assert.equal(renamed.body.sessionsRevoked, undefined);
  });

  it('should tell caches not to keep answers that carry a token', async () => {
    const login = await t.call('POST', '/api/v1/auth/login', {
      token: null,
      body: { username: 'admin', password: adminPassword },
    });
    assert.equal(login.status, 200);
    assert.equal(login.headers['cache-control'], 'no-store');
    const refused = await t.call('POST', '/api/v1/auth/login', {
      token: null,
      body: { username: 'admin', password: 'wrong-password' },
    });
    assert.equal(refused.headers['cache-control'], 'no-store');
    const created = await t.call('POST', '/api/v1/tokens', { body: { name: 'script' } });
    assert.equal(created.status, 201);
    assert.equal(created.headers['cache-control'], 'no-store');
  });
});
