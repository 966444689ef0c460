/**
 * The Slurm adapter against a real one-node Slurm 22.05 cluster started for this file: what a stage at a
 * Slurm site goes through (submit, find again, states, cancel, output back) and the site's faults.
 *
 * The walltime kill takes a minute and a half (slurmctld checks limits every 30 s), so it runs alongside all
 * the rest: the other job tests side by side, then the controller's outage, which it lives through.
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
import { createSlurmCliAdapter } from '../src/sites/slurm-cli.ts';
import { countingRunner } from './support/counting-runner.ts';
import { assertNothingRan, hostileValues } from './support/hostile-values.ts';
import { describeSlurm, type SlurmCluster, startSlurmCluster } from './support/slurm-cluster.ts';
import { until } from './support/wait.ts';

const endedStates = new Set(['done', 'failed', 'canceled']);

describeSlurm('a Slurm site through its commands', () => {
  let cluster: SlurmCluster;
  let runner: CommandRunner;
  let slurm: SiteAdapter;
  let stages = 0;

  before(async () => {
    cluster = await startSlurmCluster();
    runner = createLocalCommandRunner({ environment: { ...serverEnvironment(), ...cluster.environment } });
    slurm = createSlurmCliAdapter(runner, { defaults: { attributes: { queue: 'debug' } } });
  });
  after(() => cluster?.stop());

  /** A stage of its own: a fresh key, and a working directory that does not exist yet. */
  function stage(command: string, overrides: Partial<RemoteSpec> = {}): RemoteSpec {
    stages += 1;
    const key = `pdm-test-${stages}`;
    // A space and a `%` in the path: neither the shell nor Slurm's file patterns may touch it.
    return {
      key,
      command,
      directory: join(cluster.workDirectory, `stage ${stages} %j`),
      environment: {},
      ...overrides,
    };
  }

  /** The job's state; undefined while the site is unavailable (the walltime test lives through the outage). */
  async function stateOf(id: string): Promise<RemoteStatus | undefined> {
    try {
      return (await slurm.status([id])).get(id);
    } catch (error) {
      if (error instanceof SiteUnavailableError) return undefined;
      throw error;
    }
  }

  async function ended(id: string, timeout = 60_000): Promise<RemoteStatus> {
    return until(
      async () => {
        const status = await stateOf(id);
        return status && endedStates.has(status.state) && status;
      },
      { timeout, interval: 200, message: `job ${id} ends` },
    );
  }

  describe('all at once', { concurrency: true }, () => {
    it('should fail a job over its walltime with the reason TimeLimit', async () => {
      const spec = stage('echo started; sleep 300', { attributes: { walltimeSeconds: 1 } });
      const status = await ended(await slurm.submit(spec), 180_000);
      assert.equal(status.state, 'failed');
      assert.equal(status.reason, 'TimeLimit');
      const output = await slurm.output(spec, 4096);
      assert.equal(output.stdout, 'started\n');
      // Slurm ends it with SIGTERM, then SIGKILL KillWait later: the wrapper may live long enough to record
      // 143 (128 + SIGTERM), or not; it never records an end of the command's own.
      assert.ok(
        output.exitCode === undefined || output.exitCode === 143,
        `killed by Slurm, not ended by itself: ${output.exitCode}`,
      );
    });

    describe('the other jobs, then an unreachable controller', { concurrency: 1 }, () => {
      describe('jobs', { concurrency: true }, () => {
        it('should run a command and bring back its exit code, stdout and stderr', async () => {
          const spec = stage('echo out; echo err >&2; pwd');
          const id = await slurm.submit(spec);
          const status = await ended(id);
          assert.equal(status.state, 'done');
          assert.equal(status.reason, undefined);
          assert.equal(status.nodes, 'localhost');
          for (const time of [status.queuedAt, status.startedAt, status.endedAt])
            assert.match(time ?? '', /^\d{4}-.*Z$/);
          assert.ok(
            (status.queuedAt ?? '') <= (status.startedAt ?? '') &&
              (status.startedAt ?? '') <= (status.endedAt ?? ''),
          );
          const output = await slurm.output(spec, 4096);
          assert.deepEqual(output, { stdout: `out\n${spec.directory}\n`, stderr: 'err\n', exitCode: 0 });
        });

        it('should fail a command that exits non-zero, with its exit status', async () => {
          const spec = stage('echo partial; exit 3');
          const status = await ended(await slurm.submit(spec));
          assert.equal(status.state, 'failed');
          assert.equal(status.reason, undefined, 'the command failed, not Slurm');
          assert.deepEqual(await slurm.output(spec, 4096), { stdout: 'partial\n', stderr: '', exitCode: 3 });
        });

        it('should keep only the tail of a large output', async () => {
          const spec = stage('seq 1 100000');
          await ended(await slurm.submit(spec));
          const output = await slurm.output(spec, 13);
          assert.equal(output.stdout, '99999\n100000\n');
        });

        it('should give environment values with shell metacharacters to the command as data', async () => {
          const values = [...hostileValues({ newlines: true }), 'trailing newlines\n\n', ''];
          const environment = Object.fromEntries(values.map((value, index) => [`VALUE_${index}`, value]));
          const names = Object.keys(environment);
          // Each value as base64 on a line of its own, so that the test compares bytes.
          const command = names.map((name) => `printf %s "$${name}" | base64 -w0; echo`).join('\n');
          const spec = stage(command, { environment });
          const status = await ended(await slurm.submit(spec));
          assert.equal(status.state, 'done');
          const lines = (await slurm.output(spec, 1024 * 1024)).stdout.split('\n').slice(0, names.length);
          assert.deepEqual(
            lines.map((line) => Buffer.from(line, 'base64').toString('utf8')),
            values,
          );
          assertNothingRan(spec.directory);
        });

        it('should return the same job for the same key and run it once', async () => {
          const spec = stage('echo ran >> runs.txt; sleep 1');
          const first = await slurm.submit(spec);
          assert.equal(await slurm.find(spec.key), first);
          assert.equal(await slurm.submit(spec), first, 'submitted again while queued or running');
          await ended(first);
          assert.equal(await slurm.submit(spec), first, 'submitted again after its end');
          assert.equal(await readFile(join(spec.directory, 'runs.txt'), 'utf8'), 'ran\n');
          assert.equal(await slurm.find('pdm-test-never-submitted'), undefined);
        });

        it("should hand a stage's resources to Slurm, and the site's defaults where it asks for none", async () => {
          const site = createSlurmCliAdapter(runner, {
            defaults: { attributes: { queue: 'debug', account: 'aps-8id', walltimeSeconds: 3600 } },
          });
          const spec = stage('true', {
            resources: { nodes: 1, tasksPerNode: 2 },
            attributes: { walltimeSeconds: 90 },
          });
          const id = await site.submit(spec);
          const job = await runner.run(['scontrol', 'show', 'job', '--oneliner', id]);
          const fields = new Set(job.stdout.trim().split(/\s+/));
          for (const field of [
            `JobName=${spec.key}`,
            `Comment=photon-dm:${spec.key}`,
            'TimeLimit=00:02:00',
            'Partition=debug',
            'Account=aps-8id',
            'NumTasks=2',
          ])
            assert.ok(fields.has(field), `${field} in ${job.stdout}`);
          // A pending job's node count is a range: 1-1.
          assert.match(job.stdout, /\sNumNodes=1(-1)?\s/);
          assert.equal((await ended(id)).state, 'done');
        });

        it('should read the states of many jobs in one squeue call', async () => {
          const specs = Array.from({ length: 6 }, () => stage('true'));
          const ids = await Promise.all(specs.map((spec) => slurm.submit(spec)));
          const counted = countingRunner(runner);
          const adapter = createSlurmCliAdapter(counted);
          const statuses = await adapter.status([...ids, '999999']);
          assert.deepEqual(
            counted.calls.map((argv) => argv[0]),
            ['squeue'],
          );
          assert.deepEqual([...statuses.keys()], [...ids, '999999']);
          assert.equal(statuses.get('999999')?.state, 'unknown');
          for (const id of ids) assert.notEqual(statuses.get(id)?.state, 'unknown');
          for (const id of ids) assert.equal((await ended(id)).state, 'done');
        });

        it('should cancel a running job, and an unknown one without an error', async () => {
          const spec = stage('echo started; sleep 300');
          const id = await slurm.submit(spec);
          await until(async () => (await slurm.status([id])).get(id)?.state === 'running', {
            timeout: 60_000,
            interval: 200,
            message: `job ${id} runs`,
          });
          await slurm.cancel(id);
          assert.equal((await ended(id)).state, 'canceled');
          await slurm.cancel(id);
          await slurm.cancel('999999');
          await assert.rejects(slurm.cancel('1; rm -rf /'), /not a Slurm job id/);
        });

        it('should recognize a job squeue has forgotten by its files, and not run it again', async () => {
          const spec = stage('echo ran >> runs.txt; exit 4');
          const id = await slurm.submit(spec);
          await until(async () => (await slurm.status([id])).get(id)?.state === 'unknown', {
            timeout: 90_000,
            interval: 500,
            message: `squeue forgets job ${id}`,
          });
          assert.equal(await slurm.find(spec.key), undefined);
          assert.equal(await slurm.submit(spec), id);
          assert.deepEqual(await slurm.output(spec, 100), { stdout: '', stderr: '', exitCode: 4 });
          assert.equal(await readFile(join(spec.directory, 'runs.txt'), 'utf8'), 'ran\n');
        });

        it("should refuse a submission Slurm refuses, with Slurm's message", async () => {
          const error = await slurm
            .submit(stage('true', { attributes: { queue: 'no-such-partition' } }))
            .then(
              () => assert.fail('submitted'),
              (error: unknown) => error,
            );
          assert.ok(error instanceof Error && !(error instanceof SiteUnavailableError), String(error));
          assert.match(error.message, /Invalid partition name specified/);
          await assert.rejects(slurm.submit(stage('true', { key: 'Not A Key' })), /not 1 to 48 characters/);
          await assert.rejects(
            slurm.submit(stage('true', { environment: { 'A=B': 'x' } })),
            /name "A=B" is not allowed/,
          );
        });
      });

      describe('an unreachable controller', () => {
        it('should be SiteUnavailableError while slurmctld is down, and work again once it is back', async () => {
          const running = stage('sleep 300');
          const id = await slurm.submit(running);
          await cluster.stopController();
          await assert.rejects(slurm.status([id]), SiteUnavailableError);
          await assert.rejects(slurm.submit(stage('true')), SiteUnavailableError);
          await assert.rejects(slurm.cancel(id), SiteUnavailableError);
          await cluster.startController();
          const survivor = await until(async () => (await slurm.status([id])).get(id), {
            timeout: 60_000,
            interval: 200,
            message: 'the controller answers again',
          });
          assert.notEqual(survivor.state, 'unknown', 'the job survived the outage');
          await slurm.cancel(id);
          const spec = stage('echo back');
          assert.equal((await ended(await slurm.submit(spec))).state, 'done');
          assert.equal((await slurm.output(spec, 100)).stdout, 'back\n');
        });
      });
    });
  });
});
