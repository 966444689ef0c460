import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface UnixAccount {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/**
 * The account's passwd entry through NSS (so LDAP accounts count), or undefined when there is none.
 * A name starting with '-' would be an option to getent, an all-digit one a uid: neither is an account name.
 */
export async function lookupUnixAccount(name: string): Promise<UnixAccount | undefined> {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(name) || /^\d+$/.test(name)) return undefined;
  try {
    const { stdout } = await run('getent', ['passwd', name]);
    const [account, , uid, gid, , home] = stdout.trim().split(':');
    if (account !== name || uid === undefined || gid === undefined) return undefined;
    return { name, uid: Number(uid), gid: Number(gid), home: home ?? '/' };
  } catch {
    return undefined; // getent exits 2 for an unknown name
  }
}

export function runsAsRoot(): boolean {
  return process.getuid?.() === 0;
}
