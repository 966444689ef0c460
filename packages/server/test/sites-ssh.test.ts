/**
 * A Slurm site reached over SSH, as a facility reaches a supercomputer's login node: a real sshd on a
 * loopback port in front of the real one-node Slurm cluster. Commands and their values arrive as data, the
 * host key is pinned, and a refused key or a vanished login node is the site's fault (retried), never a
 * stage's.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { SiteUnavailableError } from '../src/sites/adapter.ts';
import { createSshCommandRunner } from '../src/sites/ssh-runner.ts';
import { hostileValues } from './support/hostile-values.ts';
import { describeSlurm, type SlurmCluster, startSlurmCluster } from './support/slurm-cluster.ts';
import { type Sshd, sshdSkipReason, startSshd } from './support/sshd.ts';
import { type TempDir, tempDir } from './support/temp-dir.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

const skip = sshdSkipReason();

describeSlurm('a Slurm site over SSH', () => {
  let cluster: SlurmCluster;
  let sshd: Sshd;
  let scratch: TempDir;
  let t: TestApp;

  before(async () => {
    if (skip !== undefined) return;
    cluster = await startSlurmCluster();
    // The login node's own configuration: its sessions find the cluster as a real login node's do.
    sshd = await startSshd(cluster.environment);
    scratch = await tempDir('dm-ssh-');
    t = await createTestApp('sqlite');
  });
  after(async () => {
    await t?.close();
    await sshd?.stop();
    await cluster?.stop();
    await scratch?.remove();
  });

  const runner = (identityFile = sshd.identityFile) =>
    createSshCommandRunner({ host: sshd.host, identityFile, knownHostsFile: join(scratch.path, 'known') });

  it('runs a command there with its arguments, environment and input as data, and pins the host key', {
    skip,
  }, async () => {
    const values = hostileValues({ newlines: false });
    const result = await runner().run(
      ['sh', '-c', 'printf "%s\\n" "$@"; printf "%s|" "$PDM_V"; cat', '-', ...values],
      {
        env: { PDM_V: 'it\'s $(rm -rf /) `x` "q"' },
        input: 'from stdin\n',
      },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${values.join('\n')}\nit's $(rm -rf /) \`x\` "q"|from stdin\n`);
    const known = await readFile(join(scratch.path, 'known'), 'utf8');
    // One line (hashed, as Debian's ssh_config asks) holding the login node's own key.
    assert.equal(known.trim().split('\n').length, 1);
    assert.ok(known.includes(sshd.hostPublicKey), known);
    assert.equal((await runner().run(['sh', '-c', 'exit 7'])).code, 7, 'the remote status, not ssh’s');
  });

  it('makes a refused key, a changed host key and a vanished login node the site’s fault', {
    skip,
  }, async () => {
    await assert.rejects(runner(sshd.strangerIdentityFile).run(['true']), (error: unknown) => {
      assert.ok(error instanceof SiteUnavailableError);
      assert.match(error.message, /Permission denied/);
      return true;
    });
    await sshd.stopDaemon();
    try {
      await assert.rejects(runner().run(['true']), /ssh to root@127\.0\.0\.1:\d+: .*Connection refused/);
    } finally {
      await sshd.start();
    }
    // Another machine answering at the pinned address is refused until an operator says otherwise.
    const known = join(scratch.path, 'known');
    const pinned = await readFile(known, 'utf8');
    const [address] = pinned.split(' ');
    const [type, otherKey] = (await readFile(`${sshd.strangerIdentityFile}.pub`, 'utf8')).split(' ');
    await writeFile(known, `${address} ${type} ${otherKey}\n`);
    await assert.rejects(runner().run(['true']), /host key changed: .*remove its line/);
  });

  it('passes dm site test on the cluster behind the login node', { skip }, async () => {
    const added = await t.call('POST', '/api/v1/sites', {
      body: {
        name: 'login-node',
        kind: 'slurm',
        connection: { host: sshd.host, identityFile: sshd.identityFile },
        defaults: { queue: 'debug' },
        workDir: cluster.workDirectory,
      },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const report = await t.call('POST', '/api/v1/sites/login-node/test', { body: { timeoutSeconds: 60 } });
    assert.equal(report.status, 200, JSON.stringify(report.body));
    assert.equal(report.body.ok, true, JSON.stringify(report.body));
    assert.equal(report.body.steps.length, 5);
    const known = await readFile(join(t.dataDir, 'ssh_known_hosts'), 'utf8');
    assert.ok(known.includes(sshd.hostPublicKey), 'the server pinned the login node’s host key');
  });
});
