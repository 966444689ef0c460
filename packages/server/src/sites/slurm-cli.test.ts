/**
 * How the adapter tells a site's faults from refusals, on the exact messages Slurm 22.05 printed on this
 * machine (a stopped slurmctld, a munge socket that is gone, an unknown partition). The real cluster tests
 * are in test/sites-slurm.test.ts; these are the faults it cannot cause cheaply (munge).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { siteAnswering } from '../../test/support/counting-runner.ts';
import { SiteUnavailableError } from './adapter.ts';
import { createSlurmCliAdapter } from './slurm-cli.ts';

const controllerDown = {
  squeue: 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n',
  sbatch:
    'sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)\n',
  scancel:
    'scancel: error: Kill job error on job id 5: Unable to contact slurm controller (connect failure)\n',
};

const mungeGone = (command: string, request: string, last: string) =>
  [
    `${command}: error: If munged is up, restart with --num-threads=10`,
    `${command}: error: Munge encode failed: Failed to access "/run/munge/munge.socket.2": No such file or directory (Did you start munged?)`,
    `${command}: error: slurm_send_node_msg: auth_g_create: ${request} has authentication error`,
    last,
    '',
  ].join('\n');

const spec = { key: 'pdm-1-a-1', command: 'true', directory: '/scratch/pdm', environment: {} };

describe('Slurm faults and refusals', () => {
  it('should call a stopped controller unavailable in every command', async () => {
    const slurm = createSlurmCliAdapter(
      siteAnswering({
        squeue: { code: 1, stderr: controllerDown.squeue },
        scancel: { code: 1, stderr: controllerDown.scancel },
      }),
    );
    await assert.rejects(slurm.status(['5']), SiteUnavailableError);
    await assert.rejects(slurm.find('pdm-1-a-1'), SiteUnavailableError);
    await assert.rejects(slurm.cancel('5'), SiteUnavailableError);
    const submitting = createSlurmCliAdapter(
      siteAnswering({ sbatch: { code: 1, stderr: controllerDown.sbatch } }),
    );
    await assert.rejects(submitting.submit(spec), SiteUnavailableError);
  });

  it('should call a munge that refuses unavailable', async () => {
    const slurm = createSlurmCliAdapter(
      siteAnswering({
        squeue: {
          code: 1,
          stderr: mungeGone(
            'squeue',
            'REQUEST_JOB_INFO',
            'slurm_load_jobs error: Protocol authentication error',
          ),
        },
      }),
    );
    await assert.rejects(slurm.status(['5']), SiteUnavailableError);
    const submitting = createSlurmCliAdapter(
      siteAnswering({
        sbatch: {
          code: 1,
          stderr: mungeGone(
            'sbatch',
            'REQUEST_SUBMIT_BATCH_JOB',
            'sbatch: error: Batch job submission failed: Protocol authentication error',
          ),
        },
      }),
    );
    await assert.rejects(submitting.submit(spec), SiteUnavailableError);
  });

  it("should refuse a submission Slurm refuses with Slurm's words, as the stage's failure", async () => {
    const slurm = createSlurmCliAdapter(
      siteAnswering({
        sbatch: {
          code: 1,
          stderr:
            'sbatch: error: invalid partition specified: nope\nsbatch: error: Batch job submission failed: Invalid partition name specified\n',
        },
      }),
    );
    await assert.rejects(slurm.submit(spec), (error: unknown) => {
      assert.ok(error instanceof Error && !(error instanceof SiteUnavailableError));
      assert.equal(
        error.message,
        'sbatch: error: invalid partition specified: nope; sbatch: error: Batch job submission failed: Invalid partition name specified',
      );
      return true;
    });
  });

  it('should take an unknown job as nothing to cancel', async () => {
    const slurm = createSlurmCliAdapter(
      siteAnswering({
        scancel: {
          code: 1,
          stderr: 'scancel: error: Kill job error on job id 99999: Invalid job id specified\n',
        },
      }),
    );
    await slurm.cancel('99999');
  });
});
