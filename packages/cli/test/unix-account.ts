/**
 * The unix account that the APS example workflow names (`userAccount: s25idcuser`): upserting it needs the
 * account to exist, and only root can create it. Off root the stories that need it are skipped with the
 * reason, except under CI=true, where a skipped story would look green while proving nothing.
 */
import { execFileSync } from 'node:child_process';

const inCi = process.env.CI === 'true' || process.env.CI === '1';

/**
 * Makes the account unless it exists (it outlives the test on purpose: other suites use it too); returns why
 * it cannot, or undefined.
 *
 * @example
 * const skip = ensureUnixAccount('s25idcuser'); it('...', { skip: skip ?? false }, ...)
 */
export function ensureUnixAccount(name: string): string | undefined {
  if (exists(name)) return undefined;
  if (process.getuid?.() !== 0) {
    const reason = `the unix account ${name} does not exist, and only root can create it`;
    if (inCi) throw new Error(`cannot run in CI: ${reason}`);
    return reason;
  }
  try {
    execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', name], { stdio: 'ignore' });
  } catch (error) {
    // Test files run two at a time: another one may have made it between our look and useradd.
    if (!exists(name)) throw error;
  }
  return undefined;
}

function exists(name: string): boolean {
  try {
    execFileSync('getent', ['passwd', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
