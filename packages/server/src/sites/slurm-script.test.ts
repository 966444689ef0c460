import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RemoteSpec } from './adapter.ts';
import { checkSpec } from './batch-script.ts';
import { sbatchArguments } from './slurm-script.ts';

const spec = (overrides: Partial<RemoteSpec> = {}): RemoteSpec => ({
  key: 'pdm-7-reconstruct-1',
  command: 'true',
  directory: '/scratch/pdm/run %j/',
  environment: {},
  ...overrides,
});

describe('sbatch options', () => {
  it('should name the job by its key and write its output under .pdm, with % kept literal', () => {
    assert.deepEqual(sbatchArguments(spec(), {}), [
      'sbatch',
      '--parsable',
      '--job-name=pdm-7-reconstruct-1',
      '--comment=photon-dm:pdm-7-reconstruct-1',
      '--chdir=/scratch/pdm/run %j/',
      '--output=/scratch/pdm/run %%j/.pdm/pdm-7-reconstruct-1.out',
      '--error=/scratch/pdm/run %%j/.pdm/pdm-7-reconstruct-1.err',
    ]);
  });

  it("should take the stage's resources first and the site's defaults for the rest", () => {
    const argv = sbatchArguments(
      spec({
        resources: { nodes: 50, gpus: 4 },
        attributes: { walltimeSeconds: 61, queue: 'prod', reservation: 'beamtime' },
      }),
      {
        resources: { nodes: 1, tasksPerNode: 4, exclusive: true },
        attributes: { queue: 'debug', account: 'APS-8ID', qos: 'normal' },
      },
    );
    assert.deepEqual(argv.slice(7), [
      '--nodes=50',
      '--ntasks-per-node=4',
      '--gpus=4',
      '--exclusive',
      '--time=2',
      '--partition=prod',
      '--account=APS-8ID',
      '--reservation=beamtime',
      '--qos=normal',
    ]);
  });

  it('should refuse values sbatch would misread', () => {
    assert.throws(
      () => sbatchArguments(spec({ attributes: { queue: 'debug --uid=0' } }), {}),
      /not a valid name/,
    );
    assert.throws(() => sbatchArguments(spec({ resources: { nodes: 1.5 } }), {}), /positive integer/);
    assert.throws(() => sbatchArguments(spec(), { attributes: { walltimeSeconds: 0 } }), /positive integer/);
  });
});

describe('stage specs', () => {
  it('should refuse keys, directories and environment names the script could not carry', () => {
    assert.throws(() => checkSpec(spec({ key: 'PDM 7' })), /not 1 to 48 characters/);
    assert.throws(() => checkSpec(spec({ key: 'p'.repeat(49) })), /not 1 to 48 characters/);
    assert.throws(() => checkSpec(spec({ directory: 'relative/dir' })), /not an absolute path/);
    assert.throws(() => checkSpec(spec({ directory: '/scratch/a\\b' })), /backslash/);
    assert.throws(() => checkSpec(spec({ environment: { 'A-B': '1' } })), /not allowed/);
    assert.throws(() => checkSpec(spec({ environment: { pdm_status: '1' } })), /not allowed/);
    assert.throws(() => checkSpec(spec({ environment: { A: 'a\u0000b' } })), /NUL/);
    checkSpec(spec({ environment: { OMP_NUM_THREADS: '8', _x: '$(id)\n' } }));
  });
});
