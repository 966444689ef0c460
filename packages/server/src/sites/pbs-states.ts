/**
 * Reading `qstat -f -F json -x`: the jobs PBS printed, and PBS's job states as RemoteStates.
 *
 * The JSON root (`timestamp`, `pbs_version`, `pbs_server`) is always printed; `Jobs` only when a job was
 * found. Times are ctime(3) text that qstat formats on the client in its local time zone, so the adapter runs
 * it with TZ=UTC and they are read as UTC. Glossary of the fields read here:
 * - job_state: one letter (below); substate: a number, 91 terminated by qdel, 92 finished, 93 failed.
 * - Exit_status: the job script's exit status; 256 + n when signal n ended it; negative when PBS itself
 *   ended it (JOB_EXEC_* in PBS's job.h: -29 walltime, -27 memory...).
 * - qtime, stime, obittime: queued, started, ended; exec_host: `node/slot*n+node/slot...`.
 */
import type { RemoteState, RemoteStatus } from './adapter.ts';

/** The fields of one job in qstat's JSON that the adapter reads. */
export interface QstatJob {
  job_state?: string;
  substate?: number;
  Exit_status?: number;
  comment?: string;
  qtime?: string;
  stime?: string;
  obittime?: string;
  mtime?: string;
  exec_host?: string;
  Job_Name?: string;
  Variable_List?: Record<string, unknown>;
}

/** qstat's stdout as a map of job id → job; an output that is no qstat JSON is an error. */
export function parseQstat(stdout: string): Map<string, QstatJob> {
  let root: unknown;
  try {
    root = JSON.parse(stdout);
  } catch {
    throw new Error(`qstat printed no JSON: ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  if (typeof root !== 'object' || root === null || !('pbs_version' in root))
    throw new Error(`qstat printed JSON without pbs_version: ${JSON.stringify(stdout.slice(0, 200))}`);
  const jobs = 'Jobs' in root && typeof root.Jobs === 'object' && root.Jobs !== null ? root.Jobs : {};
  return new Map(Object.entries(jobs as Record<string, QstatJob>));
}

/** PBS Pro's negative exit statuses (its own failures) that have a name worth a user's reading. */
const pbsFailures: Record<number, string> = {
  [-1]: 'ExecFailed',
  [-2]: 'ExecFailed',
  [-3]: 'ExecFailed',
  [-4]: 'ExecFailed',
  [-10]: 'InvalidUser',
  [-11]: 'Rerun',
  [-13]: 'BadPassword',
  [-16]: 'HookRejected',
  [-17]: 'HookRejected',
  [-18]: 'HookRejected',
  [-19]: 'HookRejected',
  [-20]: 'NodeFail',
  [-22]: 'HookRejected',
  [-23]: 'NoKerberosCredentials',
  [-24]: 'CpuLimit',
  [-25]: 'CpuLimit',
  [-26]: 'OutOfMemory',
  [-27]: 'OutOfMemory',
  [-28]: 'CpuTimeLimit',
  [-29]: 'TimeLimit',
};

/** A finished job's end: done, the command's failure (no reason), PBS's failure, or a qdel. */
function endOf(job: QstatJob): { state: RemoteState; reason?: string } {
  if (job.substate === 91) return { state: 'canceled' };
  const exit = job.Exit_status;
  // Older PBS kills over walltime with a signal; the comment still names the limit.
  if (/exceeded resource walltime/.test(job.comment ?? '')) return { state: 'failed', reason: 'TimeLimit' };
  if (exit === undefined)
    return job.substate === 93 ? { state: 'failed', reason: job.comment ?? 'failed' } : { state: 'done' };
  if (exit === 0) return { state: 'done' };
  if (exit < 0) return { state: 'failed', reason: pbsFailures[exit] ?? `Exit_status ${exit}` };
  if (exit > 256) return { state: 'failed', reason: `Signal ${exit - 256}` };
  return { state: 'failed' };
}

/**
 * A PBS job state as a RemoteState (PBS Reference Guide, job states): with its reason where PBS caused the
 * end; undefined for a letter this table does not know.
 */
function stateOf(job: QstatJob): { state: RemoteState; reason?: string } | undefined {
  switch (job.job_state) {
    case 'Q':
    // Waiting for its start time (-a) or stage-in; in transit to another server's queue.
    case 'W':
    case 'T':
      return { state: 'queued' };
    case 'H':
    // Suspended by the scheduler or an admin: it keeps its nodes but does not run.
    case 'S':
    case 'U':
      return { state: 'held' };
    case 'R':
    // Exiting: the command ended, PBS stages out its files; an array job whose sub-jobs have begun.
    case 'E':
    case 'B':
      return { state: 'running' };
    // F finished, X an expired sub-job of an array.
    case 'F':
    case 'X':
      return endOf(job);
    case 'M':
      return { state: 'unknown', reason: 'moved to another PBS server' };
    default:
      return undefined;
  }
}

/** One job of qstat's JSON as the engine reads it. */
export function statusOf(id: string, job: QstatJob): RemoteStatus {
  const known = stateOf(job);
  const status: RemoteStatus = { id, state: known?.state ?? 'unknown' };
  if (known === undefined) status.reason = `PBS state ${job.job_state ?? '(none)'}`;
  else if (known.reason !== undefined) status.reason = known.reason;
  // Why it waits: `Not Running: Insufficient amount of resource: ngpus`, a hold...
  else if ((known.state === 'queued' || known.state === 'held') && job.comment) status.reason = job.comment;
  const queuedAt = isoTime(job.qtime);
  if (queuedAt) status.queuedAt = queuedAt;
  if (known?.state !== 'queued' && known?.state !== 'held') {
    const startedAt = isoTime(job.stime);
    if (startedAt) status.startedAt = startedAt;
  }
  if (known !== undefined && ended(known.state)) {
    const endedAt = isoTime(job.obittime ?? job.mtime);
    if (endedAt) status.endedAt = endedAt;
  }
  const nodes = nodesOf(job.exec_host);
  if (nodes) status.nodes = nodes;
  return status;
}

/** The key a job was submitted with (`-v PDM_KEY=...`), if any. */
export function keyOf(job: QstatJob, variable: string): string | undefined {
  const value = job.Variable_List?.[variable];
  return typeof value === 'string' ? value : undefined;
}

function ended(state: RemoteState): boolean {
  return state === 'done' || state === 'failed' || state === 'canceled';
}

/** `nid001/0*8+nid002/0*8` → `nid001,nid002`. */
function nodesOf(execHost: string | undefined): string | undefined {
  if (!execHost) return undefined;
  const hosts = execHost.split('+').map((part) => part.split('/')[0] ?? '');
  return [...new Set(hosts.filter((host) => host !== ''))].join(',') || undefined;
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Thu Jun 19 21:27:51 2025` (ctime(3), in UTC as qstat printed it with TZ=UTC) → ISO 8601. */
export function isoTime(text: string | undefined): string | undefined {
  const match = /^\w{3} (\w{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4})$/.exec(text ?? '');
  if (!match) return undefined;
  const [, month = '', day, hours, minutes, seconds, year] = match;
  const index = months.indexOf(month);
  if (index < 0) return undefined;
  const time = Date.UTC(Number(year), index, Number(day), Number(hours), Number(minutes), Number(seconds));
  return new Date(time).toISOString();
}
