import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { productionHashCost, setHashCostForTests } from '../src/auth/passwords.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';

describeBackends('sign-in and tokens', (backend) => {
  let t: TestApp;
  before(async () => {
    // This file checks the hashes people's passwords get: at the cost a real server uses.
    setHashCostForTests(productionHashCost);
    t = await createTestApp(backend);
    await t.user('alice');
  });
  after(() => t.close());

  it('signs in with a password and says who you are', async () => {
    const login = await t.call('POST', '/api/v1/auth/login', {
      token: null,
      body: { username: 'alice', password: 'alice-password' },
    });
    assert.equal(login.status, 200);
    assert.match(login.body.token, /^dm_[A-Za-z0-9_-]{43}$/);
    assert.equal(login.body.kind, 'session');
    assert.ok(
      Date.parse(login.body.expiresAt) > Date.now() + 29 * 86_400_000,
      'sessions last DM_SESSION_TTL (30d)',
    );
    const whoami = await t.call('GET', '/api/v1/auth/whoami', { token: login.body.token });
    assert.equal(whoami.body.username, 'alice');
    assert.equal(whoami.body.isAdmin, false);
  });

  it('refuses a wrong password or an unknown user alike', async () => {
    for (const body of [
      { username: 'alice', password: 'wrong-password' },
      { username: 'nobody', password: 'alice-password' },
    ]) {
      const response = await t.call('POST', '/api/v1/auth/login', { token: null, body });
      assert.equal(response.status, 401);
      assert.equal(response.body.error.code, 'invalid_credentials');
    }
  });

  it('stores passwords and tokens only as hashes', async () => {
    const user = await t.app.context.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', 'alice')
      .executeTakeFirstOrThrow();
    assert.match(user.password_hash ?? '', /^scrypt\$32768\$8\$1\$/);
    assert.ok(!(user.password_hash ?? '').includes('alice-password'));
    const hashes = await t.app.context.db.selectFrom('api_tokens').select('token_hash').execute();
    assert.ok(hashes.every((row) => /^[0-9a-f]{64}$/.test(row.token_hash)));
    assert.ok(!hashes.some((row) => row.token_hash.includes(t.adminToken)));
  });

  it('creates, lists and revokes API tokens; a revoked token stops working', async () => {
    const created = await t.call('POST', '/api/v1/tokens', {
      body: { name: 'beamline-script', expiresIn: '90d' },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.kind, 'api');
    const token = created.body.token;
    assert.equal((await t.call('GET', '/api/v1/auth/whoami', { token })).status, 200);
    const listed = await t.call('GET', '/api/v1/tokens');
    assert.ok(
      listed.body.items.some(
        (item: { name: string; token?: string }) => item.name === 'beamline-script' && !item.token,
      ),
    );
    assert.equal((await t.call('DELETE', `/api/v1/tokens/${created.body.id}`)).status, 204);
    const after = await t.call('GET', '/api/v1/auth/whoami', { token });
    assert.equal(after.status, 401);
    assert.equal((await t.call('DELETE', `/api/v1/tokens/${created.body.id}`)).status, 404);
  });

  it('refuses an expired token', async () => {
    const created = await t.call('POST', '/api/v1/tokens', { body: { name: 'short' } });
    await t.app.context.db
      .updateTable('api_tokens')
      .set({ expires_at: '2000-01-01T00:00:00.000Z' })
      .where('id', '=', created.body.id)
      .execute();
    const response = await t.call('GET', '/api/v1/auth/whoami', { token: created.body.token });
    assert.equal(response.status, 401);
  });

  it('logs out by revoking the token used', async () => {
    const login = await t.call('POST', '/api/v1/auth/login', {
      token: null,
      body: { username: 'alice', password: 'alice-password' },
    });
    assert.equal((await t.call('POST', '/api/v1/auth/logout', { token: login.body.token })).status, 204);
    assert.equal((await t.call('GET', '/api/v1/auth/whoami', { token: login.body.token })).status, 401);
  });

  it('locks out a disabled user at once, and lets them back when enabled', async () => {
    const token = await t.user('dave');
    const disabled = await t.call('PATCH', '/api/v1/users/dave', { body: { disabled: true } });
    assert.equal(disabled.body.disabled, true);
    assert.equal(
      (await t.call('GET', '/api/v1/auth/whoami', { token })).status,
      401,
      'existing tokens are revoked',
    );
    const login = await t.call('POST', '/api/v1/auth/login', {
      token: null,
      body: { username: 'dave', password: 'dave-password' },
    });
    assert.equal(login.status, 401);
    await t.call('PATCH', '/api/v1/users/dave', { body: { disabled: false } });
    const again = await t.call('POST', '/api/v1/auth/login', {
      token: null,
      body: { username: 'dave', password: 'dave-password' },
    });
    assert.equal(again.status, 200);
  });

  it('never leaves the system without an active admin', async () => {
    const demote = await t.call('PATCH', '/api/v1/users/admin', { body: { isAdmin: false } });
    assert.equal(demote.status, 409);
    assert.equal(demote.body.error.code, 'last_admin');
    const disable = await t.call('PATCH', '/api/v1/users/admin', { body: { disabled: true } });
    assert.equal(disable.status, 409);
    await t.call('PATCH', '/api/v1/users/alice', { body: { isAdmin: true } });
    const nowAllowed = await t.call('PATCH', '/api/v1/users/alice', { body: { isAdmin: false } });
    assert.equal(nowAllowed.status, 200);
  });
});

describeBackends('first start', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(backend, { DM_ADMIN_PASSWORD: '' });
  });
  after(() => t.close());

  it('generates the admin password, reports it once and keeps it in a 0600 file', async () => {
    // The test app signs in with DM_ADMIN_PASSWORD; here it is empty, so the account got a generated one.
    const { generatedPassword, passwordFile } = t.app.admin;
    assert.ok(generatedPassword && generatedPassword.length >= 20);
    assert.equal(passwordFile, join(t.dataDir, 'admin-password'));
    assert.ok(passwordFile);
    assert.equal(readFileSync(passwordFile, 'utf8').trim(), generatedPassword);
    assert.equal(statSync(passwordFile).mode & 0o777, 0o600);
    const login = await t.call('POST', '/api/v1/auth/login', {
      token: null,
      body: { username: 'admin', password: generatedPassword },
    });
    assert.equal(login.status, 200);
  });
});
