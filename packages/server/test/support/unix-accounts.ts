/** Real unix accounts for tests that check who a process runs as (only possible as root). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Creates the account (with a home directory) unless it exists; accounts outlive the test on purpose. */
export function ensureUnixAccount(name: string): void {
  if (accountExists(name)) return;
  try {
    execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', name], { stdio: 'ignore' });
  } catch (error) {
    // Test files run two at a time: another one may have made it between our look and useradd.
    if (!accountExists(name)) throw error;
  }
}

/** Creates the group unless it exists, and makes `members` members of it. */
export function ensureUnixGroup(name: string, members: readonly string[] = []): void {
  execFileSync('groupadd', ['-f', name], { stdio: 'ignore' });
  for (const member of members) execFileSync('usermod', ['-a', '-G', name, member], { stdio: 'ignore' });
}

/** The uid and gid of an account. */
export function accountIds(name: string): { uid: number; gid: number; home: string } {
  const [, , uid, gid, , home] = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).split(':');
  return { uid: Number(uid), gid: Number(gid), home: home ?? '/' };
}

function accountExists(name: string): boolean {
  try {
    execFileSync('getent', ['passwd', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** True when the process has ended: gone, or a zombie nobody reaped (containers' init often does not). */
export function processEnded(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
