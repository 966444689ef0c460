/**
 * A real, tiny tmpfs for the tests of a full disk: mounted on an existing directory, grown with `remount`
 * when the test gives space back. Needs root; where that is missing the tests skip with the reason, except
 * in CI, where a skipped full-disk test would hide a missing capability.
 */
import { execFileSync } from 'node:child_process';

/** Mounts a tmpfs of `size` (e.g. '512k') on `directory`; returns why it could not, or undefined. */
export function mountTinyTmpfs(directory: string, size: string): string | undefined {
  let reason: string | undefined;
  try {
    if (process.getuid?.() !== 0) throw new Error('needs root to mount a tmpfs');
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', directory], { stdio: 'pipe' });
  } catch (error) {
    reason = `cannot mount a tmpfs here (${error instanceof Error ? error.message.split('\n')[0] : error})`;
  }
  if (reason && process.env.CI === 'true') throw new Error(reason);
  return reason;
}

/** Gives the tmpfs on `directory` a new size (space returning). */
export function resizeTmpfs(directory: string, size: string): void {
  execFileSync('mount', ['-o', `remount,size=${size}`, directory]);
}

export function unmountTmpfs(directory: string): void {
  execFileSync('umount', [directory]);
}
