/**
 * The fake PBS MOM of one job: starts its script in a process group of its own, in the account's home,
 * with PBS's variables and the job's Variable_List, stdout and stderr to its -o/-e paths; kills it over its
 * walltime as PBS does (SIGTERM, SIGKILL after a delay, Exit_status -29 and a line on stderr), and writes
 * its end to the table. qdel signals the process group itself (the table holds its id).
 */
import { spawn } from 'node:child_process';
import { appendFileSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { ctime, finish, home, now, withTable } from './pbs.mjs';

const id = process.argv[2];
const job = withTable((table) => {
  const job = table.jobs[id];
  if (job === undefined || job.state !== 'Q') return undefined;
  return job;
});
if (job === undefined) process.exit(0);

const env = {
  ...job.variables,
  HOME: job.home,
  PATH: job.variables.PBS_O_PATH,
  PBS_JOBID: id,
  PBS_JOBNAME: job.name,
  PBS_QUEUE: job.queue,
  PBS_ENVIRONMENT: 'PBS_BATCH',
};
const child = spawn(job.shell, [join(home(), 'spool', `${id}.SC`)], {
  cwd: job.home,
  env,
  detached: true,
  stdio: ['ignore', openSync(job.outputPath, 'a'), openSync(job.errorPath, 'a')],
});
const started = withTable((table) => {
  const current = table.jobs[id];
  // Deleted between the two: qdel could not signal a process it did not know.
  if (current.state !== 'Q') return false;
  Object.assign(current, { state: 'R', substate: 42, stime: now(), mtime: now(), pid: child.pid });
  Object.assign(current, { mom: process.pid, comment: `Job run at ${runAt()} on (fakepbs:ncpus=1)` });
  return true;
});
if (!started) process.kill(-child.pid, 'SIGKILL');

let exitStatus;
const [hours, minutes, seconds] = (job.resources.walltime ?? '').split(':').map(Number);
if (hours !== undefined && seconds !== undefined) {
  const limit = hours * 3600 + minutes * 60 + seconds;
  setTimeout(() => {
    exitStatus = -29;
    appendFileSync(job.errorPath, `=>> PBS: job killed: walltime ${limit + 1} exceeded limit ${limit}\n`);
    process.kill(-child.pid, 'SIGTERM');
    setTimeout(() => process.kill(-child.pid, 'SIGKILL'), 2000).unref();
  }, limit * 1000).unref();
}

child.on('exit', (code, signal) => {
  // Whatever is left of the group goes with the job, as PBS kills the job's whole session.
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {}
  const status = exitStatus ?? (signal ? 256 + constants.signals[signal] : code);
  withTable((table) => {
    const current = table.jobs[id];
    if (current.state === 'F') return;
    finish(current, status);
  });
  process.exit(0);
});

/** `Thu Jun 19 at 21:27`, as PBS words the time in its comment. */
function runAt() {
  const [day, month, date, clock] = ctime(now()).split(/ +/);
  return `${day} ${month} ${date} at ${clock.slice(0, 5)}`;
}
