/**
 * `dm site test` as an operator runs it after `dm site add`: against a real `dm serve` whose Slurm commands
 * reach a one-node cluster started here, each step on its own line, exit 0 when all pass and 1 with the
 * failing step's reason when the scheduler is down.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import {
  describeSlurm,
  type SlurmCluster,
  startSlurmCluster,
} from '../../server/test/support/slurm-cluster.ts';
import { cleanEnv, dmCommands, type ServerProcess, startDmServer, stopProcess } from './dm-process.ts';

const adminPassword = 'sites-admin-password';

describeSlurm('dm site test', () => {
  const root = mkdtempSync(join(tmpdir(), 'dm-cli-sites-'));
  const { dm, ok } = dmCommands(join(root, 'admin-config'));
  let cluster: SlurmCluster;
  let server: ServerProcess;

  before(async () => {
    cluster = await startSlurmCluster();
    server = await startDmServer(
      ['--port', '0', '--data-dir', join(root, 'data'), '--log-level', 'warn'],
      cleanEnv({ DM_ADMIN_PASSWORD: adminPassword, ...cluster.environment }),
    );
    await ok(['login', '--server', server.url, '--username', 'admin', '--password-stdin'], {
      input: adminPassword,
    });
  });
  after(async () => {
    try {
      if (server) assert.equal(await stopProcess(server.child, 'SIGTERM'), 0, server.output());
    } finally {
      await cluster?.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('should pass every step on a working Slurm site, and fail at reach when slurmctld is down', async () => {
    await ok([
      ...['site', 'add', 'cluster', '--kind', 'slurm', '--partition', 'debug'],
      ...['--work-dir', cluster.workDirectory],
    ]);
    const passed = await ok(['site', 'test', 'cluster', '--timeout', '1m']);
    const lines = passed.stdout.trim().split('\n');
    assert.deepEqual(
      lines.map((line) => line.split(/\s+/).slice(0, 2).join(' ')),
      ['ok reach', 'ok submit', 'ok run', 'ok output', 'ok cancel'],
      passed.stdout,
    );

    await cluster.stopController();
    try {
      const failed = await dm(['site', 'test', 'cluster', '--timeout', '10s']);
      assert.equal(failed.code, 1, failed.stdout + failed.stderr);
      assert.match(failed.stdout, /^FAIL\s+reach\s+[\d.]+s\s+.*slurm/im);
      assert.match(failed.stderr, /site cluster failed its test/);
    } finally {
      await cluster.startController();
    }
    assert.equal((await dm(['site', 'test', 'cluster', '--timeout', 'soon'])).code, 2);
  });
});
