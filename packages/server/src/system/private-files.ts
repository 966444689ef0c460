/**
 * The server's own files are private to the account it runs as: the data directory 0700; the SQLite
 * database with its -wal and -shm, the admin password file, the legacy download secret, the site secrets key,
 * the sites' pinned SSH host keys and job logs 0600.
 * At start they are checked: a wrong mode is fixed (and each fix logged), a file of another account (which
 * we could neither fix nor trust) stops the start with the path and the command that mends it.
 *
 * - private directory: owner rwx, nothing for others; the group class may hold execute only, when the
 *   storage root lies inside the data directory and storage permissions gave the experiment's readers a
 *   traverse-only ACL entry (their files stay unreadable: each is 0600).
 * - private file: owner rw, nothing for the group or others.
 *
 * Experiment storage trees are not the server's own files: their modes and ACLs are storage/permissions.ts'.
 */
import { execFile } from 'node:child_process';
import { chmod, lstat, mkdir, opendir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Settings } from '../settings/settings.ts';

const run = promisify(execFile);

/** Names in the data directory that belong to the server (the database's are added from its URL). */
const legacyDownloadSecret = 'download-secret';
/** Where the first start writes the generated admin password (auth/bootstrap.ts). */
export const adminPasswordFileName = 'admin-password';
/** The key that seals compute sites' secrets (sites/secret-box.ts). */
export const siteSecretsKeyFileName = 'site-secrets.key';
/** The host keys of the sites reached over SSH, pinned on first use (sites/ssh-runner.ts). */
export const sshKnownHostsFileName = 'ssh_known_hosts';

export class PrivateFilesError extends Error {
  constructor(readonly problems: string[]) {
    super(`the server's own files are not safe to use:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PrivateFilesError';
  }
}

interface Logger {
  warn(details: object, message: string): void;
}

/** The SQLite file of the settings, if the database is SQLite. */
export function sqlitePath(settings: Pick<Settings, 'databaseUrl'>): string | undefined {
  const { databaseUrl } = settings;
  if (!databaseUrl.startsWith('sqlite:')) return undefined;
  return resolve(databaseUrl.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, ''));
}

/**
 * Makes the data directory if needed, then checks and fixes it and the files the server keeps there.
 * Throws PrivateFilesError listing every problem it could not fix.
 *
 * @example
 * await securePrivateFiles(settings, logger); // before the database is opened
 */
export async function securePrivateFiles(
  settings: Pick<Settings, 'dataDir' | 'databaseUrl'>,
  logger: Logger,
): Promise<void> {
  const problems: string[] = [];
  const { dataDir } = settings;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await checkPath(dataDir, 'directory', logger, problems);
  const database = sqlitePath(settings);
  const files = [
    adminPasswordFileName,
    legacyDownloadSecret,
    siteSecretsKeyFileName,
    sshKnownHostsFileName,
  ].map((name) => join(dataDir, name));
  if (database !== undefined) files.push(database, `${database}-wal`, `${database}-shm`);
  for (const file of files) await checkPath(file, 'file', logger, problems);
  const jobs = join(dataDir, 'jobs');
  if (await checkPath(jobs, 'directory', logger, problems)) await secureJobLogs(jobs, logger, problems);
  if (problems.length > 0) throw new PrivateFilesError(problems);
}

/** Job logs of jobs without an experiment, made before logs were created 0600: fixed, counted once. */
async function secureJobLogs(directory: string, logger: Logger, problems: string[]): Promise<void> {
  let fixed = 0;
  const walk = async (path: string): Promise<void> => {
    for await (const entry of await opendir(path)) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) {
        if (await checkPath(child, 'directory', undefined, problems)) await walk(child);
      } else if (entry.isFile() && (await checkPath(child, 'file', undefined, problems)) === 'fixed') fixed++;
    }
  };
  await walk(directory);
  if (fixed > 0) logger.warn({ directory, files: fixed }, 'made job logs private (0600)');
}

type Checked = false | 'ok' | 'fixed';

/** False when the path does not exist (or is refused), 'fixed' when its mode was corrected. */
async function checkPath(
  path: string,
  kind: 'file' | 'directory',
  logger: Logger | undefined,
  problems: string[],
): Promise<Checked> {
  const stats = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (stats === undefined) return false;
  const me = process.getuid?.() ?? 0;
  if (kind === 'directory' ? !stats.isDirectory() : !stats.isFile()) {
    problems.push(`${path} is not a ${kind} (a symlink or something else): move it away and start again`);
    return false;
  }
  if (stats.uid !== me) {
    problems.push(
      `${path} belongs to ${await accountName(stats.uid)}, not to ${await accountName(me)}, the account ` +
        `this server runs as: run "chown -R ${await accountName(me)} ${path}" as root, or start the ` +
        `server as ${await accountName(stats.uid)}`,
    );
    return false;
  }
  const mode = stats.mode & 0o777;
  const wanted = kind === 'file' ? 0o600 : 0o700;
  if (mode === wanted) return 'ok';
  // A traverse-only ACL entry (storage root inside the data directory) shows as group execute: keep it.
  if (kind === 'directory' && mode === 0o710 && (await hasNamedAclEntries(path))) return 'ok';
  try {
    await chmod(path, wanted);
  } catch (error) {
    problems.push(
      `${path} has mode ${octal(mode)} and could not be made ${octal(wanted)} ` +
        `(${(error as Error).message}): run "chmod ${octal(wanted)} ${path}"`,
    );
    return false;
  }
  logger?.warn({ path, was: octal(mode), now: octal(wanted) }, `made ${path} private (${octal(wanted)})`);
  return 'fixed';
}

async function hasNamedAclEntries(path: string): Promise<boolean> {
  try {
    const { stdout } = await run('getfacl', ['--access', '--numeric', '--omit-header', '--', path], {
      env: { ...process.env, LC_ALL: 'C' },
    });
    return /^user:\d+:/m.test(stdout);
  } catch {
    return false;
  }
}

async function accountName(uid: number): Promise<string> {
  try {
    const { stdout } = await run('getent', ['passwd', String(uid)]);
    return stdout.split(':')[0] || `uid ${uid}`;
  } catch {
    return `uid ${uid}`;
  }
}

const octal = (mode: number) => `0${mode.toString(8).padStart(3, '0')}`;
