/**
 * Unix accounts and groups as this host's name service (NSS) knows them, through `getent`, so that accounts
 * from LDAP or SSSD count as much as those in /etc/passwd. Shared by the workflow engine (which account a
 * stage runs as) and storage permissions (which accounts an experiment's ACLs name).
 *
 * - account: a passwd entry (name, uid, primary gid, home directory).
 * - account name: what `useradd` accepts; a name starting with '-' would be an option to getent and an
 *   all-digit one a uid, so neither is ever passed to it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface UnixAccount {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface UnixGroup {
  name: string;
  gid: number;
}

/**
 * Whether `name` can be an account or group name (and is safe to pass to getent).
 *
 * @example
 * isAccountName('s8iddaq'); // true
 * isAccountName('-s'); // false: an option, not a name
 */
export function isAccountName(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(name) && !/^\d+$/.test(name);
}

/**
 * The passwd entries of the names that exist, by name, in one `getent` call; malformed and unknown names
 * are simply absent from the map.
 *
 * @example
 * const accounts = await lookupUnixAccounts(['asmith', 'bjones']);
 * const missing = ['asmith', 'bjones'].filter((name) => !accounts.has(name));
 */
export async function lookupUnixAccounts(names: readonly string[]): Promise<Map<string, UnixAccount>> {
  const wanted = [...new Set(names)].filter(isAccountName);
  const accounts = new Map<string, UnixAccount>();
  if (wanted.length === 0) return accounts;
  // getent exits 2 when some names are unknown: those simply have no line.
  for (const line of (await getent('passwd', wanted)).split('\n')) {
    const [name, , uid, gid, , home] = line.split(':');
    if (name === undefined || uid === undefined || gid === undefined || !wanted.includes(name)) continue;
    accounts.set(name, { name, uid: Number(uid), gid: Number(gid), home: home || '/' });
  }
  return accounts;
}

/**
 * One account's passwd entry, or undefined when there is none (or the name is malformed).
 *
 * @example
 * const account = await lookupUnixAccount('asmith');
 * if (account) spawn(command, { uid: account.uid, gid: account.gid, cwd: account.home });
 */
export async function lookupUnixAccount(name: string): Promise<UnixAccount | undefined> {
  return (await lookupUnixAccounts([name])).get(name);
}

/**
 * A group's entry, or undefined when there is none (or the name is malformed).
 *
 * @example
 * if (!(await lookupUnixGroup('gu12345'))) throw new Error('unknown unix group: gu12345');
 */
export async function lookupUnixGroup(name: string): Promise<UnixGroup | undefined> {
  if (!isAccountName(name)) return undefined;
  const [found, , gid] = (await getent('group', [name])).trim().split(':');
  if (found !== name || gid === undefined) return undefined;
  return { name, gid: Number(gid) };
}

/**
 * The ids of every group the account belongs to (primary and supplementary), as `id -G` reports them
 * through NSS. Throws for an unknown account.
 *
 * @example
 * const member = (await unixGroupIdsOf('asmith')).includes(directory.gid);
 */
export async function unixGroupIdsOf(name: string): Promise<number[]> {
  if (!isAccountName(name)) throw new Error(`not a unix account name: ${JSON.stringify(name)}`);
  const { stdout } = await run('id', ['-G', name], { env: { ...process.env, LC_ALL: 'C' } });
  return stdout.trim().split(/\s+/).map(Number);
}

/** Whether this process may switch to other accounts (stages run as someone else only then). */
export function runsAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * getent's output; an exit code (2: some keys unknown) is not an error, a missing getent is. LC_ALL=C so
 * that nothing localized reaches the parsing.
 */
function getent(database: 'passwd' | 'group', keys: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('getent', [database, ...keys], { env: { ...process.env, LC_ALL: 'C' } }, (error, stdout) => {
      if (error === null || typeof error.code === 'number') resolve(stdout);
      else reject(error);
    });
  });
}
