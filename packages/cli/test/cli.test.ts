/**
 * The five-minute tour through the real `dm`: a real server process on a temp directory, real `dm` child
 * processes, real credentials files. What is asserted is what a person or a script would see.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type {
  Experiment,
  ImportResult,
  IssuedToken,
  Page,
  Site,
  Token,
  Usage,
  User,
} from '@photon-dm/client';
import {
  cleanEnv,
  dmCommands,
  leakedProcesses,
  namesOf,
  runningChildren,
  type ServerProcess,
  startDmServer,
  stopProcess,
} from './dm-process.ts';

const adminPassword = 'tour-admin-password';
const carolPassword = 'carol-password-1';

describe('the five-minute tour through dm', { timeout: 300_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'dm-cli-'));
  const adminHome = join(root, 'admin-config');
  const carolHome = join(root, 'carol-config');
  let server: ServerProcess;

  const { dm, ok, json } = dmCommands(adminHome);

  before(async () => {
    server = await startDmServer(
      ['--port', '0', '--data-dir', join(root, 'data'), '--log-level', 'warn'],
      cleanEnv({ DM_ADMIN_PASSWORD: adminPassword }),
    );
  });

  after(async () => {
    try {
      if (server) {
        const code = await stopProcess(server.child, 'SIGTERM');
        assert.equal(code, 0, `dm serve should exit 0 after SIGTERM\n${server.output()}`);
      }
      assert.deepEqual(
        runningChildren().map((child) => child.pid),
        [],
        'every dm process should have exited',
      );
      assert.deepEqual(leakedProcesses(), [], 'no process started by this test should be left');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('should log in as admin with --password-stdin and keep the session private', async () => {
    const { stdout } = await ok(
      ['login', '--server', server.url, '--username', 'admin', '--password-stdin'],
      {
        input: `${adminPassword}\n`,
      },
    );
    assert.match(stdout, /^Logged in to http:\/\/127\.0\.0\.1:\d+ as admin/);
    const file = join(adminHome, 'photon-dm', 'credentials.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(adminHome, 'photon-dm')).mode & 0o777, 0o700);
    assert.equal((await json<User>(['whoami'])).username, 'admin');
  });

  it('should add the users alice, bob and carol', async () => {
    const alice = await json<User>([
      'user',
      'add',
      'alice',
      '--email',
      'alice@example.org',
      '--display-name',
      'Alice Smith',
    ]);
    assert.equal(alice.email, 'alice@example.org');
    await ok(['user', 'add', 'bob']);
    await ok(['user', 'add', 'carol', '--password-stdin'], { input: `${carolPassword}\n` });
    const { stdout } = await ok(['user', 'list']);
    assert.match(stdout, /^USERNAME\s+DISPLAY NAME\s+EMAIL/);
    assert.match(stdout, /^alice\s+Alice Smith\s+alice@example\.org/m);
    const page = await json<Page<User>>(['user', 'list', '--search', 'carol']);
    assert.deepEqual(namesOf(page), ['carol']);
    // Admins bound the processes one parallel stage of a user's jobs runs at once; `none` clears it.
    const limited = await json<User>(['user', 'update', 'bob', '--max-stage-processes', '4']);
    assert.equal(limited.maxStageProcesses, 4);
    assert.match((await ok(['user', 'show', 'bob'])).stdout, /^maxStageProcesses:\s+4$/m);
    const cleared = await json<User>(['user', 'update', 'bob', '--max-stage-processes', 'none']);
    assert.equal(cleared.maxStageProcesses, null);
    assert.equal((await dm(['user', 'update', 'bob', '--max-stage-processes', '0'])).code, 2);
  });

  it('should add a station with alice as its manager, and an experiment type', async () => {
    await ok(['station', 'add', '8-ID-I', '--description', 'XPCS beamline']);
    const { stdout } = await ok(['station', 'add-manager', '8-ID-I', 'alice']);
    assert.match(stdout, /^managers:\s+alice$/m);
    assert.equal((await json<User>(['user', 'show', 'alice'])).managedStations[0], '8-ID-I');
    await ok(['experiment-type', 'add', 'XPCS', '--description', 'X-ray photon correlation spectroscopy']);
    assert.match(
      (await ok(['experiment-type', 'list'])).stdout,
      /^XPCS\s+X-ray photon correlation spectroscopy$/m,
    );
  });

  it('should add an experiment whose storage tree exists, with the APS field names', async () => {
    const created = await json<Experiment>([
      ...['experiment', 'add', '2026-1-smith', '--station', '8-ID-I', '--type', 'XPCS', '--pi', 'alice'],
      ...['--description', 'gel dynamics', '--users', 'alice,bob', '--start-date', '2026-11-21'],
    ]);
    assert.equal(created.experimentStation, '8-ID-I');
    assert.equal(created.experimentType, 'XPCS');
    assert.equal(created.pi, 'alice');
    assert.deepEqual([...created.experimentUsernameList].sort(), ['alice', 'bob']);

    const shown = await json<Experiment>(['experiment', 'show', '2026-1-smith']);
    for (const directory of [shown.dataDirectory, shown.analysisDirectory, shown.systemDirectory]) {
      assert.ok(existsSync(directory), `${directory} should exist`);
    }
    assert.ok(shown.dataDirectory.startsWith(join(root, 'data')));

    const listed = await json<Page<Experiment>>(['experiment', 'list', '--station', '8-ID-I']);
    assert.deepEqual(namesOf(listed), ['2026-1-smith']);
    assert.equal(listed.nextCursor, null);
    const { stdout } = await ok(['experiment', 'show', '2026-1-smith']);
    assert.match(stdout, /^users:\s+alice \(pi\), bob$/m);
    assert.match(stdout, /^dataDirectory:\s+\/.*\/8-ID-I\/2026-1-smith\/data$/m);
    assert.match(stdout, /^fileCount:\s+0$/m);
    const sorted = await json<Page<Experiment>>(['experiment', 'list', '--sort', '-startDate']);
    assert.deepEqual(namesOf(sorted), ['2026-1-smith']);
    assert.equal((await dm(['experiment', 'list', '--sort', 'pi'])).code, 2);
  });

  it('should update an experiment and clear a field with an empty value', async () => {
    const updated = await json<Experiment>([
      'experiment',
      'update',
      '2026-1-smith',
      '--end-date',
      '2026-11-28',
    ]);
    assert.equal(updated.endDate, '2026-11-28');
    const cleared = await json<Experiment>(['experiment', 'update', '2026-1-smith', '--description', '']);
    assert.equal(cleared.description, null);
    const usage = await dm(['experiment', 'update', '2026-1-smith']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /nothing to change/);
  });

  it('should start and stop an experiment, and refuse to stop it twice', async () => {
    assert.equal((await json<Experiment>(['experiment', 'start', '2026-1-smith'])).status, 'running');
    const listed = await json<Page<Experiment>>(['experiment', 'list', '--status', 'running']);
    assert.deepEqual(namesOf(listed), ['2026-1-smith']);
    const stopped = await json<Experiment>(['experiment', 'stop', '2026-1-smith']);
    assert.equal(stopped.status, 'stopped');
    assert.notEqual(stopped.endDate, null);
    const again = await dm(['experiment', 'stop', '2026-1-smith']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error: .*stopped/);
  });

  it('should add and remove an experiment user', async () => {
    const added = await json<Experiment>([
      'experiment',
      'add-user',
      '2026-1-smith',
      'carol',
      '--role',
      'user',
    ]);
    assert.ok(added.experimentUsernameList.includes('carol'));
    const removed = await json<Experiment>(['experiment', 'remove-user', '2026-1-smith', 'carol']);
    assert.ok(!removed.experimentUsernameList.includes('carol'));
    const badRole = await dm(['experiment', 'add-user', '2026-1-smith', 'carol', '--role', 'boss']);
    assert.equal(badRole.code, 2);
  });

  it('should import a CSV, and change nothing when it is imported again', async () => {
    const csv = join(root, 'cycle-2026-1.csv');
    writeFileSync(
      csv,
      [
        'name,station,type,description,pi,users,start_date,end_date',
        '2026-1-jones,8-ID-I,XPCS,"Glasses, ""aged"" and fresh",bob,carol;alice,2026-12-01,2026-12-04',
        '2026-1-brown,8-ID-I,,,,bob,,',
      ].join('\n'),
    );
    const first = await json<ImportResult>(['experiment', 'import', csv]);
    assert.deepEqual([...first.created].sort(), ['2026-1-brown', '2026-1-jones']);
    assert.deepEqual(first.unchanged, []);
    const jones = await json<Experiment>(['experiment', 'show', '2026-1-jones']);
    assert.equal(jones.description, 'Glasses, "aged" and fresh');
    assert.equal(jones.pi, 'bob');

    const { stdout } = await ok(['experiment', 'import', csv]);
    assert.match(stdout, /^created: 0$/m);
    assert.match(stdout, /^updated: 0$/m);
    assert.match(stdout, /^unchanged: 2 \(/m);
  });

  it('should name the line of a bad import file and import nothing', async () => {
    const csv = join(root, 'bad.csv');
    writeFileSync(csv, 'name,station,pi\n2026-1-new,8-ID-I,alice\n2026-1-other,8-ID-I,nobody\n');
    const refused = await dm(['experiment', 'import', csv]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /line 3: pi/);
    assert.equal((await dm(['experiment', 'show', '2026-1-new'])).code, 1, 'all or nothing');

    writeFileSync(csv, 'name,station\n,8-ID-I\n');
    const local = await dm(['experiment', 'import', csv]);
    assert.equal(local.code, 1);
    assert.match(local.stderr, /bad\.csv line 2: column "name" is empty/);
  });

  it('should show the audit trail, newest first', async () => {
    const page = await json<Page<{ action: string; experimentName: string | null }>>([
      'audit',
      'list',
      '--experiment',
      '2026-1-smith',
    ]);
    const actions = page.items.map((event) => event.action);
    assert.equal(actions.at(-1), 'experiment.create');
    assert.ok(actions.includes('experiment.stop'));
    assert.ok(page.items.every((event) => event.experimentName === '2026-1-smith'));
    const limited = await ok(['audit', 'list', '--limit', '2']);
    assert.equal(limited.stdout.trim().split('\n').length, 3, 'a header and two events');
    assert.match(limited.stderr, /use --limit to see more/);
  });

  it('should create, list and revoke an API token; a revoked token is refused', async () => {
    const issued = await json<IssuedToken>(['token', 'create', '--name', 'nightly', '--expires', '90d']);
    assert.ok(issued.token.length > 20);
    assert.notEqual(issued.expiresAt, null);
    const asScript = { home: join(root, 'nobody'), env: { DM_SERVER: server.url, DM_TOKEN: issued.token } };
    assert.equal((await json<User>(['whoami'], asScript)).username, 'admin');

    const tokens = await json<Page<Token>>(['token', 'list']);
    assert.ok(tokens.items.some((token) => token.id === issued.id && token.kind === 'api'));
    const { stdout } = await ok(['token', 'create', '--name', 'shown-once']);
    assert.match(stdout, /shown only this once/);

    await ok(['token', 'revoke', String(issued.id)]);
    const refused = await dm(['whoami'], asScript);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: /);
    assert.match(refused.stderr, /DM_TOKEN/);
  });

  it('should not show an experiment to a user who is not a member of it', async () => {
    await ok(['login', '--server', server.url, '--username', 'carol', '--password-stdin'], {
      home: carolHome,
      input: carolPassword,
    });
    const refused = await dm(['experiment', 'show', '2026-1-smith'], { home: carolHome });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: .+/);
    assert.equal(refused.stdout, '');
    // carol is a user of 2026-1-jones (imported above), and only of that one.
    assert.equal(
      (await json<Experiment>(['experiment', 'show', '2026-1-jones'], { home: carolHome })).name,
      '2026-1-jones',
    );
    const visible = await json<Page<Experiment>>(['experiment', 'list'], { home: carolHome });
    assert.deepEqual(namesOf(visible), ['2026-1-jones']);
  });

  it('should delete an experiment only when confirmed', async () => {
    const unconfirmed = await dm(['experiment', 'delete', '2026-1-brown']);
    assert.equal(unconfirmed.code, 2);
    assert.match(unconfirmed.stderr, /add --yes/);
    await ok(['experiment', 'show', '2026-1-brown']);
    const { stdout } = await ok(['experiment', 'delete', '2026-1-brown', '--yes']);
    assert.match(stdout, /Deleted experiment 2026-1-brown/);
    const gone = await dm(['experiment', 'show', '2026-1-brown']);
    assert.equal(gone.code, 1);
  });

  it('should show usage to the admin and refuse it to a user who manages no station', async () => {
    const usage = await json<Usage>(['usage', '--station', '8-ID-I']);
    assert.deepEqual(usage.stations, ['8-ID-I']);
    assert.ok(Array.isArray(usage.storageByStation));
    const { stdout } = await ok(['usage']);
    assert.match(stdout, /^Usage from \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}/);
    assert.match(stdout, /STORAGE PER STATION/);
    const refused = await dm(['usage'], { home: carolHome });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /only admins and station managers may see usage/);
    const bad = await dm(['usage', '--from', 'last-week']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /from/);
  });

  it('should rotate the download-link key (admins) and print the sudo rules of a service account', async () => {
    const refused = await dm(['secrets', 'rotate-download-key'], { home: carolHome });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /only admins may rotate the download-link key/);
    const { stdout } = await ok(['secrets', 'rotate-download-key']);
    assert.match(stdout, /^download-link key replaced at \S+: links made before then no longer work$/m);

    const rules = (await ok(['setup', 'sudoers', '--service-account', 'dmsvc', '--stage-group', 'dm-stages']))
      .stdout;
    assert.match(rules, /^dmsvc ALL = \(%dm-stages, !root, !#0\) NOPASSWD: \/bin\/sh$/m);
    assert.match(rules, /^Defaults:dmsvc .*env_keep = "DM_JOB_COMMAND DM_JOB_ENV_NAMES DM_JOB_ENV_\*"$/m);
    const file = join(root, 'sudoers');
    writeFileSync(file, rules);
    if (process.getuid?.() === 0) execFileSync('visudo', ['-cf', file], { stdio: 'pipe' });
    const bad = await dm(['setup', 'sudoers', '--service-account', 'root']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /serviceAccount: "root" is not a usable name/);
  });

  it('should define compute sites, reading the token from a file and never printing it', async () => {
    const polaris = await json<Site>([
      ...['site', 'add', 'polaris', '--kind', 'slurm', '--host', 'svc_aps@polaris.alcf.anl.gov'],
      ...['--identity-file', '/etc/photon-dm/keys/polaris', '--partition', 'prod', '--project', 'APSDP'],
      ...['--walltime', '15m', '--nodes', '2', '--work-dir', '/eagle/APSDP/dm', '--max-running', '50'],
    ]);
    assert.deepEqual(polaris.defaults, { queue: 'prod', account: 'APSDP', walltime: 900, nodes: 2 });
    const tokenFile = join(root, 'iri-token');
    writeFileSync(tokenFile, 'secret-iri-token-91c2\n', { mode: 0o600 });
    const added = await ok([
      ...['site', 'add', 'perlmutter', '--kind', 'iri', '--url', 'https://api.iri.nersc.gov/api/v2'],
      ...['--resource-id', 'compute', '--api-version', 'v2', '--token-file', tokenFile],
    ]);
    assert.match(added.stdout, /^secrets:\s+token$/m);
    assert.ok(!added.stdout.includes('secret-iri-token'));

    const { stdout } = await ok(['site', 'list']);
    assert.match(stdout, /^NAME\s+KIND\s+ENABLED\s+HOST/);
    assert.match(stdout, /^local\s+local\s+yes/m);
    assert.match(stdout, /^polaris\s+slurm\s+yes\s+svc_aps@polaris\.alcf\.anl\.gov/m);
    const updated = await json<Site>(['site', 'update', 'polaris', '--walltime', '1h', '--disable']);
    assert.deepEqual(updated.defaults, { queue: 'prod', account: 'APSDP', walltime: 3600, nodes: 2 });
    assert.equal(updated.enabled, false);
    assert.match((await ok(['site', 'show', 'polaris'])).stdout, /^walltime:\s+1h$/m);

    // Others see which sites exist, not how they are reached; they change nothing.
    const seen = await json<Site>(['site', 'show', 'polaris'], { home: carolHome });
    assert.equal(seen.connection, undefined);
    const refused = await dm(['site', 'remove', 'polaris'], { home: carolHome });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /only admins may remove sites/);

    const missing = await dm(['site', 'add', 'aurora', '--kind', 'iri']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /connection\/url: a iri site needs it/);
    assert.equal((await dm(['site', 'add', 'aurora'])).code, 2, 'no --kind');
    assert.equal((await dm(['site', 'add', 'aurora', '--kind', 'cray'])).code, 2);
    const noFile = await dm(['site', 'add', 'aurora', '--kind', 'iri', '--token-file', join(root, 'none')]);
    assert.equal(noFile.code, 1);
    assert.match(noFile.stderr, /--token-file .*none: ENOENT/);
    await ok(['site', 'remove', 'perlmutter']);
    assert.equal((await dm(['site', 'show', 'perlmutter'])).code, 1);
  });

  it('should log out: the token is revoked and the session file removed', async () => {
    const token = (await dm(['token', 'list', '--json'], { home: carolHome })).stdout;
    assert.match(token, /"kind": "session"/);
    await ok(['logout'], { home: carolHome });
    assert.ok(!existsSync(join(carolHome, 'photon-dm', 'credentials.json')));
    const after = await dm(['whoami'], { home: carolHome });
    assert.equal(after.code, 1);
    assert.match(after.stderr, /no server: run "dm login --server URL \.\.\." or set DM_SERVER/);
  });

  it('should exit 2 on usage errors and 1 when the server cannot be reached', async () => {
    assert.equal((await dm(['experiment', 'list', '--limit', 'many'])).code, 2);
    assert.equal((await dm(['experiment', 'frobnicate'])).code, 2);
    const unreachable = await dm(['whoami'], { env: { DM_SERVER: 'http://127.0.0.1:1' } });
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /cannot reach the Photon DM server at http:\/\/127\.0\.0\.1:1/);
  });

  it('should keep the planned start date when an experiment starts (docs/api.md: "startDate set if empty")', async () => {
    await ok(['experiment', 'add', '2026-1-dated', '--station', '8-ID-I', '--start-date', '2026-11-30']);
    const started = await json<Experiment>(['experiment', 'start', '2026-1-dated']);
    assert.equal(started.startDate, '2026-11-30');
  });
});
