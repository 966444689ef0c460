/**
 * Lease owners name their process (`host:pid:random`). A lease held by a process of this host that no
 * longer exists can be taken at once instead of after its expiry: a server restarted after a crash resumes
 * its uploads and DAQs immediately.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

export function newLeaseOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

export function isDeadLocalOwner(owner: string | null): boolean {
  if (owner === null) return false;
  const [host, pid] = owner.split(':');
  if (host !== hostname() || !pid || Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as { code?: string }).code === 'ESRCH';
  }
}
