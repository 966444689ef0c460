/**
 * Who a stage runs as: station lists, userAccount rules (no system, forbidden or root account without an
 * admin's leave and the setting), the check again at run time, and the APS files that keep working.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, it } from 'node:test';
import {
  type RunAsFacility,
  runAsFacility,
  skipUnlessRoot,
  uidOf,
  whoAmI,
} from './support/run-as-facility.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';
import { ensureUnixAccount } from './support/unix-accounts.ts';
import { until } from './support/wait.ts';

const skip = skipUnlessRoot;

describeBackends('who workflow stages run as', (backend) => {
  let t: TestApp;
  let tokens: RunAsFacility['tokens'];
  let upsert: RunAsFacility['upsert'];
  let finished: RunAsFacility['finished'];

  before(async () => {
    if (skip) return;
    ({ t, tokens, upsert, finished } = await runAsFacility(backend));
  });
  after(async () => {
    if (!skip) await t.close();
  });

  it('refuses system, forbidden, unknown and root accounts, on station lists and as userAccount', {
    skip,
  }, async () => {
    const system = existsAccount('postgres') ? ['daemon', 'postgres'] : ['daemon'];
    for (const account of [...system, 'root', 'nobodyhere', 'dmra-banned']) {
      const listed = await t.call('PUT', `/api/v1/stations/8-ID-I/accounts/${account}`);
      assert.equal(listed.status, 400, `${account}: ${JSON.stringify(listed.body)}`);
      assert.equal(listed.body.error.details.fields[0].field, 'account');
    }
    const byManager = await t.call('PUT', '/api/v1/stations/8-ID-I/accounts/dmra-s2b', {
      token: tokens.mgr8,
    });
    assert.equal(byManager.status, 403, 'only admins keep the lists');
    const refusals = [
      ...[...system, 'root', 'dmra-banned', 'dmra-s2b'].map((account) => [account, tokens.mgr8] as const),
      ...[...system, 'root', 'dmra-banned'].map((account) => [account, undefined] as const),
    ];
    for (const [userAccount, token] of refusals) {
      const refused = await upsert({ name: 'sneaky', owner: 'mgr8', userAccount, stages: whoAmI }, token);
      assert.equal(refused.status, 400, `${userAccount}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.error.code, 'workflow_invalid');
      assert.equal(refused.body.error.details.problems[0].path, 'userAccount');
    }
    // Admins may name an account on any station's list.
    assert.equal(
      (await upsert({ name: 'sneaky', owner: 'mgr8', userAccount: 'dmra-s2b', stages: whoAmI })).status,
      201,
    );
    const audit = await t.call('GET', '/api/v1/audit?action=station.add_account&limit=100');
    assert.ok(
      audit.body.items.some((e: { details: { account: string } }) => e.details.account === 'dmra-s8i'),
    );
  });

  it('runs as root only with DM_ALLOW_ROOT_STAGES and an admin’s leave for the workflow', {
    skip,
  }, async () => {
    const root = { name: 'as-root', owner: 'admin', userAccount: 'root', stages: whoAmI };
    const withoutSetting = await upsert(root, undefined, { allowRoot: true });
    assert.equal(withoutSetting.status, 400);
    assert.match(withoutSetting.body.error.message, /DM_ALLOW_ROOT_STAGES/);
    const permissive = await createTestApp(backend, { DM_ALLOW_ROOT_STAGES: 'yes' });
    try {
      const call = (body: unknown, token?: string) =>
        permissive.call('POST', '/api/v1/workflows', { body, token });
      const noLeave = await call({ definition: root });
      assert.equal(noLeave.status, 400);
      assert.match(noLeave.body.error.message, /allowRoot/);
      const user = await permissive.user('someone');
      const notAdmin = await call({ definition: { ...root, owner: 'someone' }, allowRoot: true }, user);
      assert.equal(notAdmin.status, 400);
      assert.equal(notAdmin.body.error.details.problems[0].path, 'allowRoot');
      assert.equal((await call({ definition: root, allowRoot: true })).status, 201);
      const started = await permissive.call('POST', '/api/v1/jobs', { body: { workflow: 'as-root' } });
      const job = await until(
        async () => {
          const read = (await permissive.call('GET', `/api/v1/jobs/${started.body.id}`)).body;
          return ['done', 'failed'].includes(read.status) && read;
        },
        { timeout: 60_000, message: 'the root job ended' },
      );
      assert.equal(job.uid, '0');
      const audit = await permissive.call('GET', '/api/v1/audit?action=workflow.upsert');
      assert.equal(audit.body.items[0].details.allowRoot, true);
    } finally {
      await permissive.close();
    }
  });

  it('runs stages as the upserter’s own account or a listed one, and checks the list again at run time', {
    skip,
  }, async () => {
    const own = await upsert({ name: 'mine', owner: 'mgr8', stages: whoAmI }, tokens.mgr8);
    assert.equal(own.status, 201);
    const listed = await upsert(
      { name: 'listed', owner: 'mgr8', userAccount: 'dmra-s8i', stages: whoAmI },
      tokens.mgr8,
    );
    assert.equal(listed.status, 201, JSON.stringify(listed.body));
    const run = async (workflow: string) => {
      const started = await t.call('POST', '/api/v1/jobs', {
        body: { workflow, owner: 'mgr8' },
        token: tokens.mgr8,
      });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      return await finished(started.body.id);
    };
    assert.equal(Number((await run('mine')).uid), uidOf('dmra-own'));
    assert.equal(Number((await run('listed')).uid), uidOf('dmra-s8i'));

    assert.equal((await t.call('DELETE', '/api/v1/stations/8-ID-I/accounts/dmra-s8i')).status, 200);
    try {
      const refused = await run('listed');
      assert.equal(refused.status, 'failed');
      assert.match(refused.errorMessage, /may not run as "dmra-s8i": no station lists it/);
      assert.equal(Object.keys(refused.stages).length, 0, 'no stage ran');
    } finally {
      await t.call('PUT', '/api/v1/stations/8-ID-I/accounts/dmra-s8i');
    }
  });

  it('refuses userAccount when every stage runs as the server (DM_STAGE_SWITCH=none)', { skip }, async () => {
    const personal = await createTestApp(backend, { DM_STAGE_SWITCH: 'none' });
    try {
      const definition = { name: 'named', owner: 'admin', userAccount: 'dmra-s8i', stages: whoAmI };
      const refused = await personal.call('POST', '/api/v1/workflows', { body: { definition } });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.details.problems[0].path, 'userAccount');
      assert.match(refused.body.error.message, /DM_STAGE_SWITCH=none/);
    } finally {
      await personal.close();
    }
  });

  it('upserts the APS example unchanged for a manager of a station that lists s25idcuser', {
    skip,
  }, async () => {
    ensureUnixAccount('s25idcuser');
    const fixture = JSON.parse(
      readFileSync(new URL('./fixtures/aps-workflows/example-01.json', import.meta.url), 'utf8'),
    );
    const mgr25 = await t.user('mgr25');
    await t.station('25-ID-C', ['mgr25']);
    assert.equal((await upsert(fixture, mgr25)).status, 403, 'not before the account is on the list');
    await t.call('PUT', '/api/v1/stations/25-ID-C/accounts/s25idcuser');
    const stored = await upsert(fixture, mgr25);
    assert.equal(stored.status, 201, JSON.stringify(stored.body));
    assert.equal(stored.body.userAccount, 's25idcuser');
    assert.equal(stored.body.owner, 's25idcuser');
  });
});

function existsAccount(name: string): boolean {
  try {
    execFileSync('getent', ['passwd', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
