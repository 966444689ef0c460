/**
 * The host's unix accounts, as the workflow engine (who a stage runs as) and storage permissions (whom an
 * ACL names) both look them up. Real NSS lookups: root always exists; accounts and groups made with useradd
 * and groupadd when the tests run as root (skipped otherwise, except under CI=true).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  isAccountName,
  lookupUnixAccount,
  lookupUnixAccounts,
  lookupUnixGroup,
  unixGroupIdsOf,
} from '../src/system/unix-accounts.ts';
import { runningAsRoot } from './support/unix-accounts.ts';

const run = promisify(execFile);
const inCi = process.env.CI === 'true' || process.env.CI === '1';
if (!runningAsRoot() && inCi) throw new Error('unix account tests need root in CI');

describe('unix accounts', () => {
  it('finds root with its uid, group and home', async () => {
    assert.deepEqual(await lookupUnixAccount('root'), { name: 'root', uid: 0, gid: 0, home: '/root' });
    assert.deepEqual(await lookupUnixGroup('root'), { name: 'root', gid: 0 });
    assert.ok((await unixGroupIdsOf('root')).includes(0));
  });

  it('answers nothing for an account or group that does not exist', async () => {
    const nobody = `dmtest_none_${randomBytes(3).toString('hex')}`;
    assert.equal(await lookupUnixAccount(nobody), undefined);
    assert.equal(await lookupUnixGroup(nobody), undefined);
    const found = await lookupUnixAccounts(['root', nobody]);
    assert.deepEqual([...found.keys()], ['root']);
    await assert.rejects(unixGroupIdsOf(nobody));
  });

  it('never takes a uid or an option for a name', async () => {
    // `getent passwd 0` would answer root's entry, `getent passwd -s x` would change the lookup's source.
    for (const name of ['0', '1000', '-s', '--help', '', 'a b', 'a:b', '../root'])
      assert.equal(isAccountName(name), false, name);
    assert.equal(await lookupUnixAccount('0'), undefined);
    assert.equal(await lookupUnixGroup('0'), undefined);
    assert.deepEqual([...(await lookupUnixAccounts(['0', '-s', 'root'])).keys()], ['root']);
    await assert.rejects(unixGroupIdsOf('-r'), /not a unix account name/);
    for (const name of ['asmith', 's8iddaq', 'a.b-c_d', 'machine$']) assert.equal(isAccountName(name), true);
  });

  describe('accounts made for the test', { skip: runningAsRoot() ? false : 'needs root (useradd)' }, () => {
    const suffix = randomBytes(3).toString('hex');
    const alice = `dmtest_${suffix}_ua_alice`;
    const bob = `dmtest_${suffix}_ua_bob`;
    const group = `dmtest_${suffix}_ua_grp`;

    before(async () => {
      await run('groupadd', [group]);
      await run('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', '--groups', group, alice]);
      await run('useradd', ['--create-home', '--shell', '/bin/sh', bob]);
    });
    after(async () => {
      for (const user of [alice, bob]) await run('userdel', ['--remove', user]).catch(() => undefined);
      await run('groupdel', [group]).catch(() => undefined);
    });

    it('looks several accounts up at once, each with its own uid and home', async () => {
      const accounts = await lookupUnixAccounts([alice, bob, alice]);
      assert.deepEqual([...accounts.keys()].sort(), [alice, bob].sort());
      const uid = async (name: string) => Number((await run('id', ['-u', name])).stdout.trim());
      assert.equal(accounts.get(alice)?.uid, await uid(alice));
      assert.equal(accounts.get(bob)?.uid, await uid(bob));
      assert.notEqual(accounts.get(alice)?.uid, accounts.get(bob)?.uid);
      assert.equal(accounts.get(bob)?.home, `/home/${bob}`);
      assert.deepEqual(await lookupUnixAccount(bob), accounts.get(bob));
    });

    it('knows the groups an account belongs to beyond its own', async () => {
      const shared = await lookupUnixGroup(group);
      assert.ok(shared);
      const alicesGroups = await unixGroupIdsOf(alice);
      assert.ok(alicesGroups.includes(shared.gid));
      const aliceAccount = await lookupUnixAccount(alice);
      assert.ok(aliceAccount);
      assert.ok(alicesGroups.includes(aliceAccount.gid));
      assert.equal((await unixGroupIdsOf(bob)).includes(shared.gid), false);
    });
  });
});
