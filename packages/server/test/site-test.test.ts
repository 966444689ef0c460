/**
 * `dm site test` (POST /sites/{name}/test) against a real one-node Slurm cluster: every step passes on a
 * working site, a site whose scheduler is down reports why at the step that failed (never a 500), and sites
 * this server cannot reach yet are refused with the reason.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeSlurm, type SlurmCluster, startSlurmCluster } from './support/slurm-cluster.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';

describeSlurm('testing a compute site', () => {
  let cluster: SlurmCluster;
  let t: TestApp;
  let alice: string;
  const slurmConf = process.env.SLURM_CONF;

  before(async () => {
    cluster = await startSlurmCluster();
    // The server runs Slurm's commands with its own environment, where SLURM_CONF names the cluster.
    Object.assign(process.env, cluster.environment);
    t = await createTestApp('sqlite');
    alice = await t.user('alice');
    const added = await t.call('POST', '/api/v1/sites', {
      body: { name: 'cluster', kind: 'slurm', defaults: { queue: 'debug' }, workDir: cluster.workDirectory },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
  });
  after(async () => {
    await t?.close();
    await cluster?.stop();
    if (slurmConf === undefined) delete process.env.SLURM_CONF;
    else process.env.SLURM_CONF = slurmConf;
  });

  it('submits a command, sees it run, gets its output back and cancels another', async () => {
    const report = await t.call('POST', '/api/v1/sites/cluster/test', { body: { timeoutSeconds: 60 } });
    assert.equal(report.status, 200, JSON.stringify(report.body));
    assert.deepEqual(
      report.body.steps.map((step: { step: string; ok: boolean }) => [step.step, step.ok]),
      [
        ['reach', true],
        ['submit', true],
        ['run', true],
        ['output', true],
        ['cancel', true],
      ],
      JSON.stringify(report.body),
    );
    assert.equal(report.body.ok, true);
    assert.match(report.body.steps[1].detail, /^remote job \d+$/);
  });

  it('reports an unreachable scheduler at the first step, with its reason', async () => {
    await cluster.stopController();
    try {
      const report = await t.call('POST', '/api/v1/sites/cluster/test', { body: { timeoutSeconds: 10 } });
      assert.equal(report.status, 200, JSON.stringify(report.body));
      assert.equal(report.body.ok, false);
      assert.deepEqual(
        report.body.steps.map((step: { step: string }) => step.step),
        ['reach'],
      );
      assert.match(report.body.steps[0].detail, /slurm/i);
    } finally {
      await cluster.startController();
    }
  });

  it('refuses what it cannot test, and anyone but admins', async () => {
    const cases: Array<[string, object | undefined, number, RegExp]> = [
      ['/api/v1/sites/local/test', {}, 422, /nothing to test/],
      ['/api/v1/sites/nowhere/test', {}, 404, /no site "nowhere"/],
      ['/api/v1/sites/cluster/test', { timeoutSeconds: 0 }, 400, /timeoutSeconds/],
    ];
    const ssh = await t.call('POST', '/api/v1/sites', {
      body: { name: 'ssh-site', kind: 'ssh', connection: { host: 'svc@login.example.org' } },
    });
    assert.equal(ssh.status, 201, JSON.stringify(ssh.body));
    cases.push(['/api/v1/sites/ssh-site/test', {}, 422, /cannot reach ssh sites yet/]);
    for (const [url, body, status, message] of cases) {
      const refused = await t.call('POST', url, { body });
      assert.equal(refused.status, status, `${url}: ${JSON.stringify(refused.body)}`);
      assert.match(refused.body.error.message, message);
    }
    const byAlice = await t.call('POST', '/api/v1/sites/cluster/test', { token: alice, body: {} });
    assert.equal(byAlice.status, 403);
  });
});
