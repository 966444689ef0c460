/**
 * Processing jobs through the real `dm` and a real server: started with APS-style arguments, followed to the
 * end (`wait` exit codes, `watch`, `logs --follow`), failed and resubmitted from the failed stage, stopped,
 * started once per cataloged file, and the APS example workflow run unchanged on a file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job, Page, StartedJobs } from '@photon-dm/client';
import { withApsExampleLock } from '../../server/test/support/aps-example-lock.ts';
import { apsExamplePath } from '../../server/test/support/fixtures.ts';
import {
  cleanEnv,
  dmBin,
  dmCommands,
  leakedProcesses,
  type ServerProcess,
  startDmServer,
  stopProcess,
} from './dm-process.ts';
import { ensureUnixAccount } from './unix-account.ts';

const adminPassword = 'jobs-admin-password';
const experiment = 'xpcs-jobs';

/** Greets, checks that a flag file exists (the stage that fails until someone fixes things), and ends. */
const stepsWorkflow = `name: steps
owner: admin
stages:
  01-GREET:
    command: echo "hello $who"
    outputVariableRegexList: ['hello (?P<greeted>.*)']
  02-CHECK:
    command: test -e "$flag" || { echo "no flag $flag" >&2; exit 3; }
  03-DONE:
    command: echo "done with $greeted"
`;

const slowWorkflow = `name: slow
owner: admin
stages:
  01-SLEEP:
    command: echo started; sleep 120
`;

const countWorkflow = `name: count
owner: admin
stages:
  01-COUNT:
    command: for i in 1 2 3 4 5; do echo "line \\$i"; sleep 0.4; done
`;

describe('jobs through dm', { timeout: 600_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'dm-cli-jobs-'));
  const home = join(root, 'config');
  let server: ServerProcess;
  const { dm, ok, json } = dmCommands(home);

  const upsert = async (name: string, text: string) => {
    writeFileSync(join(root, `${name}.yaml`), text);
    await ok(['workflow', 'upsert', '--file', join(root, `${name}.yaml`)]);
  };
  /** `dm job start ...` prints nothing but the id. */
  const start = async (args: string[]): Promise<number> => {
    const { stdout } = await ok(['job', 'start', ...args]);
    assert.match(stdout, /^\d+\n$/);
    return Number(stdout);
  };
  const show = (id: number) => json<Job>(['job', 'show', String(id)]);
  /** The file that lets the `steps` workflow's check pass. */
  const presentFlag = () => {
    const flag = join(root, 'flag-present');
    writeFileSync(flag, '');
    return flag;
  };

  before(async () => {
    // mkdtemp gives 0700: the workflow's unix account must be able to walk down to storage, as on a real mount.
    chmodSync(root, 0o711);
    // The admin's workflows name no account: their stages run as DM_STAGE_ACCOUNT, made a user of the
    // experiment below so that it may work in its storage, as a facility's stage account would be.
    const stageAccount = ensureUnixAccount('dmcli-stage') === undefined ? 'dmcli-stage' : 'nobody';
    server = await startDmServer(
      ['--port', '0', '--data-dir', join(root, 'data'), '--log-level', 'warn'],
      cleanEnv({ DM_ADMIN_PASSWORD: adminPassword, DM_STAGE_ACCOUNT: stageAccount }),
    );
    await ok(['login', '--server', server.url, '--username', 'admin', '--password-stdin'], {
      input: `${adminPassword}\n`,
    });
    await ok(['station', 'add', '8-ID-I']);
    await ok(['experiment', 'add', experiment, '--station', '8-ID-I']);
    if (stageAccount === 'dmcli-stage') {
      await ok(['user', 'add', 'stager', '--unix-account', stageAccount]);
      await ok(['experiment', 'add-user', experiment, 'stager', '--role', 'user']);
    }
    const beamline = join(root, 'beamline');
    mkdirSync(join(beamline, 'scan_1'), { recursive: true });
    mkdirSync(join(beamline, 'scan_2'));
    writeFileSync(join(beamline, 'scan_1', 'a.h5'), 'frames of a');
    writeFileSync(join(beamline, 'scan_1', 'b.h5'), 'frames of b');
    writeFileSync(join(beamline, 'scan_2', 'c.h5'), 'frames of c');
    await ok(['upload', '--experiment', experiment, '--data-directory', beamline, '--wait']);
    await upsert('steps', stepsWorkflow);
    await upsert('slow', slowWorkflow);
    await upsert('count', countWorkflow);
  });

  after(async () => {
    try {
      if (server) assert.equal(await stopProcess(server.child, 'SIGTERM'), 0);
      assert.deepEqual(leakedProcesses(), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('should start a job with key:value and key=value arguments, wait for it and show each stage', async () => {
    const flag = presentFlag();
    const id = await start(['--workflow', 'steps', '--experiment', experiment, 'who:world', `flag=${flag}`]);

    const waited = await dm(['job', 'wait', String(id), '--timeout', '5m']);
    assert.equal(waited.code, 0, waited.stderr);
    assert.match(waited.stdout, new RegExp(`^job ${id} done after `));

    const job = await show(id);
    assert.equal(job.status, 'done');
    assert.deepEqual(job.arguments, { who: 'world', flag });
    assert.equal(job.variables.greeted, 'world');
    assert.equal(job.experimentName, experiment);

    const text = (await ok(['job', 'show', String(id)])).stdout;
    assert.match(text, /^workflow: +admin\/steps \(revision 1\)$/m);
    assert.match(text, /^status: +done$/m);
    const rows = text
      .slice(text.indexOf('STAGE'))
      .trim()
      .split('\n')
      .map((line) => line.split(/ {2,}/));
    assert.deepEqual(
      rows.map((row) => row.slice(0, 3)),
      [
        ['STAGE', 'STATUS', 'EXIT'],
        ['01-GREET', 'done', '0'],
        ['02-CHECK', 'done', '0'],
        ['03-DONE', 'done', '0'],
      ],
    );

    const logs = (await ok(['job', 'logs', String(id)])).stdout;
    assert.match(logs, /==> 01-GREET process 1 <==\nhello world\n/);
    assert.match(logs, /==> 03-DONE process 1 <==\ndone with world\n/);
    assert.equal((await ok(['job', 'logs', String(id), '--stage', '03-DONE'])).stdout, 'done with world\n');
  });

  it('should exit 1 when the job fails, and run it again from the failed stage once fixed', async () => {
    const flag = join(root, 'flag-later');
    const id = await start(['--workflow', 'steps', 'who:again', `flag:${flag}`]);
    const waited = await dm(['job', 'wait', String(id)]);
    assert.equal(waited.code, 1, waited.stdout + waited.stderr);
    assert.match(waited.stderr, new RegExp(`^error: job ${id} failed`, 'm'));

    const failed = await show(id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.stage, '02-CHECK');
    assert.equal(failed.stages['02-CHECK']?.childProcesses.at(-1)?.exitStatus, 3);
    assert.equal(failed.stages['03-DONE'], undefined, 'nothing ran after the failed stage');
    const text = (await ok(['job', 'show', String(id)])).stdout;
    assert.match(text, /^02-CHECK +failed +3 /m);
    assert.match((await ok(['job', 'logs', String(id), '--stage', '02-CHECK'])).stdout, /no flag/);

    writeFileSync(flag, '');
    const { stdout } = await ok(['job', 'resubmit', String(id), '--from-stage', '02-CHECK']);
    const again = Number(stdout);
    assert.ok(again > id, stdout);
    assert.equal((await dm(['job', 'wait', String(again), '--timeout', '5m'])).code, 0);
    const resubmitted = await show(again);
    assert.equal(resubmitted.status, 'done');
    assert.equal(resubmitted.resubmittedFrom, id);
    assert.equal(resubmitted.fromStage, '02-CHECK');
    assert.equal(
      resubmitted.stages['01-GREET'],
      undefined,
      'the stage before --from-stage did not run again',
    );
    // ...but the variable it captured in the first run was carried over.
    assert.equal(
      (await ok(['job', 'logs', String(again), '--stage', '03-DONE'])).stdout,
      'done with again\n',
    );
    assert.match(
      (await ok(['job', 'show', String(again)])).stdout,
      new RegExp(`^resubmittedFrom: +${id} \\(from stage 02-CHECK\\)$`, 'm'),
    );
  });

  it('should exit 2 when waiting times out, and 1 once the job is stopped', async () => {
    const id = await start(['--workflow', 'slow']);
    const timedOut = await dm(['job', 'wait', String(id), '--timeout', '1s']);
    assert.equal(timedOut.code, 2, timedOut.stdout + timedOut.stderr);
    assert.match(timedOut.stdout, new RegExp(`^job ${id} is still (pending|running) after 1s$`, 'm'));

    const stopped = await json<Job>(['job', 'stop', String(id)]);
    assert.ok(['running', 'aborted'].includes(stopped.status), stopped.status);
    const waited = await dm(['job', 'wait', String(id), '--timeout', '2m']);
    assert.equal(waited.code, 1, waited.stdout + waited.stderr);
    assert.equal((await show(id)).status, 'aborted');

    const history = await json<Page<Job>>(['job', 'history', '--workflow', 'slow']);
    assert.ok(history.items.some((job) => job.id === id));
    assert.ok(history.items.every((job) => ['done', 'failed', 'aborted'].includes(job.status)));
  });

  it('should print the log as it is written with logs --follow, and end with the job', async () => {
    const id = await start(['--workflow', 'count']);
    const followed = await ok(['job', 'logs', String(id), '--follow', '--stage', '01-COUNT']);
    assert.equal(followed.stdout, 'line 1\nline 2\nline 3\nline 4\nline 5\n');
    assert.equal((await show(id)).status, 'done', 'logs --follow returns once the job has ended');
  });

  it('should print the transitions of a job with watch, until it ends', async () => {
    const flag = presentFlag();
    const id = await start(['--workflow', 'steps', 'who=watcher', `flag=${flag}`]);
    const watched = (await ok(['job', 'watch', String(id)])).stdout;
    const transitions = watched
      .trim()
      .split('\n')
      .map((line) => line.replace(/^\S+ /, ''));
    assert.equal(transitions.at(-1), `job ${id} done`);
    assert.ok(transitions.includes(`job ${id} stage 03-DONE done (exit 0)`), watched);
    assert.ok(
      transitions.indexOf(`job ${id} stage 03-DONE done (exit 0)`) < transitions.indexOf(`job ${id} done`),
    );
  });

  it('should print the events of every job with watch and no id, until interrupted', async () => {
    const watcher = spawn(process.execPath, [dmBin, 'job', 'watch'], {
      env: cleanEnv({ XDG_CONFIG_HOME: home }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let printed = '';
    watcher.stdout.setEncoding('utf8').on('data', (text: string) => {
      printed += text;
    });
    try {
      // The watcher shows what happens from the moment it is connected; jobs run until one of them shows.
      const flag = presentFlag();
      let seen: number | undefined;
      for (let attempt = 0; attempt < 30 && seen === undefined; attempt++) {
        const id = await start(['--workflow', 'steps', 'who=everyone', `flag=${flag}`]);
        await ok(['job', 'wait', String(id), '--timeout', '5m']);
        for (let look = 0; look < 20 && !printed.includes(`job ${id} done`); look++) await sleep(100);
        // A job that started before the watcher connected shows only its end: try another.
        if (printed.includes(`job ${id} running`) && printed.includes(`job ${id} done`)) seen = id;
      }
      assert.ok(seen !== undefined, `dm job watch printed:\n${printed}`);
      const lines = printed.split('\n').map((line) => line.replace(/^\S+ /, ''));
      for (const expected of [`job ${seen} running`, `job ${seen} stage 01-GREET done`, `job ${seen} done`]) {
        assert.ok(lines.includes(expected), `${expected} in:\n${printed}`);
      }
      assert.ok(lines.indexOf(`job ${seen} stage 03-DONE done`) < lines.indexOf(`job ${seen} done`));
    } finally {
      await stopProcess(watcher, 'SIGINT');
    }
  });

  it('should start one job per matching cataloged file with --each-file, and list them', async () => {
    const flag = presentFlag();
    const started = await ok([
      'job',
      'start',
      '--workflow',
      'steps',
      '--each-file',
      '--experiment',
      experiment,
      '--path-glob',
      'scan_1/*',
      'who=each',
      `flag=${flag}`,
    ]);
    const match = /^2 jobs started: (\d+) (\d+)$/.exec(started.stdout.trim());
    assert.ok(match, started.stdout);
    const ids = [Number(match[1]), Number(match[2])];
    for (const id of ids) assert.equal((await dm(['job', 'wait', String(id), '--timeout', '5m'])).code, 0);
    const files = await Promise.all(ids.map(async (id) => (await show(id)).filePath));
    assert.deepEqual(files.map((path) => path?.slice(path.lastIndexOf('/data/') + '/data/'.length)).sort(), [
      'scan_1/a.h5',
      'scan_1/b.h5',
    ]);

    const none = await json<StartedJobs>([
      'job',
      'start',
      '--workflow',
      'steps',
      '--each-file',
      '--experiment',
      experiment,
      '--path-glob',
      'nothing/*',
    ]);
    assert.deepEqual(none, { count: 0, jobIds: [] });

    const listed = await json<Page<Job>>([
      'job',
      'list',
      '--workflow',
      'steps',
      '--experiment',
      experiment,
      '--status',
      'done',
    ]);
    assert.ok(ids.every((id) => listed.items.some((job) => job.id === id)));
    assert.ok(listed.items.every((job) => job.status === 'done' && job.experimentName === experiment));
    const firstTwo = await json<Page<Job>>(['job', 'list', '--limit', '2']);
    assert.equal(firstTwo.items.length, 2);
    const [newest, older] = firstTwo.items;
    assert.ok(newest && older && newest.id > older.id, 'newest first');
    assert.notEqual(firstTwo.nextCursor, null);
    const table = (await ok(['job', 'list', '--status', 'failed'])).stdout;
    assert.match(table, /^ID +WORKFLOW +STATUS +STAGE +EXPERIMENT +SUBMITTED +RUNTIME$/m);
    assert.match(table, /^\d+ +admin\/steps +failed +02-CHECK /m);
  });

  it('should refuse bad job command lines before asking the server', async () => {
    for (const args of [
      ['--workflow', 'steps', 'not-an-argument'],
      ['--workflow', 'steps', '--each-file'],
      ['--workflow', 'steps', '--where', 'a=1'],
      ['--workflow', 'steps', '--experiment', 'e1', 'experimentName:e2'],
    ]) {
      const refused = await dm(['job', 'start', ...args], { env: { DM_SERVER: 'http://127.0.0.1:1' } });
      assert.equal(refused.code, 2, `${args.join(' ')}: ${refused.stderr}`);
    }
    assert.equal((await dm(['job', 'wait', '1', '--timeout', '5'])).code, 2, 'a duration needs a unit');
    const missing = await dm(['job', 'show', '999999']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'error: no job 999999\n');
  });

  const noAccount = ensureUnixAccount('s25idcuser');
  it('should run the APS example workflow unchanged, on a cataloged file and on a path given APS-style', {
    skip: noAccount ?? false,
  }, async () => {
    await withApsExampleLock(async () => {
      await ok(['station', 'add-account', '8-ID-I', 's25idcuser']);
      await ok(['workflow', 'upsert', '--file', apsExamplePath]);
      // The stages run as s25idcuser, who reads the experiment's files only as one of its users, as at the APS
      // where the beamline account is on the experiment.
      await ok(['user', 'add', 's25idc', '--unix-account', 's25idcuser']);
      await ok(['experiment', 'add-user', experiment, 's25idc', '--role', 'user']);
      const id = await start([
        '--workflow',
        'example-01',
        '--owner',
        's25idcuser',
        '--experiment',
        experiment,
        '--file-path',
        'scan_2/c.h5',
      ]);
      const waited = await dm(['job', 'wait', String(id), '--timeout', '5m']);
      const job = await show(id);
      assert.equal(waited.code, 0, `${waited.stderr}\n${JSON.stringify(job, null, 2)}`);
      const md5Sum = createHash('md5').update('frames of c').digest('hex');
      assert.equal(job.variables.md5Sum, md5Sum);
      assert.equal(job.md5Sum, md5Sum, 'captured variables are also at the top level, as in APS job records');
      const output = join(`/tmp/workflow.${job.variables.timeStamp}`, `${id}.out`);
      assert.ok(existsSync(output), output);
      assert.match(
        readFileSync(output, 'utf8'),
        new RegExp(
          `^START JOB ID: ${id}\nFILE .*scan_2/c\\.h5 MD5 SUM: ${job.variables.md5Sum}\nSTOP JOB ID: ${id}\n$`,
        ),
      );
      rmSync(`/tmp/workflow.${job.variables.timeStamp}`, { recursive: true, force: true });

      // As APS users start it for a file that is not cataloged: filePath as an argument, no experiment.
      const loose = join(root, 'loose.dat');
      writeFileSync(loose, 'not cataloged', { mode: 0o644 });
      const apsStyle = await start([
        '--workflow',
        'example-01',
        '--owner',
        's25idcuser',
        `filePath:${loose}`,
      ]);
      assert.equal((await dm(['job', 'wait', String(apsStyle), '--timeout', '5m'])).code, 0);
      const looseJob = await show(apsStyle);
      assert.equal(looseJob.md5Sum, createHash('md5').update('not cataloged').digest('hex'));
      rmSync(`/tmp/workflow.${looseJob.variables.timeStamp}`, { recursive: true, force: true });
    });
  });
});
