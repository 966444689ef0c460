/**
 * The experiment's members, as the database knows them, become ACL entries on its storage tree: when it is
 * made, when members change, and on restore-permissions.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';

const canTest = process.getuid?.() === 0 && hasCommand('setfacl') && hasCommand('useradd');
const skip = canTest ? false : 'needs root, setfacl and useradd';
if (skip && process.env.CI === 'true') throw new Error(`storage ACL tests cannot run in CI: ${skip}`);

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const getfacl = (path: string) =>
  execFileSync('getfacl', ['--omit-header', '--absolute-names', path], { encoding: 'utf8' });

describeBackends('storage ACLs from membership', (backend) => {
  let t: TestApp;
  const suffix = randomBytes(3).toString('hex');
  const accounts = [`dmt${suffix}a`, `dmt${suffix}b`, `dmt${suffix}c`];

  before(async () => {
    if (skip) return;
    for (const account of accounts)
      execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', account]);
    t = await createTestApp(backend);
    await t.user('alice', { unixAccount: accounts[0] });
    await t.user('bob', { unixAccount: accounts[1] });
    await t.user('ghost', { unixAccount: 'nosuchaccount' });
    await t.user('carol', { unixAccount: accounts[2] });
    await t.station('8-ID-I');
  });
  after(async () => {
    if (skip) return;
    await t.close();
    for (const account of accounts) execFileSync('userdel', [account]);
  });

  it('gives the members of a new experiment read access to its tree', { skip }, async () => {
    const experiment = await t.experiment('acl-1', '8-ID-I', { pi: 'alice' });
    assert.equal(t.app.context.permissions.mode, 'acl');
    const acl = getfacl(experiment.dataDirectory);
    assert.match(acl, new RegExp(`^user:${accounts[0]}:r-x$`, 'm'));
    assert.match(acl, new RegExp(`^default:user:${accounts[0]}:r-x$`, 'm'));
    assert.doesNotMatch(acl, new RegExp(`user:${accounts[1]}`));
  });

  it('follows membership changes', { skip }, async () => {
    const added = await t.call('POST', '/api/v1/experiments/acl-1/users', {
      body: { username: 'bob', role: 'user' },
    });
    assert.equal(added.status, 200);
    const { dataDirectory } = added.body;
    assert.match(getfacl(dataDirectory), new RegExp(`^user:${accounts[1]}:r-x$`, 'm'));
    await t.call('DELETE', '/api/v1/experiments/acl-1/users/alice');
    assert.doesNotMatch(getfacl(dataDirectory), new RegExp(`user:${accounts[0]}`));
  });

  it('follows station managers and unix accounts, in the background', { skip }, async () => {
    const { dataDirectory } = (await t.call('GET', '/api/v1/experiments/acl-1')).body;
    const eventually = async (test: (acl: string) => boolean, what: string) => {
      // Bounded by half a minute, not 5 s: the background work runs when a loaded machine lets it.
      for (let i = 0; i < 600; i++) {
        if (test(getfacl(dataDirectory))) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.fail(`${what}:\n${getfacl(dataDirectory)}`);
    };
    assert.equal(
      (await t.call('POST', '/api/v1/stations/8-ID-I/managers', { body: { username: 'carol' } })).status,
      200,
    );
    await eventually((acl) => acl.includes(`user:${accounts[2]}:r-x`), 'a new station manager can read');
    assert.equal((await t.call('PATCH', '/api/v1/users/bob', { body: { unixAccount: null } })).status, 200);
    await eventually(
      (acl) => !acl.includes(`user:${accounts[1]}:`),
      'a cleared unix account loses its entry',
    );
    await t.call('PATCH', '/api/v1/users/bob', { body: { unixAccount: accounts[1] } });
    await eventually((acl) => acl.includes(`user:${accounts[1]}:r-x`), 'and gets it back');
  });

  it('restores permissions on request, and names accounts the host does not know', { skip }, async () => {
    const experiment = (await t.call('GET', '/api/v1/experiments/acl-1')).body;
    execFileSync('setfacl', ['-b', experiment.dataDirectory]);
    const restored = await t.call('POST', '/api/v1/experiments/acl-1/storage/restore-permissions');
    assert.equal(restored.status, 200);
    assert.deepEqual(restored.body, {
      mode: 'acl',
      readers: [accounts[1], accounts[2]].sort(),
      warnings: [],
    });
    assert.match(getfacl(experiment.dataDirectory), new RegExp(`^user:${accounts[1]}:r-x$`, 'm'));

    await t.call('POST', '/api/v1/experiments/acl-1/users', { body: { username: 'ghost', role: 'user' } });
    const unknown = await t.call('POST', '/api/v1/experiments/acl-1/storage/restore-permissions');
    assert.equal(unknown.status, 409);
    assert.equal(unknown.body.error.code, 'unix_account_unknown');
    assert.deepEqual(unknown.body.error.details.accounts, ['nosuchaccount']);
  });
});
