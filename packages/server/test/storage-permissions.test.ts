/**
 * Storage permissions for real: unix users made with useradd, ACLs set with setfacl, and access tried with
 * `runuser -u <user> -- cat <file>`, the way a user at the beamline would find out.
 *
 * Needs root (to create users and act as them) and Debian's acl package; skipped with the reason otherwise,
 * except under CI=true, where a skipped permission suite would look green while proving nothing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createExperimentTree,
  type ExperimentPaths,
  experimentPaths,
} from '../src/storage/experiment-tree.ts';
import {
  applyExperimentPermissions,
  applyFilePermissions,
  type PermissionSupport,
  probePermissionSupport,
  UnknownAccountError,
} from '../src/storage/permissions.ts';

const acl: PermissionSupport = { mode: 'acl' };
const inCi = process.env.CI === 'true' || process.env.CI === '1';
const skipReason = missingPrerequisite();
if (skipReason !== undefined && inCi)
  throw new Error(`storage permission tests cannot run in CI: ${skipReason}`);

describe('storage permissions', { skip: skipReason ?? false }, () => {
  const suffix = randomBytes(3).toString('hex');
  const alice = `dmtest_${suffix}_alice`;
  const bob = `dmtest_${suffix}_bob`;
  const daq = `dmtest_${suffix}_daq`;
  const sharedGroup = `dmtest_${suffix}_grp`;
  let root: string;
  let storageRoot: string;
  let experiments = 0;

  before(async () => {
    await run('groupadd', [sharedGroup]);
    await run('useradd', [
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      '--groups',
      sharedGroup,
      alice,
    ]);
    for (const user of [bob, daq])
      await run('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', user]);
    // mkdtemp gives 0700: the users must be able to walk down to the storage root, as on a real mount.
    root = await mkdtemp(join(tmpdir(), 'photon-dm-permissions-'));
    await chmod(root, 0o711);
    storageRoot = join(root, 'storage');
  });
  after(async () => {
    for (const user of [alice, bob, daq]) await command('userdel', [user]);
    await command('groupdel', [sharedGroup]);
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  /** A fresh experiment tree, as experiment registration makes it, with one frame already acquired. */
  async function experimentWithFrame(station = '8-ID-I'): Promise<ExperimentPaths & { frame: string }> {
    const paths = experimentPaths(storageRoot, station, `experiment-${++experiments}`);
    await createExperimentTree(paths);
    const frame = join(paths.dataDirectory, 'frame-0001.tif');
    await writeFile(frame, 'frame 1');
    return { ...paths, frame };
  }

  it('lets a member read a file and keeps a non-member out', async () => {
    const experiment = await experimentWithFrame();
    await applyExperimentPermissions(experiment, { readers: [alice], writers: [] }, acl);
    assert.equal((await asUser(alice, 'cat', experiment.frame)).stdout, 'frame 1');
    assert.match((await asUser(bob, 'cat', experiment.frame)).stderr, /Permission denied/);
    assert.equal((await asUser(alice, 'ls', experiment.dataDirectory)).exitCode, 0);
    // The station stays traversable but not listable: experiment names do not leak.
    assert.notEqual((await asUser(alice, 'ls', join(storageRoot, '8-ID-I'))).exitCode, 0);
  });

  it('lets a member read a file the DAQ writes after permissions were set', async () => {
    const experiment = await experimentWithFrame();
    await applyExperimentPermissions(experiment, { readers: [alice], writers: [] }, acl);
    await mkdir(join(experiment.dataDirectory, 'scan-7'));
    const later = join(experiment.dataDirectory, 'scan-7', 'frame-0002.tif');
    await writeFile(later, 'frame 2');
    assert.equal((await asUser(alice, 'cat', later)).stdout, 'frame 2');
    assert.notEqual((await asUser(bob, 'cat', later)).exitCode, 0);
  });

  it('revokes a reader removed from the experiment', async () => {
    const experiment = await experimentWithFrame();
    await applyExperimentPermissions(experiment, { readers: [alice, bob], writers: [] }, acl);
    assert.equal((await asUser(bob, 'cat', experiment.frame)).exitCode, 0);
    await applyExperimentPermissions(experiment, { readers: [alice], writers: [] }, acl);
    assert.notEqual((await asUser(bob, 'cat', experiment.frame)).exitCode, 0);
    assert.equal((await asUser(alice, 'cat', experiment.frame)).exitCode, 0);
    assert.doesNotMatch(await aclsOf(experiment.storageDirectory), new RegExp(bob));
  });

  it('lets a writer account create files in data/ that members can read', async () => {
    const experiment = await experimentWithFrame();
    await applyExperimentPermissions(experiment, { readers: [alice], writers: [daq] }, acl);
    const written = join(experiment.dataDirectory, 'from-daq.h5');
    assert.equal((await asUser(daq, 'touch', written)).exitCode, 0);
    assert.equal((await asUser(alice, 'cat', written)).exitCode, 0);
    assert.notEqual((await asUser(alice, 'touch', join(experiment.dataDirectory, 'by-alice'))).exitCode, 0);
    assert.notEqual((await asUser(bob, 'cat', written)).exitCode, 0);
  });

  it('refuses unknown accounts by name and changes nothing', async () => {
    const experiment = await experimentWithFrame();
    await applyExperimentPermissions(experiment, { readers: [alice], writers: [] }, acl);
    const before = await aclsOf(storageRoot);
    const unknown = `dmtest_${suffix}_nobody`;
    await assert.rejects(
      applyExperimentPermissions(experiment, { readers: [bob, unknown, '-rf'], writers: [] }, acl),
      (error: unknown) =>
        error instanceof UnknownAccountError &&
        error.message === `unknown unix accounts: ${unknown}, -rf` &&
        error.accounts.length === 2,
    );
    assert.equal(await aclsOf(storageRoot), before);
  });

  it('converges: applying twice leaves the same ACLs', async () => {
    const experiment = await experimentWithFrame();
    const access = { readers: [alice, bob], writers: [daq] };
    await applyExperimentPermissions(experiment, access, acl);
    const once = await aclsOf(storageRoot);
    await applyExperimentPermissions(experiment, access, acl);
    assert.equal(await aclsOf(storageRoot), once);
    // Drift (someone's chmod) is repaired by the same call, as `dm storage restore-permissions` does.
    await chmod(experiment.frame, 0o600);
    assert.notEqual((await asUser(alice, 'cat', experiment.frame)).exitCode, 0);
    await applyExperimentPermissions(experiment, access, acl);
    assert.equal(await aclsOf(storageRoot), once);
  });

  it('repairs a single file created with a private mode', async () => {
    const experiment = await experimentWithFrame();
    await applyExperimentPermissions(experiment, { readers: [alice], writers: [] }, acl);
    // The create mode's group bits become the mask: a 0600 file masks every named entry to nothing.
    const private600 = join(experiment.dataDirectory, 'private.tif');
    await (await open(private600, 'wx', 0o600)).close();
    assert.notEqual((await asUser(alice, 'cat', private600)).exitCode, 0);
    await applyFilePermissions(private600, acl);
    assert.equal((await asUser(alice, 'cat', private600)).exitCode, 0);
    const fresh = await aclsOf(experiment.frame);
    assert.equal((await aclsOf(private600)).replace('private.tif', 'frame-0001.tif'), fresh);
  });

  it('adds a traverse-only entry where the station directory shuts others out', async () => {
    const experiment = await experimentWithFrame('2-BM');
    const station = join(storageRoot, '2-BM');
    await chmod(station, 0o700);
    await applyExperimentPermissions(experiment, { readers: [alice], writers: [] }, acl);
    assert.equal((await asUser(alice, 'cat', experiment.frame)).exitCode, 0);
    assert.notEqual((await asUser(alice, 'ls', station)).exitCode, 0);
    assert.match(await aclsOf(station), new RegExp(`user:${alice}:--x`));
    assert.match(await aclsOf(station), /other::---/);
    assert.doesNotMatch(await run('getfacl', ['--omit-header', storageRoot]), /user:dmtest/);
  });

  it('shares the tree with a group when ACLs are unavailable', async () => {
    const experiment = await experimentWithFrame();
    const group: PermissionSupport = { mode: 'group', reason: 'test' };
    const applied = await applyExperimentPermissions(
      experiment,
      { readers: [alice], writers: [], group: sharedGroup },
      group,
    );
    assert.deepEqual(applied.warnings, []);
    const groupId = Number((await run('getent', ['group', sharedGroup])).split(':')[2]);
    for (const [path, mode] of [
      [experiment.storageDirectory, 0o2750],
      [experiment.dataDirectory, 0o2750],
      [experiment.frame, 0o640],
    ] as const) {
      const info = await stat(path);
      assert.equal(info.gid, groupId, path);
      assert.equal((info.mode & 0o7777).toString(8), mode.toString(8), path);
    }
    assert.equal((await asUser(alice, 'cat', experiment.frame)).exitCode, 0, 'alice is in the group');
    assert.notEqual((await asUser(bob, 'cat', experiment.frame)).exitCode, 0);
    // A DAQ with umask 077 writes a 0600 file: the setgid directory gave it the group, the file call the mode.
    const later = join(experiment.dataDirectory, 'later.tif');
    await (await open(later, 'wx', 0o600)).close();
    await applyFilePermissions(later, group);
    assert.equal((await stat(later)).mode & 0o7777, 0o640);
    assert.equal((await asUser(alice, 'cat', later)).exitCode, 0);
  });

  it('keeps the tree private and says why when group mode has no group', async () => {
    const experiment = await experimentWithFrame();
    const applied = await applyExperimentPermissions(
      experiment,
      { readers: [alice], writers: [] },
      { mode: 'group', reason: 'test' },
    );
    assert.match(applied.warnings.join('\n'), /stays private to its owner/);
    assert.equal((await stat(experiment.frame)).mode & 0o077, 0);
    assert.notEqual((await asUser(alice, 'cat', experiment.frame)).exitCode, 0);
  });

  it('finds ACL support on an ordinary filesystem', async () => {
    await mkdir(storageRoot, { recursive: true });
    assert.deepEqual(await probePermissionSupport(storageRoot), { mode: 'acl' });
  });

  it('falls back to group permissions when setfacl is missing', async () => {
    const support = await probePermissionSupport(storageRoot, {
      setfacl: join(root, 'no-such-setfacl'),
      getfacl: 'getfacl',
    });
    assert.equal(support.mode, 'group');
    assert.match(
      support.mode === 'group' ? support.reason : '',
      /^POSIX ACLs are not supported on .* \(.*no-such-setfacl is not installed.*\); falling back to group permissions$/,
    );
  });

  it('falls back to group permissions on a filesystem without ACLs (ramfs)', async (t) => {
    // tmpfs supports ACLs on current kernels; ramfs has no extended attributes at all.
    const mountPoint = join(root, 'ramfs');
    await mkdir(mountPoint);
    const mounted = await command('mount', ['-t', 'ramfs', '-o', 'mode=0711', 'ramfs', mountPoint]);
    if (mounted.exitCode !== 0) return t.skip(`cannot mount ramfs here: ${mounted.stderr.trim()}`);
    try {
      const support = await probePermissionSupport(mountPoint);
      assert.deepEqual(support, {
        mode: 'group',
        reason: `POSIX ACLs are not supported on ${mountPoint} (setfacl: Operation not supported); falling back to group permissions`,
      });
    } finally {
      await run('umount', [mountPoint]);
    }
  });
});

/** Every ACL under `path`, with names (not ids) so a failure reads like `getfacl` at a terminal. */
async function aclsOf(path: string): Promise<string> {
  return run('getfacl', ['-R', '-P', '--absolute-names', path]);
}

function asUser(user: string, ...commandLine: string[]) {
  return command('runuser', ['-u', user, '--', ...commandLine]);
}

async function run(file: string, args: string[]): Promise<string> {
  const result = await command(file, args);
  if (result.exitCode !== 0) throw new Error(`${file} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

function command(
  file: string,
  args: string[],
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, LC_ALL: 'C' } }, (error, stdout, stderr) => {
      const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ exitCode, stdout, stderr: error !== null && exitCode === -1 ? error.message : stderr });
    });
  });
}

function missingPrerequisite(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create unix users and to act as them';
  const path = (process.env.PATH ?? '').split(delimiter);
  for (const tool of ['setfacl', 'getfacl', 'useradd', 'groupadd', 'runuser'])
    if (!path.some((directory) => existsSync(join(directory, tool))))
      return `${tool} is not installed (Debian packages acl, passwd, util-linux)`;
  return undefined;
}
