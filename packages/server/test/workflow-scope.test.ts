/**
 * Whose workflows someone may write, read and run: the attacks of issue 10 item 1 (a station manager running
 * an admin's workflow, which ran as root; replacing others' workflows; every workflow and its env readable
 * by all), tried as the attacker would, and the ways a beamline's staff and users keep working.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import {
  type RunAsFacility,
  runAsFacility,
  skipUnlessRoot,
  uidOf,
  whoAmI,
} from './support/run-as-facility.ts';
import { sourceRoot } from './support/source-roots.ts';
import type { TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';
import { until } from './support/wait.ts';

const skip = skipUnlessRoot;

describeBackends('whose workflows one may write, read and run', (backend) => {
  let t: TestApp;
  let tokens: RunAsFacility['tokens'];
  let upsert: RunAsFacility['upsert'];
  let finished: RunAsFacility['finished'];

  before(async () => {
    if (skip) return;
    ({ t, tokens, upsert, finished } = await runAsFacility(backend));
  });
  after(async () => {
    if (!skip) await t.close();
  });

  it("refuses the attack: another station's manager starting an admin's workflow", { skip }, async () => {
    const echo = { name: 'echo', owner: 'admin', stages: { ...whoAmI, B: { command: 'echo $msg' } } };
    assert.equal((await upsert(echo)).status, 201);
    const attack = await t.call('POST', '/api/v1/jobs', {
      body: { workflow: 'echo', owner: 'admin', arguments: { msg: 'x; id > /var/tmp/p' } },
      token: tokens.mgr2,
    });
    assert.equal(attack.status, 404);
    assert.equal(attack.body.error.code, 'workflow_not_found');
    const eachFile = await t.call('POST', '/api/v1/jobs/each-file', {
      body: { workflow: 'echo', owner: 'admin', experiment: 'tomo-1' },
      token: tokens.mgr2,
    });
    assert.equal(eachFile.status, 404);
    assert.deepEqual((await t.call('GET', '/api/v1/jobs?workflow=echo')).body.items, []);

    // The admin's own job of it does not run as root either: admins have no unix account here.
    const own = await t.call('POST', '/api/v1/jobs', {
      body: { workflow: 'echo', arguments: { msg: 'hi' } },
    });
    assert.equal(own.status, 201, JSON.stringify(own.body));
    const job = await finished(own.body.id);
    assert.equal(job.status, 'done', job.errorMessage);
    assert.equal(Number(job.uid), uidOf('nobody'));
  });

  it("refuses a manager writing an admin's or another station's workflows, not their own", {
    skip,
  }, async () => {
    await upsert({ name: 'calib', owner: 'admin', stages: whoAmI });
    await upsert({ name: 'calib', owner: 'dmra-s2b', stages: whoAmI }, tokens.mgr2);
    for (const owner of ['admin', 'dmra-s2b', 'mgr2', 'member']) {
      const replaced = await upsert({ name: 'calib', owner, stages: { A: { command: 'id' } } }, tokens.mgr8);
      assert.equal(replaced.status, 403, `${owner}: ${JSON.stringify(replaced.body)}`);
      const removed = await t.call('DELETE', `/api/v1/workflows/${owner}/calib`, { token: tokens.mgr8 });
      assert.ok([403, 404].includes(removed.status), `${owner}: ${removed.status}`);
    }
    const admin = await t.call('GET', '/api/v1/workflows/admin/calib');
    assert.equal(admin.body.revision, 1);
    assert.equal(admin.body.stages.A.command, 'id -u');
    assert.equal(
      (await upsert({ name: 'calib', owner: 'dmra-s8i', stages: whoAmI }, tokens.mgr8)).status,
      201,
    );
    assert.equal((await upsert({ name: 'calib', owner: 'mgr8', stages: whoAmI }, tokens.mgr8)).status, 201);
    const user = await upsert({ name: 'calib', owner: 'dmra-s8i', stages: whoAmI }, tokens.member);
    assert.equal(user.status, 403);
  });

  it('hides workflows from outsiders (404), and shows a station’s workflows to its experiments’ members', {
    skip,
  }, async () => {
    await upsert({ name: 'standard', owner: 'dmra-s8i', stages: whoAmI }, tokens.mgr8);
    await upsert({ name: 'private', owner: 'mgr8', stages: whoAmI }, tokens.mgr8);
    for (const [who, url] of [
      ['outsider', '/api/v1/workflows/dmra-s8i/standard'],
      ['outsider', '/api/v1/workflows/mgr8/private'],
      ['member', '/api/v1/workflows/mgr8/private'],
      ['mgr2', '/api/v1/workflows/dmra-s8i/standard'],
      ['mgr2', '/api/v1/workflows/admin/echo'],
    ] as const) {
      const read = await t.call('GET', url, { token: tokens[who] });
      assert.equal(read.status, 404, `${who} ${url}`);
      assert.equal(read.body.error.code, 'workflow_not_found');
    }
    const names = async (who: string) =>
      (await t.call('GET', '/api/v1/workflows?limit=1000', { token: tokens[who] })).body.items.map(
        (w: { owner: string; name: string }) => `${w.owner}/${w.name}`,
      );
    assert.deepEqual(await names('outsider'), []);
    assert.ok((await names('member')).includes('dmra-s8i/standard'));
    assert.ok(!(await names('member')).includes('mgr8/private'));
    assert.ok((await names('mgr8')).includes('mgr8/private'));
    assert.ok(
      !(await names('mgr2')).some((name: string) => name.startsWith('admin/') || name.startsWith('mgr8/')),
    );

    // The member runs the station's workflow on their experiment, as the station's account; not elsewhere.
    const started = await t.call('POST', '/api/v1/jobs', {
      body: { workflow: 'standard', owner: 'dmra-s8i', experiment: 'xpcs-1' },
      token: tokens.member,
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const job = await finished(started.body.id);
    assert.equal(job.status, 'done', job.errorMessage);
    assert.equal(Number(job.uid), uidOf('dmra-own'), "no userAccount: the upserter's own account");
    const bare = await t.call('POST', '/api/v1/jobs', {
      body: { workflow: 'standard', owner: 'dmra-s8i' },
      token: tokens.member,
    });
    assert.equal(bare.status, 403);
    const outsider = await t.call('POST', '/api/v1/jobs', {
      body: { workflow: 'standard', owner: 'dmra-s8i' },
      token: tokens.outsider,
    });
    assert.equal(outsider.status, 404);
  });

  it('shows secret env values only to admins and the owner, and gives them to the stage', {
    skip,
  }, async () => {
    const secretStage = {
      A: {
        command: 'printenv TOKEN | md5sum',
        outputVariableRegexList: ['^(?P<digest>[0-9a-f]{32})'],
        env: { TOKEN: 's3cr3t-value', MODE: 'fast' },
        workingDir: '/',
      },
    };
    const station = { name: 'with-key', owner: 'dmra-s8i', secretEnv: ['TOKEN'], stages: secretStage };
    assert.equal((await upsert(station, tokens.mgr8)).status, 201);
    const personal = { ...station, owner: 'mgr8' };
    assert.equal((await upsert(personal, tokens.mgr8)).status, 201);
    const envOf = async (who: string | undefined, owner: string) => {
      const read = await t.call('GET', `/api/v1/workflows/${owner}/with-key`, { token: who && tokens[who] });
      assert.equal(read.status, 200, JSON.stringify(read.body));
      return read.body.stages.A.env;
    };
    assert.deepEqual(await envOf('member', 'dmra-s8i'), { TOKEN: '********', MODE: 'fast' });
    assert.deepEqual(await envOf('mgr8', 'dmra-s8i'), { TOKEN: '********', MODE: 'fast' });
    assert.deepEqual(await envOf(undefined, 'dmra-s8i'), { TOKEN: 's3cr3t-value', MODE: 'fast' });
    assert.deepEqual(await envOf('mgr8', 'mgr8'), { TOKEN: 's3cr3t-value', MODE: 'fast' });
    const listed = await t.call('GET', '/api/v1/workflows?owner=dmra-s8i', { token: tokens.member });
    assert.ok(!JSON.stringify(listed.body).includes('s3cr3t-value'));
    const echo = await t.call('POST', '/api/v1/workflows/validate', {
      body: { format: 'json', text: JSON.stringify(station) },
      token: tokens.member,
    });
    assert.ok(!JSON.stringify(echo.body).includes('s3cr3t-value'));

    // The manager sends the placeholder back unchanged (an editor round trip): the value is kept.
    const edited = await t.call('GET', '/api/v1/workflows/dmra-s8i/with-key', { token: tokens.mgr8 });
    const { name, owner, secretEnv, stages } = edited.body;
    assert.equal((await upsert({ name, owner, secretEnv, stages }, tokens.mgr8)).status, 200);

    const started = await t.call('POST', '/api/v1/jobs', {
      body: { workflow: 'with-key', owner: 'dmra-s8i', experiment: 'xpcs-1' },
      token: tokens.member,
    });
    const job = await finished(started.body.id);
    assert.equal(job.status, 'done', job.errorMessage);
    assert.equal(
      job.digest,
      execFileSync('md5sum', { input: 's3cr3t-value\n', encoding: 'utf8' }).slice(0, 32),
    );
    assert.ok(!JSON.stringify(job).includes('s3cr3t-value'));
  });

  it("fails a DAQ's processing request for a workflow outside its starter's scope, running nothing", {
    skip,
  }, async () => {
    // A manager's DAQ reads only below the station's source roots (sources/), which an admin sets.
    const detector = await sourceRoot(t, '2-BM');
    try {
      const daq = await t.call('POST', '/api/v1/daqs', {
        body: {
          experiment: 'tomo-1',
          dataDirectory: detector.path,
          settleSeconds: 0.3,
          workflow: 'admin/echo',
        },
        token: tokens.mgr2,
      });
      assert.equal(daq.status, 201, JSON.stringify(daq.body));
      writeFileSync(join(detector.path, 'x;id.h5'), 'frame');
      const requests = await until(
        async () => {
          const rows = await t.app.context.db
            .selectFrom('processing_requests')
            .select(['status', 'error'])
            .where('origin_type', '=', 'daq')
            .where('origin_id', '=', daq.body.id)
            .execute();
          return rows.length === 1 && rows[0]?.status !== 'waiting_for_engine' && rows;
        },
        { timeout: 60_000, message: 'the processing request handled' },
      );
      assert.deepEqual(requests, [{ status: 'failed', error: 'no workflow "echo" of owner "admin"' }]);
      await t.call('POST', `/api/v1/daqs/${daq.body.id}/stop`, { token: tokens.mgr2 });
      assert.deepEqual((await t.call('GET', '/api/v1/jobs?experiment=tomo-1')).body.items, []);
    } finally {
      await detector.remove();
    }
  });
});
