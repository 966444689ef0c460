/**
 * The deployment docs/operations.md recommends, for real: `dm serve` runs as an unprivileged service
 * account that owns the data directory and the storage root, with DM_STAGE_SWITCH=sudo and the rule
 * `dm setup sudoers` prints installed in /etc/sudoers.d. A stage runs as its stage account, cannot read the
 * server's files, and is stopped with everything it started; the server's files are private and the
 * experiment's tree and job logs carry the experiment's ACLs.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { sudoersRules } from '../../src/system/sudoers.ts';
import { api, type ServerProcess, startServerProcess } from '../support/server-process.ts';
import { type TempDir, tempDir } from '../support/temp-dir.ts';
import { adminPassword } from '../support/test-app.ts';
import { createTestDatabase, describeBackends, type TestDatabase } from '../support/test-database.ts';
import {
  accountIds,
  ensureUnixAccount,
  ensureUnixGroup,
  processEnded,
  runningAsRoot,
} from '../support/unix-accounts.ts';
import { until } from '../support/wait.ts';

const canTest = runningAsRoot() && hasCommand('sudo') && hasCommand('visudo') && hasCommand('setfacl');
const skip = canTest ? false : 'needs root, sudo, visudo and setfacl';
if (skip && process.env.CI === 'true') throw new Error(`service account tests cannot run in CI: ${skip}`);

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

const serviceAccount = 'dmtsvc';
const stageAccount = 'dmtstage';
const readerAccount = 'dmtreader';
const stageGroup = 'dmt-stages';

/** Runs a command as another account, as a stage of that account would; its exit status and output. */
function asAccount(account: string, command: string) {
  const result = spawnSync('runuser', ['-u', account, '--', '/bin/sh', '-c', command], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const getfacl = (path: string) =>
  execFileSync('getfacl', ['--omit-header', '--absolute-names', path], { encoding: 'utf8' });

describeBackends('running without root: a service account, sudo for stages', (backend) => {
  let scratch: TempDir;
  let database: TestDatabase | undefined;
  let server: ServerProcess | undefined;
  let token: string;
  let dataDir: string;
  let storageRoot: string;
  const sudoersFile = `/etc/sudoers.d/photon-dm-test-${process.pid}-${backend}`;

  const call = (method: string, path: string, body?: unknown) => {
    if (!server) throw new Error('no server');
    return api(server.url, method, path, token, body);
  };
  async function finished(id: number) {
    return await until(
      async () => {
        const job = (await call('GET', `/api/v1/jobs/${id}`)).body;
        return ['done', 'failed', 'aborted'].includes(job.status) && job;
      },
      { timeout: 60_000, interval: 50, message: `job ${id} ends` },
    );
  }
  async function logOf(id: number): Promise<string> {
    const log = (await call('GET', `/api/v1/jobs/${id}/logs`)).body;
    return log.entries.map((entry: { text: string }) => entry.text).join('');
  }

  before(async () => {
    if (skip) return;
    for (const account of [serviceAccount, stageAccount, readerAccount]) ensureUnixAccount(account);
    ensureUnixGroup(stageGroup, [stageAccount]);
    scratch = await tempDir('dm-service-account-');
    const rules = join(scratch.path, 'sudoers');
    writeFileSync(rules, sudoersRules({ serviceAccount, stageGroup }));
    execFileSync('visudo', ['-cf', rules], { stdio: 'pipe' });
    execFileSync('install', ['-o', 'root', '-g', 'root', '-m', '0440', rules, sudoersFile]);
    chmodSync(scratch.path, 0o755);
    const service = accountIds(serviceAccount);
    dataDir = join(scratch.path, 'data');
    storageRoot = join(scratch.path, 'storage');
    for (const directory of [dataDir, storageRoot]) {
      mkdirSync(directory);
      chownSync(directory, service.uid, service.gid);
    }
    database = backend === 'postgres' ? await createTestDatabase(backend) : undefined;
    server = await startServerProcess(
      ['--data-dir', dataDir, '--storage-root', storageRoot],
      {
        HOME: service.home,
        DM_ADMIN_PASSWORD: adminPassword,
        DM_STAGE_SWITCH: 'sudo',
        ...(database && { DM_DATABASE_URL: database.url }),
      },
      service,
    );
    token = (
      await api(server.url, 'POST', '/api/v1/auth/login', null, {
        username: 'admin',
        password: adminPassword,
      })
    ).body.token;
    assert.equal((await call('POST', '/api/v1/stations', { name: '9-ID' })).status, 201);
    // The stage account is the beamline's: on its station's list, as an admin keeps it.
    const listed = await call('PUT', `/api/v1/stations/9-ID/accounts/${stageAccount}`);
    assert.ok([200, 201].includes(listed.status), JSON.stringify(listed.body));
    const reader = { username: 'rita', password: 'rita-password', unixAccount: readerAccount };
    assert.equal((await call('POST', '/api/v1/users', reader)).status, 201);
    const experiment = await call('POST', '/api/v1/experiments', {
      name: 'svc-1',
      station: '9-ID',
      pi: 'rita',
    });
    assert.equal(experiment.status, 201, JSON.stringify(experiment.body));
  });

  after(async () => {
    await server?.stop();
    rmSync(sudoersFile, { force: true });
    await database?.drop();
    await scratch?.remove();
  });

  it('runs as the service account, with a private data directory and database', { skip }, async () => {
    assert.ok(server);
    const status = readFileSyncText(`/proc/${server.child.pid}/status`);
    assert.match(status, new RegExp(`^Uid:\\s+${accountIds(serviceAccount).uid}\\s`, 'm'));
    assert.equal(statSync(dataDir).mode & 0o777, 0o700, 'the data directory is 0700');
    const own = readdirSync(dataDir).filter((name) => statSync(join(dataDir, name)).isFile());
    if (backend === 'sqlite') {
      for (const name of ['photon-dm.sqlite', 'photon-dm.sqlite-wal', 'photon-dm.sqlite-shm'])
        assert.ok(own.includes(name), `${name} exists`);
    }
    for (const name of own)
      assert.equal(statSync(join(dataDir, name)).mode & 0o777, 0o600, `${name} is 0600`);
  });

  it('runs a stage as its stage account, which cannot read the server files', { skip }, async () => {
    const upsert = await call('POST', '/api/v1/workflows', {
      definition: {
        name: 'who',
        owner: 'admin',
        userAccount: stageAccount,
        stages: {
          A: {
            command: [
              'id -un',
              `cat ${dataDir}/photon-dm.sqlite >/dev/null 2>&1 && echo database-read || echo database-refused`,
              `ls ${dataDir} >/dev/null 2>&1 && echo listed || echo listing-refused`,
              'echo "msg=$(printenv DM_JOB_STAGE)"',
              'echo "note=$note"',
              'printf "%s\\n" $note',
            ].join('; '),
          },
        },
      },
    });
    assert.ok([200, 201].includes(upsert.status), JSON.stringify(upsert.body));
    // A hostile value: through sudo it must still reach the stage as one word of data.
    const note = `x; touch ${dataDir}/../injected $(id -u) \`whoami\` '"*`;
    const started = await call('POST', '/api/v1/jobs', {
      workflow: 'who',
      experiment: 'svc-1',
      arguments: { note },
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const job = await finished(started.body.id);
    assert.equal(job.status, 'done', JSON.stringify(job));
    const output = job.stages.A.childProcesses[0].stdOut as string;
    assert.equal(output.split('\n')[0], stageAccount, 'the stage ran as the stage account');
    assert.match(output, /^listing-refused$/m);
    assert.match(output, /^msg=A$/m, "the job's variables reach the stage through sudo");
    const lines = output.split('\n');
    assert.ok(lines.includes(`note=${note}`), `$note reached the stage as data through sudo: ${output}`);
    assert.ok(lines.includes(note), 'an unquoted $note is one word, not split or globbed');
    assert.equal(existsSync(join(dataDir, '..', 'injected')), false, 'nothing in the value ran');
    if (backend === 'sqlite') assert.match(output, /^database-refused$/m);

    // The job's log: 0600 for the server, its reader through the experiment's ACL, no one else.
    const jobs = join(storageRoot, '9-ID', 'svc-1', 'system', 'jobs', String(started.body.id));
    const [log] = readdirSync(jobs);
    assert.ok(log, 'the stage wrote a log');
    const logPath = join(jobs, log);
    assert.equal(statSync(logPath).uid, accountIds(serviceAccount).uid);
    const acl = getfacl(logPath);
    assert.match(acl, /^user::rw-$/m);
    assert.match(acl, new RegExp(`^user:${readerAccount}:r--`, 'm'));
    assert.match(acl, /^group::---$/m);
    assert.match(acl, /^other::---$/m);
    const named = [...acl.matchAll(/^user:([^:]+):/gm)].map((match) => match[1]);
    assert.deepEqual(named, [readerAccount], 'no one but the experiment reader is named');
    assert.equal(asAccount(readerAccount, `cat '${logPath}'`).output.split('\n')[0], stageAccount);
    assert.notEqual(asAccount(stageAccount, `cat '${logPath}'`).status, 0, 'others cannot read the log');
    assert.match(await logOf(started.body.id), new RegExp(`^${stageAccount}$`, 'm'));
  });

  it('applies the experiment ACLs as the service account, which owns the tree', { skip }, async () => {
    const tree = join(storageRoot, '9-ID', 'svc-1');
    assert.match(getfacl(join(tree, 'data')), new RegExp(`^user:${readerAccount}:r-x$`, 'm'));
    const restored = await call('POST', '/api/v1/experiments/svc-1/storage/restore-permissions');
    assert.equal(restored.status, 200, JSON.stringify(restored.body));
    assert.deepEqual(restored.body.readers, [readerAccount]);
    assert.equal(asAccount(readerAccount, `ls '${tree}/data' && echo ok`).output.trim(), 'ok');
    assert.notEqual(asAccount(stageAccount, `ls '${tree}/data'`).status, 0);
  });

  it('stops a stage through sudo with everything it started', { skip }, async () => {
    await call('POST', '/api/v1/workflows', {
      definition: {
        name: 'long',
        owner: 'admin',
        userAccount: stageAccount,
        stages: { A: { command: 'sleep 300 & echo "background=$!"; sleep 301' } },
      },
    });
    const started = await call('POST', '/api/v1/jobs', { workflow: 'long' });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    const id = started.body.id as number;
    const background = await until(
      async () => {
        const match = /background=(\d+)/.exec(await logOf(id));
        return match ? Number(match[1]) : undefined;
      },
      { timeout: 60_000, interval: 50, message: 'the stage prints its background pid' },
    );
    assert.match(
      readFileSyncText(`/proc/${background}/status`),
      new RegExp(`^Uid:\\s+${accountIds(stageAccount).uid}\\s`, 'm'),
    );
    assert.equal((await call('POST', `/api/v1/jobs/${id}/stop`)).status, 200);
    assert.equal((await finished(id)).status, 'aborted');
    await until(() => processEnded(background), {
      timeout: 60_000,
      interval: 50,
      message: 'the background sleep of the stage account ended',
    });
  });
});

function readFileSyncText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // the process has gone
  }
}
