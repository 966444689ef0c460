/**
 * The APS example workflow writes to `/tmp/workflow.<timestamp>/<job id>.out`, a path it fixes itself (the
 * fixture runs unchanged). Test files run in parallel, each with its own database, so two of them can run
 * the example in the same second with the same job id and write one file: a cross-process lock lets one
 * run (and check and remove its output) at a time.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const lock = '/tmp/photon-dm-test-aps-example.lock';

function holderAlive(): boolean {
  try {
    const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // no pid written yet, or its process is gone
  }
}

export async function withApsExampleLock<T>(run: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      // A holder killed mid-test leaves the lock behind; a lock without a live holder for 2 s is stale.
      if (!holderAlive()) {
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        if (!holderAlive()) rmSync(lock, { recursive: true, force: true });
      }
      if (Date.now() > deadline) throw new Error(`${lock} held for 10 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    return await run();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
