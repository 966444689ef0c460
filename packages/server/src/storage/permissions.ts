/**
 * Who may read an experiment's storage tree, made true on disk.
 *
 * - reader: the unix account of one of the experiment's users; may list its directories and read its files.
 * - writer: a unix account that writes into the tree, such as the station's DAQ service account; may also
 *   create and change files.
 * - ACL mode: every directory and file names each reader and writer in its POSIX access ACL, and every
 *   directory carries the same names in its default ACL, so files created later (by the DAQ, by the verified
 *   copy) inherit them without anyone calling us.
 * - group mode: where the filesystem has no ACLs, the tree belongs to one unix group (the experiment's group,
 *   as APS gives each proposal) whose membership is managed outside Photon DM.
 *
 * Everything here is idempotent and sets the whole state from the lists it is given, so running it again
 * (which is what `dm storage restore-permissions` does) repairs drift and revokes removed users.
 */
import { execFile } from 'node:child_process';
import { chmod, chown, lstat, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { defined } from '../errors/defined.ts';
import { isCode } from '../errors/error-code.ts';
import {
  lookupUnixAccounts,
  lookupUnixGroup,
  type UnixAccount,
  unixGroupIdsOf,
} from '../system/unix-accounts.ts';

export type PermissionSupport = { mode: 'acl' } | { mode: 'group'; reason: string };

export interface ExperimentAccess {
  /** Unix accounts of the experiment's users: read access. */
  readers: readonly string[];
  /** Unix accounts that write into the tree, such as the station's service account: read and write access. */
  writers: readonly string[];
  /** The unix group that shares the tree in group mode; ignored in ACL mode, where accounts are named. */
  group?: string;
}

export interface AppliedPermissions {
  /** What could not be granted as asked (group mode only), for the caller to log or print. */
  warnings: string[];
}

/** Programs that prove ACL support; the probe accepts others only so a test can make one missing. */
export interface AclCommands {
  setfacl: string;
  getfacl: string;
}

export class UnknownAccountError extends Error {
  constructor(readonly accounts: readonly string[]) {
    super(`unknown unix account${accounts.length === 1 ? '' : 's'}: ${accounts.join(', ')}`);
    this.name = 'UnknownAccountError';
  }
}

/**
 * Finds out once, at start, whether the storage root takes POSIX ACLs: both programs must exist and a named
 * user entry set on a directory must be inherited by a file created in it (default ACLs are what we rely
 * on; some filesystems take access ACLs but not default ones).
 *
 * @example
 * const support = await probePermissionSupport(settings.storageRoot);
 * if (support.mode === 'group') log.warn(support.reason);
 */
export async function probePermissionSupport(
  storageRoot: string,
  commands: AclCommands = { setfacl: 'setfacl', getfacl: 'getfacl' },
): Promise<PermissionSupport> {
  const directory = await mkdtemp(join(storageRoot, '.dm-acl-probe-'));
  let step: CommandResult | string;
  try {
    // Our own uid: always a valid qualifier, even in a user namespace where most uids are unmapped.
    const uid = process.getuid?.() ?? 0;
    const file = join(directory, 'inherits');
    step = await probeStep(commands.setfacl, ['-m', `u:${uid}:rx,d:u:${uid}:rx`, directory]);
    if (typeof step !== 'string') {
      await writeFile(file, '');
      step = await probeStep(commands.getfacl, aclReadArgs('--access', file));
    }
    if (typeof step !== 'string' && !step.stdout.includes(`user:${uid}:r`))
      step = 'new files do not inherit default ACLs';
    if (typeof step !== 'string')
      step = await probeStep(commands.setfacl, ['-x', `u:${uid},d:u:${uid}`, directory]);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
  const why = typeof step === 'string' ? step : undefined;
  if (why === undefined) return { mode: 'acl' };
  const reason = `POSIX ACLs are not supported on ${storageRoot} (${why}); falling back to group permissions`;
  return { mode: 'group', reason };
}

/** The command's result, or why it shows that ACLs cannot be used (its error without the temp path). */
async function probeStep(file: string, args: string[]): Promise<CommandResult | string> {
  try {
    const result = await command(file, args);
    if (result.exitCode === 0) return result;
    const firstLine = result.stderr.trim().split('\n')[0] ?? `exit code ${result.exitCode}`;
    return firstLine.replace(/: \S*\.dm-acl-probe-[^:]*:/, ':');
  } catch (error) {
    if (isCode(error, 'ENOENT')) return `${file} is not installed: Debian's acl package provides it`;
    throw error;
  }
}

/**
 * Makes the experiment's tree readable by exactly `readers` and writable by `writers` (plus its owner),
 * replacing whatever named entries were there. Throws `UnknownAccountError` before changing anything when an
 * account does not exist. The storage root and station directory are only ever widened by a traverse-only
 * entry for an account that could not otherwise reach the experiment.
 *
 * @example
 * const paths = experimentPaths(storageRoot, '8-ID-I', 'smith-2024-1');
 * await applyExperimentPermissions(paths, { readers: ['asmith'], writers: ['s8iddaq'] }, support);
 */
export async function applyExperimentPermissions(
  tree: { storageDirectory: string },
  access: ExperimentAccess,
  support: PermissionSupport,
  /** Directories above the storage root readers must also traverse (the data directory, 0700, holding it). */
  alsoTraverse: readonly string[] = [],
): Promise<AppliedPermissions> {
  const accounts = await resolveAccounts([...access.readers, ...access.writers]);
  const directory = tree.storageDirectory;
  switch (support.mode) {
    case 'acl': {
      const owner = (await stat(directory)).uid;
      const uidOf = (name: string) => defined(accounts.get(name), `unix account ${name}`).uid;
      const writerIds = new Set(access.writers.map(uidOf));
      // Files a writer creates belong to the writer, so the service account that owns the tree is named as
      // a writer to keep reading them. Root needs no entry: it bypasses permission checks.
      if (owner !== 0) writerIds.add(owner);
      const readerIds = new Set(access.readers.map(uidOf).filter((u) => !writerIds.has(u)));
      // One walk, one ACL write per entry: -b/-k drop the old named entries and -m adds the new ones in
      // memory before the ACL is written, so a reader who stays on the list never loses access midway.
      // -P skips symlinks: a link planted in data/ must not grant access to what it points to. setfacl sets
      // a directory's ACL before listing it, so a file created during the walk is either listed and set or
      // created after the new default ACL and inherits it. X: execute on directories (and on files some
      // already execute), so readers get r-x on directories and r-- on data files.
      const entries = ['g::-', 'o::-', 'd:u::rwx', 'd:g::-', 'd:o::-'];
      for (const uid of readerIds) entries.push(`u:${uid}:rX`, `d:u:${uid}:rX`);
      for (const uid of writerIds) entries.push(`u:${uid}:rwX`, `d:u:${uid}:rwX`);
      await mustRun('setfacl', ['-R', '-P', '-b', '-k', '-m', entries.join(','), directory]);
      // An ACL on a file is useless if a directory above it cannot be traversed.
      const station = dirname(directory);
      for (const ancestor of [station, dirname(station), ...alsoTraverse])
        await ensureTraversable(ancestor, accounts);
      return { warnings: [] };
    }
    case 'group':
      return applyGroupPermissions(directory, access);
    default: {
      const never: never = support;
      throw new Error(`unknown permission mode ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Group mode cannot name accounts: the group shares the tree read-only (setgid directories so new files
 * join the group), or, without a group, the tree stays private to its owner and a warning says why.
 */
async function applyGroupPermissions(
  directory: string,
  access: ExperimentAccess,
): Promise<AppliedPermissions> {
  const warnings: string[] = [];
  if (access.group === undefined) {
    await mustRun('chmod', ['-R', 'go=', directory]);
    if (access.readers.length + access.writers.length > 0)
      warnings.push(
        `${directory} stays private to its owner: without POSIX ACLs it can only be shared with a group`,
      );
    return { warnings };
  }
  if (!(await lookupUnixGroup(access.group))) throw new Error(`unknown unix group: ${access.group}`);
  await mustRun('chgrp', ['-R', '-P', '--no-dereference', access.group, directory]);
  await mustRun('chmod', ['-R', 'g=rX,o=', directory]);
  await mustRun('find', [directory, '-type', 'd', '-exec', 'chmod', 'g+s', '{}', '+']);
  if (access.writers.length > 0)
    warnings.push(`writers (${access.writers.join(', ')}) get no write access to ${directory} in group mode`);
  return { warnings };
}

/**
 * Gives one file the permissions it would have had if it had been created where it now lies.
 *
 * Not needed for a file created in the tree with open(O_CREAT) and a mode such as 0666 or 0644: it inherits
 * the directory's default ACL (ACL mode) or group (setgid, group mode), and the verified copy's temp file is
 * created in its destination directory, so it keeps that after rename(). Needed when:
 * - the file was moved in with rename() from outside the tree (it keeps the permissions of its old place);
 * - it was created with a private mode such as 0600: the create mode's group bits become the ACL mask, so
 *   every named entry is masked to nothing, and in group mode the group gets nothing either.
 * Symlinks are left alone. Costs one getfacl and one setfacl (ACL mode) or a chmod (group mode).
 *
 * @example
 * await rename(temporaryPath, finalPath);
 * await applyFilePermissions(finalPath, support);
 */
export async function applyFilePermissions(filePath: string, support: PermissionSupport): Promise<void> {
  const file = await lstat(filePath);
  if (!file.isFile()) return;
  const parent = dirname(filePath);
  switch (support.mode) {
    case 'acl': {
      const inherited = parseAcl((await mustRun('getfacl', aclReadArgs('--default', parent))).stdout);
      if (inherited.size === 0) return; // the directory was never given permissions: nothing to inherit
      // The owner's bits are the file's own; a named entry for its owner (the service account, named as a
      // writer of its tree) would only widen the mask that `ls` shows.
      const entries = [...inherited]
        .filter(([key]) => key !== 'user:' && key !== 'mask:' && key !== `user:${file.uid}`)
        .map(([key, perms]) => `${key}:${perms.replaceAll('x', 'X')}`);
      await mustRun('setfacl', ['-b', '-m', entries.join(','), filePath]);
      return;
    }
    case 'group': {
      const directory = await stat(parent);
      const shared = (directory.mode & 0o2000) !== 0; // group mode marks shared directories setgid
      if (shared && file.gid !== directory.gid) await chown(filePath, -1, directory.gid);
      const groupBits = shared ? 0o040 | (file.mode & 0o111 ? 0o010 : 0) : 0;
      await chmod(filePath, (file.mode & 0o7700) | groupBits);
      return;
    }
    default: {
      const never: never = support;
      throw new Error(`unknown permission mode ${JSON.stringify(never)}`);
    }
  }
}

type Account = Pick<UnixAccount, 'name' | 'uid'>;

/** Unix accounts by name; all names are checked before anything is changed. */
async function resolveAccounts(names: readonly string[]): Promise<Map<string, Account>> {
  const accounts = await lookupUnixAccounts(names);
  const unknown = [...new Set(names)].filter((name) => !accounts.has(name));
  if (unknown.length > 0) throw new UnknownAccountError(unknown);
  return accounts;
}

/** Adds `--x` for each account that cannot traverse `directory`, leaving every other entry as it was. */
async function ensureTraversable(directory: string, accounts: Map<string, Account>): Promise<void> {
  const owner = await stat(directory);
  const acl = parseAcl((await mustRun('getfacl', aclReadArgs('--access', directory))).stdout);
  const mask = acl.get('mask:');
  const lacking: Account[] = [];
  for (const account of accounts.values())
    if (!(await canTraverse(acl, owner, account))) lacking.push(account);
  if (lacking.length === 0) return;
  const entries = lacking.map((a) => `u:${a.uid}:${withExecute(acl.get(`user:${a.uid}`) ?? '---')}`);
  // -n and an explicit mask: recalculating it would also widen every group entry an admin had masked.
  entries.push(`m::${withExecute(mask ?? acl.get('group:') ?? '---')}`);
  await mustRun('setfacl', ['-n', '-m', entries.join(','), directory]);
}

/** The kernel's access check for execute, as POSIX.1e orders it: owner, named user, groups, other. */
async function canTraverse(acl: Map<string, string>, owner: { uid: number; gid: number }, account: Account) {
  if (account.uid === 0) return true;
  if (account.uid === owner.uid) return executes(acl.get('user:'));
  const mask = acl.get('mask:') ?? 'rwx';
  const named = acl.get(`user:${account.uid}`);
  if (named !== undefined) return executes(named) && executes(mask);
  const groupEntries = [...acl].filter(([key]) => key.startsWith('group:'));
  const other = executes(acl.get('other:'));
  // The common case (0711, 0700): group membership cannot change the answer, so do not look it up.
  if (groupEntries.every(([, perms]) => (executes(perms) && executes(mask)) === other)) return other;
  const gids = await unixGroupIdsOf(account.name);
  const matching = groupEntries.filter(([key]) => {
    const qualifier = key.slice('group:'.length);
    return qualifier === '' ? gids.includes(owner.gid) : gids.includes(Number(qualifier));
  });
  if (matching.length === 0) return other;
  return matching.some(([, perms]) => executes(perms) && executes(mask));
}

/** getfacl output as `tag:qualifier` → `rwx`, such as `user:` (owner), `user:1001`, `mask:`. */
function parseAcl(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^(user|group|mask|other):([^:]*):([rwx-]{3})/.exec(line);
    if (match?.[3] !== undefined) entries.set(`${match[1]}:${match[2]}`, match[3]);
  }
  return entries;
}

function aclReadArgs(kind: '--access' | '--default', path: string): string[] {
  return [kind, '--numeric', '--omit-header', '--no-effective', '--absolute-names', path];
}

const executes = (perms: string | undefined) => perms?.[2] === 'x';
const withExecute = (perms: string) => `${perms.slice(0, 2)}x`;

interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell. A missing program rejects (ENOENT); a failing one resolves with its code. */
function command(file: string, args: readonly string[]): Promise<CommandResult> {
  // LC_ALL=C: error text that lands in logs and in the probe's reason reads the same on every host.
  const options = { env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 64 * 1024 * 1024 };
  return new Promise((resolve, reject) => {
    execFile(file, args, options, (error, stdout, stderr) => {
      if (error === null) resolve({ exitCode: 0, stdout, stderr });
      else if (typeof error.code === 'number') resolve({ exitCode: error.code, stdout, stderr });
      else reject(error);
    });
  });
}

async function mustRun(file: string, args: readonly string[]): Promise<CommandResult> {
  const result = await command(file, args);
  if (result.exitCode !== 0)
    throw new Error(`${file} failed on ${args.at(-1)} (exit ${result.exitCode}): ${result.stderr.trim()}`);
  return result;
}
