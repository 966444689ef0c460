/**
 * The whole authorization matrix: admins do everything; a station's managers run its experiments; an
 * experiment's PI and users read it; nobody else learns that it exists.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';

type Role = 'admin' | 'manager' | 'otherManager' | 'pi' | 'member' | 'outsider';
const roles: Role[] = ['admin', 'manager', 'otherManager', 'pi', 'member', 'outsider'];

describeBackends('authorization', (backend) => {
  let t: TestApp;
  const tokens = {} as Record<Role, string>;

  before(async () => {
    t = await createTestApp(backend);
    tokens.admin = t.adminToken;
    tokens.manager = await t.user('mia');
    tokens.otherManager = await t.user('oscar');
    tokens.pi = await t.user('paula');
    tokens.member = await t.user('umar');
    tokens.outsider = await t.user('olga');
    await t.station('8-ID-I', ['mia']);
    await t.station('2-BM', ['oscar']);
    await t.experiment('secret-exp', '8-ID-I', { pi: 'paula', users: ['umar'] });
    await t.experiment('other-exp', '2-BM');
  });
  after(() => t.close());

  async function statuses(request: (role: Role) => Promise<number>): Promise<Record<Role, number>> {
    const result = {} as Record<Role, number>;
    for (const role of roles) result[role] = await request(role);
    return result;
  }

  it('lets only admins, the station managers and members read an experiment', async () => {
    const seen = await statuses(
      async (role) => (await t.call('GET', '/api/v1/experiments/secret-exp', { token: tokens[role] })).status,
    );
    assert.deepEqual(seen, {
      admin: 200,
      manager: 200,
      otherManager: 404,
      pi: 200,
      member: 200,
      outsider: 404,
    });
  });

  it("shows a station's manager its experiment even when it has no members yet", async () => {
    const shown = await t.call('GET', '/api/v1/experiments/other-exp', { token: tokens.otherManager });
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.body.users, []);
    assert.equal(
      (await t.call('GET', '/api/v1/experiments/other-exp', { token: tokens.manager })).status,
      404,
    );
  });

  it('lists to each person exactly the experiments they may see', async () => {
    const lists = {} as Record<Role, string[]>;
    for (const role of roles) {
      const response = await t.call('GET', '/api/v1/experiments', { token: tokens[role] });
      lists[role] = response.body.items.map((e: { name: string }) => e.name);
    }
    assert.deepEqual(lists, {
      admin: ['other-exp', 'secret-exp'],
      manager: ['secret-exp'],
      otherManager: ['other-exp'],
      pi: ['secret-exp'],
      member: ['secret-exp'],
      outsider: [],
    });
  });

  it('lets only admins and the station managers change an experiment or its members', async () => {
    const patch = await statuses(
      async (role) =>
        (
          await t.call('PATCH', '/api/v1/experiments/secret-exp', {
            token: tokens[role],
            body: { description: role },
          })
        ).status,
    );
    assert.deepEqual(patch, {
      admin: 200,
      manager: 200,
      otherManager: 404,
      pi: 403,
      member: 403,
      outsider: 404,
    });
    const members = await statuses(
      async (role) =>
        (
          await t.call('POST', '/api/v1/experiments/secret-exp/users', {
            token: tokens[role],
            body: { username: 'umar', role: 'user' },
          })
        ).status,
    );
    assert.deepEqual(members, {
      admin: 200,
      manager: 200,
      otherManager: 404,
      pi: 403,
      member: 403,
      outsider: 404,
    });
    const start = await statuses(async (role) => {
      const status = (await t.call('POST', '/api/v1/experiments/secret-exp/start', { token: tokens[role] }))
        .status;
      if (status === 200) await t.call('POST', '/api/v1/experiments/secret-exp/stop');
      return status === 409 ? 200 : status;
    });
    assert.deepEqual(start, {
      admin: 200,
      manager: 200,
      otherManager: 404,
      pi: 403,
      member: 403,
      outsider: 404,
    });
  });

  it('lets only admins and the station managers create experiments at a station', async () => {
    const created = await statuses(
      async (role) =>
        (
          await t.call('POST', '/api/v1/experiments', {
            token: tokens[role],
            body: { name: `by-${role}`, station: '8-ID-I' },
          })
        ).status,
    );
    assert.deepEqual(created, {
      admin: 201,
      manager: 201,
      otherManager: 403,
      pi: 403,
      member: 403,
      outsider: 403,
    });
    const imported = await statuses(
      async (role) =>
        (
          await t.call('POST', '/api/v1/experiments/import', {
            token: tokens[role],
            body: { experiments: [{ name: `imported-by-${role}`, station: '8-ID-I' }] },
          })
        ).status,
    );
    assert.deepEqual(imported, {
      admin: 200,
      manager: 200,
      otherManager: 403,
      pi: 403,
      member: 403,
      outsider: 403,
    });
  });

  it('lets only admins and the station managers delete an experiment', async () => {
    const deleted = await statuses(async (role) => {
      await t.experiment(`doomed-${role}`, '8-ID-I', { users: ['umar'] });
      return (await t.call('DELETE', `/api/v1/experiments/doomed-${role}`, { token: tokens[role] })).status;
    });
    assert.deepEqual(deleted, {
      admin: 204,
      manager: 204,
      otherManager: 404,
      pi: 404,
      member: 403,
      outsider: 404,
    });
  });

  it('keeps accounts, stations and experiment types in admin hands', async () => {
    const addUser = await statuses(
      async (role) =>
        (await t.call('POST', '/api/v1/users', { token: tokens[role], body: { username: `new-${role}` } }))
          .status,
    );
    assert.deepEqual(addUser, {
      admin: 201,
      manager: 403,
      otherManager: 403,
      pi: 403,
      member: 403,
      outsider: 403,
    });
    const addStation = await statuses(
      async (role) =>
        (await t.call('POST', '/api/v1/stations', { token: tokens[role], body: { name: `st-${role}` } }))
          .status,
    );
    assert.deepEqual(addStation, {
      admin: 201,
      manager: 403,
      otherManager: 403,
      pi: 403,
      member: 403,
      outsider: 403,
    });
    const addManager = await statuses(
      async (role) =>
        (
          await t.call('POST', '/api/v1/stations/8-ID-I/managers', {
            token: tokens[role],
            body: { username: 'olga' },
          })
        ).status,
    );
    assert.deepEqual(addManager, {
      admin: 200,
      manager: 403,
      otherManager: 403,
      pi: 403,
      member: 403,
      outsider: 403,
    });
    await t.call('DELETE', '/api/v1/stations/8-ID-I/managers/olga');
    const addType = await statuses(
      async (role) =>
        (
          await t.call('POST', '/api/v1/experiment-types', {
            token: tokens[role],
            body: { name: `type-${role}` },
          })
        ).status,
    );
    assert.deepEqual(addType, {
      admin: 201,
      manager: 403,
      otherManager: 403,
      pi: 403,
      member: 403,
      outsider: 403,
    });
    const readStations = await statuses(
      async (role) => (await t.call('GET', '/api/v1/stations', { token: tokens[role] })).status,
    );
    assert.deepEqual(readStations, {
      admin: 200,
      manager: 200,
      otherManager: 200,
      pi: 200,
      member: 200,
      outsider: 200,
    });
  });

  it('shows user accounts to admins and managers, and to each user their own', async () => {
    const seeOther = await statuses(
      async (role) => (await t.call('GET', '/api/v1/users/paula', { token: tokens[role] })).status,
    );
    assert.deepEqual(seeOther, {
      admin: 200,
      manager: 200,
      otherManager: 200,
      pi: 200,
      member: 404,
      outsider: 404,
    });
    const listed = await t.call('GET', '/api/v1/users', { token: tokens.outsider });
    assert.deepEqual(
      listed.body.items.map((u: { username: string }) => u.username),
      ['olga'],
    );
    const ownEmail = await t.call('PATCH', '/api/v1/users/olga', {
      token: tokens.outsider,
      body: { email: 'olga@example.org' },
    });
    assert.equal(ownEmail.status, 200);
    const selfPromotion = await t.call('PATCH', '/api/v1/users/olga', {
      token: tokens.outsider,
      body: { isAdmin: true },
    });
    assert.equal(selfPromotion.status, 403);
    const otherAccount = await t.call('PATCH', '/api/v1/users/umar', {
      token: tokens.manager,
      body: { email: 'x@example.org' },
    });
    assert.equal(otherAccount.status, 403);
  });

  it('shows the audit log to admins whole, to managers for their stations, to nobody else', async () => {
    const read = await statuses(
      async (role) => (await t.call('GET', '/api/v1/audit', { token: tokens[role] })).status,
    );
    assert.deepEqual(read, {
      admin: 200,
      manager: 200,
      otherManager: 200,
      pi: 403,
      member: 403,
      outsider: 403,
    });
    const managerView = await t.call('GET', '/api/v1/audit?limit=1000', { token: tokens.manager });
    const stations = new Set(managerView.body.items.map((e: { stationName: string }) => e.stationName));
    assert.deepEqual([...stations], ['8-ID-I']);
  });

  it('keeps tokens to their owners', async () => {
    const created = await t.call('POST', '/api/v1/tokens', {
      token: tokens.member,
      body: { name: 'script' },
    });
    assert.equal(created.status, 201);
    const stranger = await t.call('DELETE', `/api/v1/tokens/${created.body.id}`, { token: tokens.outsider });
    assert.equal(stranger.status, 404);
    const listAll = await t.call('GET', '/api/v1/tokens?all=true', { token: tokens.member });
    assert.equal(listAll.status, 403);
    const own = await t.call('DELETE', `/api/v1/tokens/${created.body.id}`, { token: tokens.member });
    assert.equal(own.status, 204);
  });

  it('answers 401 to every API call without a valid token', async () => {
    const calls: [string, string][] = [
      ['GET', '/api/v1/experiments'],
      ['GET', '/api/v1/experiments/secret-exp'],
      ['POST', '/api/v1/experiments'],
      ['DELETE', '/api/v1/experiments/secret-exp'],
      ['GET', '/api/v1/users'],
      ['POST', '/api/v1/stations'],
      ['GET', '/api/v1/audit'],
      ['GET', '/api/v1/tokens'],
      ['GET', '/api/v1/auth/whoami'],
    ];
    for (const [method, url] of calls) {
      for (const token of [null, 'dm_not-a-real-token']) {
        const response = await t.call(method, url, { token, body: method === 'POST' ? {} : undefined });
        assert.equal(response.status, 401, `${method} ${url}`);
        assert.equal(response.body.error.code, 'unauthenticated');
      }
    }
  });
});
