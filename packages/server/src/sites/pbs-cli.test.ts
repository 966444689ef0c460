/**
 * How the PBS adapter tells a site's faults from answers and refusals, on PBS's own messages and exit
 * statuses (openpbs src/cmds, pbs_error.h: 153 unknown id, 35 finished job). The fake PBS tests are in
 * test/sites-pbs.test.ts; these are the answers a fake is not needed for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { siteAnswering } from '../../test/support/counting-runner.ts';
import { SiteUnavailableError } from './adapter.ts';
import { createPbsCliAdapter } from './pbs-cli.ts';

const root = '{\n    "timestamp":1750368487,\n    "pbs_version":"23.06.06",\n    "pbs_server":"pbs"\n}\n';

const spec = { key: 'pdm-1-a-1', command: 'true', directory: '/eagle/pdm', environment: {} };

describe('PBS answers, faults and refusals', () => {
  it('should take unknown ids (exit 153) as jobs PBS no longer knows', async () => {
    const pbs = createPbsCliAdapter(
      siteAnswering({ qstat: { code: 153, stdout: root, stderr: 'qstat: Unknown Job Id 5.pbs\n' } }),
    );
    const statuses = await pbs.status(['5.pbs', 'not an id']);
    assert.equal(statuses.get('5.pbs')?.state, 'unknown');
    assert.equal(statuses.get('not an id')?.state, 'unknown');
  });

  it('should call a PBS server that does not answer unavailable in every command', async () => {
    const down = (command: string) => ({
      code: 1,
      stderr: `Connection refused\n${command}: cannot connect to server pbs (errno=15010)\n`,
    });
    const pbs = createPbsCliAdapter(
      siteAnswering({
        qstat: { ...down('qstat'), code: 255 },
        qselect: down('qselect'),
        qsub: down('qsub'),
        qdel: { code: 162, stderr: "Couldn't connect to cluster: pbs\n" },
      }),
    );
    await assert.rejects(pbs.status(['5.pbs']), SiteUnavailableError);
    await assert.rejects(pbs.find('pdm-1-a-1'), SiteUnavailableError);
    await assert.rejects(pbs.submit(spec), SiteUnavailableError);
    await assert.rejects(pbs.cancel('5.pbs'), SiteUnavailableError);
  });

  it("should refuse a submission PBS refuses with PBS's words, as the stage's failure", async () => {
    const pbs = createPbsCliAdapter(
      siteAnswering({ qsub: { code: 188, stderr: 'qsub: Job exceeds queue resource limits\n' } }),
    );
    await assert.rejects(pbs.submit(spec), (error: unknown) => {
      assert.ok(error instanceof Error && !(error instanceof SiteUnavailableError));
      assert.equal(error.message, 'qsub: Job exceeds queue resource limits');
      return true;
    });
  });

  it('should take unknown, finished and exiting jobs as nothing to cancel', async () => {
    for (const [code, stderr] of [
      [153, 'qdel: Unknown Job Id 99999.pbs\n'],
      [35, 'qdel: Job has finished 99999.pbs\n'],
      [168, 'qdel: Request invalid for state of job 99999.pbs\n'],
    ] as const)
      await createPbsCliAdapter(siteAnswering({ qdel: { code, stderr } })).cancel('99999.pbs');
  });

  it('should find a job by the key in its variables, not by its name alone', async () => {
    const jobs = (key: string) =>
      JSON.stringify({
        pbs_version: '23.06.06',
        Jobs: { '8.pbs': { job_state: 'R', Variable_List: { PDM_KEY: key } } },
      });
    const answering = (key: string) =>
      createPbsCliAdapter(siteAnswering({ qselect: { stdout: '8.pbs\n' }, qstat: { stdout: jobs(key) } }));
    assert.equal(await answering('pdm-1-a-1').find('pdm-1-a-1'), '8.pbs');
    assert.equal(await answering('pdm-2-b-2').find('pdm-1-a-1'), undefined);
  });
});
