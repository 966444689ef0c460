/**
 * The PBS adapter against a fake PBS Pro (test/support/fake-pbs: qsub, qstat, qselect and qdel that keep a
 * job table and really run the jobs, printing what PBS prints): what a stage at a PBS site goes through
 * (submit, find again, states, cancel, output back), the site's faults, and `dm site test` on a pbs site.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type RemoteSpec,
  type RemoteStatus,
  type SiteAdapter,
  SiteUnavailableError,
} from '../src/sites/adapter.ts';
import { type CommandRunner, createLocalCommandRunner, serverEnvironment } from '../src/sites/commands.ts';
import { createPbsCliAdapter } from '../src/sites/pbs-cli.ts';
import { countingRunner } from './support/counting-runner.ts';
import { type FakePbs, startFakePbs } from './support/fake-pbs.ts';
import { assertNothingRan, hostileValues } from './support/hostile-values.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { until } from './support/wait.ts';

const endedStates = new Set(['done', 'failed', 'canceled']);

describe('a PBS site through its commands', () => {
  let pbs: FakePbs;
  let runner: CommandRunner;
  let site: SiteAdapter;
  let stages = 0;

  before(async () => {
    pbs = await startFakePbs();
    runner = createLocalCommandRunner({ environment: { ...serverEnvironment(), ...pbs.environment } });
    site = createPbsCliAdapter(runner, { defaults: { attributes: { queue: 'workq' } } });
  });
  after(() => pbs?.stop());

  /** A stage of its own: a fresh key, and a working directory that does not exist yet. */
  function stage(command: string, overrides: Partial<RemoteSpec> = {}): RemoteSpec {
    stages += 1;
    // A long key (PBS's job names are 15 characters on older servers), a space and a `:` in the path.
    return {
      key: `pdm-test-pbs-stage-${stages}`,
      command,
      directory: join(pbs.workDirectory, `stage ${stages}:x`),
      environment: {},
      ...overrides,
    };
  }

  async function ended(id: string, timeout = 30_000): Promise<RemoteStatus> {
    return until(
      async () => {
        const status = (await site.status([id])).get(id);
        return status && endedStates.has(status.state) && status;
      },
      { timeout, interval: 100, message: `job ${id} ends` },
    );
  }

  describe('jobs', { concurrency: true }, () => {
    it('should run a command and bring back its exit code, stdout and stderr', async () => {
      const spec = stage('echo out; echo err >&2; pwd');
      const id = await site.submit(spec);
      assert.match(id, /^\d+\.fakepbs$/);
      const status = await ended(id);
      assert.equal(status.state, 'done');
      assert.equal(status.reason, undefined);
      assert.equal(status.nodes, 'fakepbs');
      for (const time of [status.queuedAt, status.startedAt, status.endedAt])
        assert.match(time ?? '', /^\d{4}-.*Z$/);
      assert.ok(
        (status.queuedAt ?? '') <= (status.startedAt ?? '') &&
          (status.startedAt ?? '') <= (status.endedAt ?? ''),
      );
      const output = await site.output(spec, 4096);
      assert.deepEqual(output, { stdout: `out\n${spec.directory}\n`, stderr: 'err\n', exitCode: 0 });
    });

    it('should fail a command that exits non-zero, with its exit status', async () => {
      const spec = stage('echo partial; exit 3');
      const status = await ended(await site.submit(spec));
      assert.equal(status.state, 'failed');
      assert.equal(status.reason, undefined, 'the command failed, not PBS');
      assert.deepEqual(await site.output(spec, 4096), { stdout: 'partial\n', stderr: '', exitCode: 3 });
    });

    it('should keep only the tail of a large output', async () => {
      const spec = stage('seq 1 100000');
      await ended(await site.submit(spec));
      assert.equal((await site.output(spec, 13)).stdout, '99999\n100000\n');
    });

    it('should give environment values with shell metacharacters to the command as data', async () => {
      const values = [...hostileValues({ newlines: true }), 'trailing newlines\n\n', '', 'a,b=c'];
      const environment = Object.fromEntries(values.map((value, index) => [`VALUE_${index}`, value]));
      const names = Object.keys(environment);
      const command = names.map((name) => `printf %s "$${name}" | base64 -w0; echo`).join('\n');
      const spec = stage(command, { environment });
      assert.equal((await ended(await site.submit(spec))).state, 'done');
      const lines = (await site.output(spec, 1024 * 1024)).stdout.split('\n').slice(0, names.length);
      assert.deepEqual(
        lines.map((line) => Buffer.from(line, 'base64').toString('utf8')),
        values,
      );
      assertNothingRan(spec.directory);
    });

    it('should return the same job for the same key and run it once', async () => {
      const spec = stage('echo ran >> runs.txt; sleep 1');
      const first = await site.submit(spec);
      assert.equal(await site.find(spec.key), first);
      assert.equal(await site.submit(spec), first, 'submitted again while queued or running');
      await ended(first);
      assert.equal(await site.submit(spec), first, 'submitted again after its end');
      assert.equal(await readFile(join(spec.directory, 'runs.txt'), 'utf8'), 'ran\n');
      assert.equal(await site.find('pdm-test-never-submitted'), undefined);
    });

    it("should hand a stage's resources to PBS, and the site's defaults where it asks for none", async () => {
      const withDefaults = createPbsCliAdapter(runner, {
        defaults: { attributes: { queue: 'debug', account: 'APSDataProcessing', walltimeSeconds: 3600 } },
      });
      const spec = stage('true', { resources: { nodes: 2, gpus: 4 }, attributes: { walltimeSeconds: 90 } });
      const id = await withDefaults.submit(spec);
      const shown = await runner.run(['qstat', '-f', '-F', 'json', '-x', id]);
      const job = JSON.parse(shown.stdout).Jobs[id];
      assert.equal(job.queue, 'debug');
      assert.equal(job.Account_Name, 'APSDataProcessing');
      assert.equal(job.Resource_List.walltime, '00:01:30');
      assert.equal(job.Resource_List.select, '2:ngpus=4');
      assert.equal(job.Variable_List.PDM_KEY, spec.key);
      assert.ok(job.Job_Name.length <= 15, job.Job_Name);
      assert.equal((await ended(id)).state, 'done');
    });

    it('should read the states of many jobs in one qstat call', async () => {
      const specs = Array.from({ length: 6 }, () => stage('true'));
      const ids = await Promise.all(specs.map((spec) => site.submit(spec)));
      const counted = countingRunner(runner);
      const adapter = createPbsCliAdapter(counted);
      const statuses = await adapter.status([...ids, '999999.fakepbs']);
      assert.deepEqual(
        counted.calls.map((argv) => argv[0]),
        ['qstat'],
      );
      assert.deepEqual([...statuses.keys()], [...ids, '999999.fakepbs']);
      assert.equal(statuses.get('999999.fakepbs')?.state, 'unknown');
      for (const id of ids) assert.notEqual(statuses.get(id)?.state, 'unknown');
      for (const id of ids) assert.equal((await ended(id)).state, 'done');
    });

    it('should cancel a running job, and an unknown one without an error', async () => {
      const spec = stage('echo started; sleep 300');
      const id = await site.submit(spec);
      await until(async () => (await site.status([id])).get(id)?.state === 'running', {
        message: `job ${id} runs`,
      });
      await site.cancel(id);
      const status = await ended(id);
      assert.equal(status.state, 'canceled');
      assert.equal(status.reason, undefined);
      await site.cancel(id);
      await site.cancel('999999.fakepbs');
      await assert.rejects(site.cancel('1; rm -rf /'), /not a PBS job id/);
    });

    it('should fail a job over its walltime with the reason TimeLimit', async () => {
      // Three seconds: time enough for the wrapper to start on a busy machine before the kill.
      const spec = stage('echo started; sleep 300', { attributes: { walltimeSeconds: 3 } });
      const status = await ended(await site.submit(spec));
      assert.equal(status.state, 'failed');
      assert.equal(status.reason, 'TimeLimit');
      const output = await site.output(spec, 4096);
      assert.equal(output.stdout, 'started\n');
      assert.match(output.stderr, /=>> PBS: job killed: walltime \d+ exceeded limit 3/);
      assert.equal(output.exitCode, undefined, 'killed, the command had no exit status of its own');
    });

    it("should refuse a submission PBS refuses, with PBS's message", async () => {
      const error = await site.submit(stage('true', { attributes: { queue: 'no-such-queue' } })).then(
        () => assert.fail('submitted'),
        (error: unknown) => error,
      );
      assert.ok(error instanceof Error && !(error instanceof SiteUnavailableError), String(error));
      assert.equal(error.message, 'qsub: Unknown queue');
      await assert.rejects(site.submit(stage('true', { attributes: { qos: 'high' } })), /PBS has no QOS/);
      await assert.rejects(site.submit(stage('true', { key: 'Not A Key' })), /not 1 to 48 characters/);
    });
  });

  describe('PBS forgetting and an unreachable server', { concurrency: 1 }, () => {
    it('should recognize a job PBS has forgotten by its files, and not run it again', async () => {
      const spec = stage('echo ran >> runs.txt; exit 4');
      const id = await site.submit(spec);
      await ended(id);
      await pbs.forgetFinished();
      assert.equal((await site.status([id])).get(id)?.state, 'unknown');
      assert.equal(await site.find(spec.key), undefined);
      assert.equal(await site.submit(spec), id);
      assert.deepEqual(await site.output(spec, 100), { stdout: '', stderr: '', exitCode: 4 });
      assert.equal(await readFile(join(spec.directory, 'runs.txt'), 'utf8'), 'ran\n');
    });

    it('should be SiteUnavailableError while the PBS server is down, and work again once it is back', async () => {
      const running = stage('sleep 300');
      const id = await site.submit(running);
      await pbs.setReachable(false);
      try {
        await assert.rejects(site.status([id]), SiteUnavailableError);
        await assert.rejects(site.submit(stage('true')), SiteUnavailableError);
        await assert.rejects(site.cancel(id), SiteUnavailableError);
      } finally {
        await pbs.setReachable(true);
      }
      assert.notEqual((await site.status([id])).get(id)?.state, 'unknown', 'the job survived the outage');
      await site.cancel(id);
      const spec = stage('echo back');
      assert.equal((await ended(await site.submit(spec))).state, 'done');
      assert.equal((await site.output(spec, 100)).stdout, 'back\n');
    });
  });
});

describe('testing a PBS site', () => {
  let pbs: FakePbs;
  let t: TestApp;
  const saved = { PATH: process.env.PATH, FAKE_PBS_HOME: process.env.FAKE_PBS_HOME };

  before(async () => {
    pbs = await startFakePbs();
    // The server runs PBS's commands with its own environment: the fake's qsub must be first on its PATH.
    Object.assign(process.env, pbs.environment);
    t = await createTestApp('sqlite');
    const added = await t.call('POST', '/api/v1/sites', {
      body: { name: 'polaris', kind: 'pbs', defaults: { queue: 'debug' }, workDir: pbs.workDirectory },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
  });
  after(async () => {
    await t?.close();
    await pbs?.stop();
    for (const [name, value] of Object.entries(saved))
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
  });

  it('submits a command, sees it run, gets its output back and cancels another', async () => {
    const report = await t.call('POST', '/api/v1/sites/polaris/test', { body: { timeoutSeconds: 30 } });
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
    assert.match(report.body.steps[1].detail, /^remote job \d+\.fakepbs$/);
  });

  it('reports an unreachable PBS server at the first step, with its reason', async () => {
    await pbs.setReachable(false);
    try {
      const report = await t.call('POST', '/api/v1/sites/polaris/test', { body: { timeoutSeconds: 10 } });
      assert.equal(report.status, 200, JSON.stringify(report.body));
      assert.equal(report.body.ok, false);
      assert.deepEqual(
        report.body.steps.map((step: { step: string }) => step.step),
        ['reach'],
      );
      assert.match(report.body.steps[0].detail, /cannot connect to server/);
    } finally {
      await pbs.setReachable(true);
    }
  });

  it('refuses a pbs site with a QOS, which PBS does not have', async () => {
    const added = await t.call('POST', '/api/v1/sites', {
      body: { name: 'with-qos', kind: 'pbs', defaults: { qos: 'high' } },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const refused = await t.call('POST', '/api/v1/sites/with-qos/test', { body: {} });
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.match(refused.body.error.message, /PBS has no QOS/);
  });
});
