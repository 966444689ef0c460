/**
 * Beamline staff define an analysis once as a workflow; jobs run it stage by stage with the APS semantics,
 * and people follow, stop and resubmit them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { withApsExampleLock } from './support/aps-example-lock.ts';
import { openEventStream } from './support/event-stream.ts';
import { type TempDir, tempDir } from './support/temp-dir.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';
import { ensureUnixAccount, processEnded, runningAsRoot } from './support/unix-accounts.ts';
import { readUntil, until } from './support/wait.ts';

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/aps-workflows/example-01.json', import.meta.url), 'utf8'),
);

describeBackends('processing jobs', (backend) => {
  let t: TestApp;
  let scratch: TempDir;

  before(async () => {
    // These stories are about the engine, not the account a stage runs as (run-as.test.ts): stages run as
    // the server's own account, as in a personal installation, so they write where the test looks. The
    // repeating stages here poll every 0.05 s, below the default floor of 1 s (workflows/limits.ts).
    t = await createTestApp(backend, { DM_STAGE_SWITCH: 'none', DM_MIN_REPEAT_PERIOD: '0.05' });
    scratch = await tempDir('dm-jobs-');
  });
  after(async () => {
    await t.close();
    await scratch.remove();
  });

  async function upsert(definition: unknown, token?: string) {
    const response = await t.call('POST', '/api/v1/workflows', { body: { definition }, token });
    assert.ok([200, 201].includes(response.status), JSON.stringify(response.body));
    return response.body;
  }
  async function start(body: Record<string, unknown>, token?: string) {
    const response = await t.call('POST', '/api/v1/jobs', { body, token });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body.id as number;
  }
  async function finished(id: number, token?: string) {
    return until(
      async () => {
        const job = (await t.call('GET', `/api/v1/jobs/${id}`, { token })).body;
        return ['done', 'failed', 'aborted'].includes(job.status) && job;
      },
      { interval: 50, message: `job ${id} ends` },
    );
  }

  it('runs the APS example workflow unchanged, with captured variables and $id', async () => {
    if (runningAsRoot()) ensureUnixAccount('s25idcuser');
    const input = join(scratch.path, 'frame_0001.h5');
    writeFileSync(input, 'detector frame');
    execFileSync('chmod', ['755', scratch.path]);
    if (!runningAsRoot()) {
      const refused = await t.call('POST', '/api/v1/workflows', { body: { definition: fixture } });
      assert.equal(refused.status, 400);
      assert.match(refused.body.error.message, /userAccount/);
      return;
    }
    // userAccount needs an app that switches accounts, and s25idcuser on a station's list.
    const engine = t;
    t = await createTestApp(backend);
    await t.station('25-ID-C');
    assert.equal((await t.call('PUT', '/api/v1/stations/25-ID-C/accounts/s25idcuser')).status, 200);
    await withApsExampleLock(async () => {
      const workflow = await upsert(fixture);
      assert.equal(workflow.revision, 1);
      const id = await start({ workflow: 'example-01', owner: 's25idcuser', arguments: { filePath: input } });
      const job = await finished(id);
      assert.equal(job.status, 'done', JSON.stringify(job));
      assert.deepEqual(Object.keys(job.stages), [
        '01-START',
        '02-MKDIR',
        '03-ECHO',
        '04-MD5SUM',
        '05-ECHO',
        '06-DONE',
      ]);
      assert.match(job.timeStamp, /^\d{14}$/);
      assert.equal(job.md5Sum, execFileSync('md5sum', [input], { encoding: 'utf8' }).split(' ')[0]);
      const out = readFileSync(`/tmp/workflow.${job.timeStamp}/${id}.out`, 'utf8');
      assert.equal(out, `START JOB ID: ${id}\nFILE ${input} MD5 SUM: ${job.md5Sum}\nSTOP JOB ID: ${id}\n`);
      assert.equal(
        job.stages['02-MKDIR'].childProcesses[0].command,
        `/bin/mkdir -p /tmp/workflow.${job.timeStamp}`,
      );
      rmSync(`/tmp/workflow.${job.timeStamp}`, { recursive: true, force: true });
    }).finally(async () => {
      await t.close();
      t = engine;
    });
  });

  it('skips a stage whose runIf is false and repeats a stage until its condition holds', async () => {
    const counter = join(scratch.path, 'counter');
    await upsert({
      name: 'poll',
      owner: 'admin',
      stages: {
        A: { command: 'echo mode=fast', outputVariableRegexList: ['mode=(?P<mode>\\w+)'] },
        B: { command: 'echo never', runIf: '"$mode" == "slow"' },
        C: {
          command: `echo x >> ${counter}; echo count=$(wc -l < ${counter})`,
          outputVariableRegexList: ['count=(?P<count>\\d+)'],
          repeatPeriod: 0.05,
          repeatUntil: '"$count" == "$target"',
          maxRepeats: 10,
        },
      },
    });
    const job = await finished(await start({ workflow: 'poll', arguments: { target: '3' } }));
    assert.equal(job.status, 'done', job.errorMessage);
    assert.equal(job.stages.B.status, 'skipped');
    assert.equal(job.stages.C.childProcesses.length, 3);
    assert.equal(job.count, '3');

    rmSync(counter);
    const tooFew = await finished(await start({ workflow: 'poll', arguments: { target: '20' } }));
    assert.equal(tooFew.status, 'failed');
    assert.match(tooFew.errorMessage, /stage C failed: repeatUntil .* still false after 10 runs/);
  });

  it('fails a job at a failing stage, and a resubmission from that stage carries the variables over', async () => {
    const flag = join(scratch.path, 'fixed');
    await upsert({
      name: 'fragile',
      owner: 'admin',
      stages: {
        '1-prepare': { command: 'echo run=42', outputVariableRegexList: ['run=(?P<run>\\d+)'] },
        '2-analyse': {
          command: `test -e ${flag} || { echo "no calibration" >&2; exit 3; }; echo analysed $run`,
        },
        '3-publish': { command: 'echo published $run' },
      },
    });
    const failed = await finished(await start({ workflow: 'fragile' }));
    assert.equal(failed.status, 'failed');
    assert.equal(failed.errorMessage, 'stage 2-analyse failed: exit status 3');
    assert.equal(failed.stages['2-analyse'].childProcesses[0].exitStatus, 3);
    assert.match(failed.stages['2-analyse'].childProcesses[0].stdErr, /no calibration/);
    assert.equal(failed.stages['3-publish'], undefined);

    writeFileSync(flag, '');
    const again = await t.call('POST', `/api/v1/jobs/${failed.id}/resubmit`, {
      body: { fromStage: '2-analyse' },
    });
    assert.equal(again.status, 201, JSON.stringify(again.body));
    const resubmitted = await finished(again.body.id);
    assert.equal(resubmitted.status, 'done', resubmitted.errorMessage);
    assert.equal(resubmitted.resubmittedFrom, failed.id);
    assert.equal(resubmitted.stages['1-prepare'], undefined, 'stages before fromStage do not run again');
    assert.match(resubmitted.stages['3-publish'].childProcesses[0].stdOut, /published 42/);

    const unknown = await t.call('POST', `/api/v1/jobs/${failed.id}/resubmit`, {
      body: { fromStage: '9-nope' },
    });
    assert.equal(unknown.status, 400);
  });

  it('names an unknown variable, and times out, retrying per retries', async () => {
    await upsert({
      name: 'careless',
      owner: 'admin',
      stages: { A: { command: 'echo $undefinedThing' } },
    });
    const job = await finished(await start({ workflow: 'careless' }));
    assert.equal(job.status, 'failed');
    assert.match(job.errorMessage, /undefinedThing/);

    await upsert({
      name: 'slow',
      owner: 'admin',
      stages: { A: { command: 'sleep 30', timeout: 0.3, retries: 1 } },
    });
    const slow = await finished(await start({ workflow: 'slow' }));
    assert.equal(slow.status, 'failed');
    assert.match(slow.errorMessage, /timed out after 0.3 s/);
    assert.equal(slow.stages.A.childProcesses.length, 2, 'one retry after the first timeout');
  });

  it('stops a running job by killing its whole process group', async () => {
    const pidFile = join(scratch.path, 'background.pid');
    await upsert({
      name: 'long',
      owner: 'admin',
      stages: { A: { command: `sleep 60 & echo $! > ${pidFile}; wait` } },
    });
    const id = await start({ workflow: 'long' });
    // The shell makes the file before it writes the pid into it: wait for the whole line.
    const background = await until(
      () => {
        const line = existsSync(pidFile) ? readFileSync(pidFile, 'utf8') : '';
        return /^\d+\n$/.test(line) && Number(line);
      },
      { message: 'the stage wrote its background pid' },
    );
    const stopped = await t.call('POST', `/api/v1/jobs/${id}/stop`);
    assert.equal(stopped.status, 200);
    const job = await finished(id);
    assert.equal(job.status, 'aborted');
    assert.equal(job.stages.A.status, 'aborted');
    // The signal is sent with the stop; the process may take a moment to end on a loaded machine.
    await until(() => processEnded(background), { message: 'the background sleep was killed too' });
    const again = await t.call('POST', `/api/v1/jobs/${id}/stop`);
    assert.equal(again.status, 409);
  });

  it('survives hostile output: binary garbage, megabytes of text, a regex that backtracks forever', async () => {
    await upsert({
      name: 'hostile',
      owner: 'admin',
      stages: {
        A: { command: "head -c 100000 /dev/urandom; printf '\\000\\377 tail-marker'" },
        B: {
          command: 'yes "a line of output" | head -c 5000000; echo; echo value=7',
          outputVariableRegexList: ['value=(?P<value>\\d+)'],
        },
        C: {
          command: "printf 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'",
          outputVariableRegexList: ['^(a+)+$'],
        },
      },
    });
    const job = await finished(await start({ workflow: 'hostile' }));
    assert.equal(job.status, 'failed');
    assert.match(job.stages.A.childProcesses[0].stdOut, /tail-marker$/);
    assert.ok(!job.stages.A.childProcesses[0].stdOut.includes('\u0000'));
    assert.ok(job.stages.B.childProcesses[0].stdOut.length <= 16 * 1024);
    assert.equal(job.value, undefined, 'the capture reads the first megabyte only');
    assert.match(job.errorMessage, /stage C failed: output regex .* took too long/);
  });

  it('streams logs from a cursor, and hides jobs and logs from those who may not see them', async () => {
    await t.station('2-BM');
    const userToken = await t.user('ana');
    const otherToken = await t.user('ben');
    await t.experiment('tomo-1', '2-BM', { users: ['ana'] });
    await upsert({
      name: 'talk',
      owner: 'ana',
      stages: { A: { command: 'echo one; echo two >&2' }, B: { command: 'echo three' } },
    });
    const id = await start({ workflow: 'talk', owner: 'ana', experiment: 'tomo-1' }, userToken);
    const job = await finished(id, userToken);
    assert.equal(job.status, 'done', job.errorMessage);
    const first = await t.call('GET', `/api/v1/jobs/${id}/logs`, { token: userToken });
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.body.entries.map((e: { text: string }) => e.text),
      ['one\ntwo\n', 'three\n'],
    );
    assert.equal(first.body.complete, true);
    const rest = await t.call('GET', `/api/v1/jobs/${id}/logs?cursor=${first.body.cursor}`, {
      token: userToken,
    });
    assert.deepEqual(rest.body.entries, []);
    const logDir = join(t.storageRoot, '2-BM', 'tomo-1', 'system', 'jobs', String(id));
    assert.ok(existsSync(logDir), 'logs live with the experiment');

    for (const url of [`/api/v1/jobs/${id}`, `/api/v1/jobs/${id}/logs`])
      assert.equal((await t.call('GET', url, { token: otherToken })).status, 404);
    assert.deepEqual((await t.call('GET', '/api/v1/jobs', { token: otherToken })).body.items, []);
    assert.equal((await t.call('POST', `/api/v1/jobs/${id}/stop`, { token: otherToken })).status, 404);
    const mine = await t.call('GET', '/api/v1/jobs', { token: userToken });
    assert.deepEqual(
      mine.body.items.map((j: { id: number }) => j.id),
      [id],
    );
    const foreign = await t.call('POST', '/api/v1/jobs', {
      body: { workflow: 'talk', owner: 'ana' },
      token: otherToken,
    });
    assert.equal(foreign.status, 404, 'a workflow outside their scope does not exist for them');
  });

  it('tells a waiting client every transition through the live event stream, in order', async () => {
    const url = await t.app.http.listen({ host: '127.0.0.1', port: 0 });
    await upsert({
      name: 'two-steps',
      owner: 'admin',
      stages: { A: { command: 'true' }, B: { command: 'exit 4' } },
    });
    const id = await start({ workflow: 'two-steps' });
    const stream = await openEventStream(url, t.adminToken, { query: `after=0&subject=${id}` });
    try {
      const seen: string[] = [];
      for (;;) {
        const event = await stream.next(30_000);
        const { status, stage } = event.data.payload;
        seen.push(event.type === 'job.stage' ? `${stage}:${status}` : status);
        if (event.type === 'job.status' && ['done', 'failed', 'aborted'].includes(status)) break;
      }
      assert.deepEqual(seen, [
        'pending',
        'running',
        'A:running',
        'A:done',
        'B:running',
        'B:failed',
        'failed',
      ]);
    } finally {
      stream.close();
    }
  });

  it('loses no job across a restart: the interrupted stage runs again without counting as a failure', async () => {
    const marks = join(scratch.path, 'restart-marks');
    await upsert({
      name: 'patient',
      owner: 'admin',
      // Long enough to be still running when the restart comes, even on a loaded machine.
      stages: { A: { command: `echo started >> ${marks}; sleep 3; echo finished >> ${marks}` } },
    });
    const id = await start({ workflow: 'patient' });
    await until(() => existsSync(marks), { message: 'the stage started' });
    await t.restart();
    const job = await finished(id);
    assert.equal(job.status, 'done', job.errorMessage);
    assert.deepEqual(readFileSync(marks, 'utf8').trim().split('\n'), ['started', 'started', 'finished']);
    assert.deepEqual(
      job.stages.A.childProcesses.map((p: { status: string }) => p.status),
      ['aborted', 'done'],
    );
  });

  it('starts one job per file a DAQ takes, and one per cataloged file on request', async () => {
    const detector = await tempDir('dm-jobs-detector-');
    try {
      await t.station('8-ID-I');
      await t.experiment('xpcs-jobs', '8-ID-I');
      await upsert({
        name: 'checksum',
        owner: 'admin',
        stages: { A: { command: 'md5sum $filePath', outputVariableRegexList: ['^(?P<md5>[0-9a-f]{32})'] } },
      });
      const daq = await t.call('POST', '/api/v1/daqs', {
        body: {
          experiment: 'xpcs-jobs',
          dataDirectory: detector.path,
          settleSeconds: 0.3,
          workflow: 'checksum',
        },
      });
      assert.equal(daq.status, 201, JSON.stringify(daq.body));
      for (const name of ['a.h5', 'b.h5']) writeFileSync(join(detector.path, name), `frame ${name}`);
      const jobs = await readUntil<{ filePath: string; status: string; md5: string }[]>(
        async () => (await t.call('GET', '/api/v1/jobs?experiment=xpcs-jobs&workflow=checksum')).body.items,
        (jobs) => jobs.length === 2 && jobs.every((job) => job.status === 'done'),
        { timeout: 20_000, interval: 50 },
      );
      assert.deepEqual(jobs.map((job) => job.filePath.split('/').at(-1)).sort(), ['a.h5', 'b.h5']);
      for (const job of jobs)
        assert.equal(job.md5, execFileSync('md5sum', [job.filePath], { encoding: 'utf8' }).slice(0, 32));
      await t.call('POST', `/api/v1/daqs/${daq.body.id}/stop`);

      const each = await t.call('POST', '/api/v1/jobs/each-file', {
        body: { workflow: 'checksum', experiment: 'xpcs-jobs', pathGlob: 'a*' },
      });
      assert.equal(each.status, 201, JSON.stringify(each.body));
      assert.equal(each.body.count, 1);
      const job = await finished(each.body.jobIds[0]);
      assert.equal(job.status, 'done', job.errorMessage);
      assert.match(job.filePath, /\/data\/a\.h5$/);
    } finally {
      await detector.remove();
    }
  });

  it('runs a parallel stage once per file, a few at a time, with its env, and lists ended jobs as history', async () => {
    const files = ['one', 'two', 'three', 'four', 'five'].map((name) => join(scratch.path, `${name}.dat`));
    for (const file of files) writeFileSync(file, file);
    const out = join(scratch.path, 'parallel-out');
    await upsert({
      name: 'fan-out',
      owner: 'admin',
      stages: {
        A: { command: `printf '%s\\n' ${files.join(' ')}`, outputVariableRegexList: ['(?s)(?P<list>.*)'] },
        B: {
          command: `mkdir -p ${out}; echo "\\$GREETING $fileName" > ${out}/$fileName; sleep 0.2`,
          env: { GREETING: 'hello from $workflowName' },
          parallel: { fileList: '$list', maxConcurrent: 2 },
        },
      },
    });
    const job = await finished(await start({ workflow: 'fan-out' }));
    assert.equal(job.status, 'done', job.errorMessage);
    assert.equal(job.stages.B.childProcesses.length, 5);
    for (const file of files) {
      const name = file.split('/').at(-1) ?? file;
      assert.equal(readFileSync(join(out, name), 'utf8'), `hello from fan-out ${name}\n`);
    }
    const history = await t.call('GET', '/api/v1/jobs?ended=true&limit=1000');
    assert.equal(history.status, 200);
    assert.ok(history.body.items.some((j: { id: number }) => j.id === job.id));
    assert.ok(
      history.body.items.every((j: { status: string }) => ['done', 'failed', 'aborted'].includes(j.status)),
    );
  });

  it('refuses bad input with every problem named', async () => {
    const invalid = await t.call('POST', '/api/v1/workflows', {
      body: {
        definition: {
          name: 'bad',
          owner: 'admin',
          stages: { A: { comand: 'x' }, B: { command: 'y', repeatPeriod: 1 } },
        },
      },
    });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.error.code, 'workflow_invalid');
    assert.ok(invalid.body.error.details.problems.length >= 3, JSON.stringify(invalid.body));
    assert.equal((await t.call('POST', '/api/v1/jobs', { body: { workflow: 'nope' } })).status, 404);
    const reserved = await t.call('POST', '/api/v1/jobs', {
      body: { workflow: 'talk', owner: 'ana', arguments: { id: '7' } },
    });
    assert.equal(reserved.status, 400);
    assert.match(reserved.body.error.message, /reserved/);
    const yaml = await t.call('POST', '/api/v1/workflows', {
      body: { format: 'yaml', text: 'name: from-yaml\nowner: admin\nstages:\n  A:\n    command: echo hi\n' },
    });
    assert.equal(yaml.status, 201, JSON.stringify(yaml.body));
    const again = await t.call('POST', '/api/v1/workflows', {
      body: { format: 'yaml', text: 'name: from-yaml\nowner: admin\nstages:\n  A:\n    command: echo bye\n' },
    });
    assert.equal(again.status, 200);
    assert.equal(again.body.revision, 2);
    const first = await t.call('GET', '/api/v1/workflows/admin/from-yaml?revision=1');
    assert.equal(first.body.stages.A.command, 'echo hi');
  });
});
