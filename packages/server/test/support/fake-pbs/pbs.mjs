/**
 * The fake PBS server's state and printer, shared by its commands (qsub, qstat, qselect, qdel) and its MOM
 * (mom.mjs, which runs one job). There is no daemon: each command reads and writes one job table, a JSON
 * file under $FAKE_PBS_HOME, under a lock. The file `down` there makes every command fail as PBS's do when
 * the server cannot be reached.
 *
 * Exit statuses are PBS's: pbs_errno & 0xff (PBSE_UNKJOBID 15001 → 153, PBSE_HISTJOBID 15139 → 35).
 * `qstat -f -F json` prints the layout of OpenPBS ≤ 23.06 (src/lib/Libcmds/pbs_json.c): four spaces of
 * indentation per level, `"key":value`, numbers bare, Resource_List and Variable_List as nested objects.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const server = 'fakepbs';
export const pbsVersion = '23.06.06';
export const queues = ['workq', 'debug'];
export const unknownJobId = 153;
export const historyJobId = 35;

export function home() {
  const path = process.env.FAKE_PBS_HOME;
  if (!path) {
    process.stderr.write('fake PBS: FAKE_PBS_HOME is not set\n');
    process.exit(1);
  }
  return path;
}

/** Exits as a PBS command does when the server does not answer, if the test made it `down`. */
export function exitIfDown(command) {
  if (!existsSync(join(home(), 'down'))) return;
  if (command === 'qdel') {
    process.stderr.write(`Couldn't connect to cluster: ${server}\n`);
    process.exit(15010 & 0xff);
  }
  process.stderr.write(`Connection refused\n${command}: cannot connect to server ${server} (errno=15010)\n`);
  // qstat exits with the failed connection's -1; qsub and qselect with 1.
  process.exit(command === 'qstat' ? 255 : 1);
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `change(table)` under the table's lock and saves what it leaves; returns what it returned. */
export function withTable(change) {
  const lock = join(home(), 'table.lock');
  for (let tries = 0; ; tries += 1) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST' || tries > 2000) throw error;
      sleep(5);
    }
  }
  try {
    const file = join(home(), 'jobs.json');
    const table = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { next: 1, jobs: {} };
    const result = change(table);
    writeFileSync(`${file}.tmp`, JSON.stringify(table));
    renameSync(`${file}.tmp`, file);
    return result;
  } finally {
    rmdirSync(lock);
  }
}

/** `7` or `7.fakepbs` → `7.fakepbs`. */
export function fullId(id) {
  return id.includes('.') ? id : `${id}.${server}`;
}

/** An epoch in seconds as ctime(3) prints it without its newline, in the process's time zone (TZ). */
export function ctime(epoch) {
  const date = new Date(epoch * 1000);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (value) => String(value).padStart(2, '0');
  const day = String(date.getDate()).padStart(2, ' ');
  const clock = `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
  return `${days[date.getDay()]} ${months[date.getMonth()]} ${day} ${clock} ${date.getFullYear()}`;
}

export function now() {
  return Math.floor(Date.now() / 1000);
}

/** Writes `value` as pbs_json.c did: `"key":value`, four spaces per level, `,\n` between items. */
export function pbsJson(value, level = 0) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const inner = '    '.repeat(level + 1);
  const items = Object.entries(value).map(
    ([key, item]) => `${inner}${JSON.stringify(key)}:${pbsJson(item, level + 1)}`,
  );
  return `{\n${items.join(',\n')}\n${'    '.repeat(level)}}`;
}

/** A job of the table as `qstat -f` shows it: the attributes PBS prints, in its order. */
export function qstatJob(job) {
  const shown = {
    Job_Name: job.name,
    Job_Owner: `${job.owner}@${server}`,
  };
  if (job.state === 'R' || job.state === 'F')
    shown.resources_used = {
      cpupercent: 0,
      cput: '00:00:00',
      mem: '0kb',
      ncpus: 1,
      vmem: '0kb',
      walltime: '00:00:00',
    };
  Object.assign(shown, {
    job_state: job.state,
    queue: job.queue,
    server,
    Checkpoint: 'u',
    ctime: ctime(job.ctime),
  });
  shown.Error_Path = `${server}:${job.errorPath}`;
  if (job.stime !== undefined)
    Object.assign(shown, { exec_host: `${server}/0`, exec_vnode: `(${server}:ncpus=1)` });
  Object.assign(shown, {
    Hold_Types: 'n',
    Join_Path: 'n',
    Keep_Files: 'n',
    Mail_Points: 'a',
    mtime: ctime(job.mtime),
    Output_Path: `${server}:${job.outputPath}`,
    Priority: 0,
    qtime: ctime(job.ctime),
    Rerunable: 'True',
    Resource_List: job.resources,
  });
  if (job.stime !== undefined) {
    shown.stime = ctime(job.stime);
    if (job.pid !== undefined) shown.session_id = job.pid;
  }
  shown.jobdir = job.home;
  shown.substate = job.substate;
  shown.Variable_List = job.variables;
  if (job.comment !== undefined) shown.comment = job.comment;
  shown.etime = ctime(job.ctime);
  if (job.stime !== undefined) shown.run_count = 1;
  if (job.state === 'F') {
    if (job.exitStatus !== undefined) shown.Exit_status = job.exitStatus;
    shown.obittime = ctime(job.mtime);
    shown.history_timestamp = job.mtime;
  }
  Object.assign(shown, { Submit_arguments: job.arguments, project: job.project, Submit_Host: server });
  if (job.account !== undefined) shown.Account_Name = job.account;
  return shown;
}

/** Ends a job in the table: state F with PBS's substate, comment and exit status. */
export function finish(job, exitStatus) {
  job.state = 'F';
  job.mtime = now();
  if (exitStatus !== undefined) job.exitStatus = exitStatus;
  const ran = job.comment ?? 'Job run';
  if (job.terminated) {
    job.substate = 91;
    job.comment = `${ran} and terminated`;
  } else if (exitStatus === -29) {
    job.substate = 93;
    job.comment = `${ran} and exceeded resource walltime`;
  } else if (exitStatus !== 0) {
    job.substate = 93;
    job.comment = `${ran} and failed`;
  } else {
    job.substate = 92;
    job.comment = `${ran} and finished`;
  }
}
