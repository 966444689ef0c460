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
