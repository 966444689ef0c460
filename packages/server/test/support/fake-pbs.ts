/**
 * A fake PBS Pro for the compute-site tests (no PBS runs on Debian): the commands in ./fake-pbs/ (qsub,
 * qstat, qselect, qdel; plain Node scripts) put first on PATH, with a job table of their own in a temp
 * directory. Jobs really run, detached, one MOM process each; stop() kills what is left of them.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TempDir, tempDir } from './temp-dir.ts';
import { until } from './wait.ts';

export const fakePbsBin = join(dirname(fileURLToPath(import.meta.url)), 'fake-pbs');

export interface FakePbs {
  /** What a CommandRunner (or the server's process) needs to run the fake's commands. */
  readonly environment: { PATH: string; FAKE_PBS_HOME: string };
  /** A directory for the jobs' working directories, removed with the fake. */
  readonly workDirectory: string;
  /** Makes every command fail as PBS's do when the server cannot be reached (`down`), or answer again. */
  setReachable(reachable: boolean): Promise<void>;
  /**
   * Drops the finished jobs from the table, as PBS does once job_history_duration has passed (or at once
   * without job history).
   */
  forgetFinished(): Promise<void>;
  /** Kills every job still queued or running, and its MOM, then removes the directory. */
  stop(): Promise<void>;
}

interface TableJob {
  state: string;
  pid?: number;
  mom?: number;
}

export async function startFakePbs(): Promise<FakePbs> {
  const scratch: TempDir = await tempDir('photon-dm-fake-pbs-');
  const home = join(scratch.path, 'server');
  const workDirectory = join(scratch.path, 'work');
  await mkdir(home);
  await mkdir(workDirectory);
  const environment = { PATH: `${fakePbsBin}${delimiter}${process.env.PATH ?? ''}`, FAKE_PBS_HOME: home };
  const table = async (): Promise<Record<string, TableJob>> => {
    const file = join(home, 'jobs.json');
    return existsSync(file) ? JSON.parse(await readFile(file, 'utf8')).jobs : {};
  };
  const setReachable = async (reachable: boolean) => {
    if (reachable) await rm(join(home, 'down'), { force: true });
    else await writeFile(join(home, 'down'), '');
  };
  return {
    environment,
    workDirectory,
    setReachable,
    async forgetFinished() {
      // The commands' lock (pbs.mjs): a MOM ending a job meanwhile must not write an older table back.
      const lock = join(home, 'table.lock');
      await until(
        () =>
          mkdir(lock).then(
            () => true,
            () => false,
          ),
        { message: 'the fake PBS table lock' },
      );
      try {
        const file = join(home, 'jobs.json');
        const saved = JSON.parse(await readFile(file, 'utf8'));
        for (const [id, job] of Object.entries<TableJob>(saved.jobs))
          if (job.state === 'F') delete saved.jobs[id];
        await writeFile(file, JSON.stringify(saved));
      } finally {
        await rmdir(lock);
      }
    },
    async stop() {
      await setReachable(true);
      for (const job of Object.values(await table()))
        if (job.state !== 'F')
          for (const pid of [job.pid && -job.pid, job.mom])
            try {
              if (pid) process.kill(pid, 'SIGKILL');
            } catch {}
      // A MOM killed before it wrote its start may still hold the table's lock: gone before the files.
      await until(async () => Object.values(await table()).every((job) => !job.mom || !alive(job.mom)), {
        timeout: 10_000,
        message: 'every MOM of the fake PBS exited',
      });
      await scratch.remove();
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
