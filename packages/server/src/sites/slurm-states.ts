/**
 * Reading squeue: the one format the adapter asks for, and Slurm's job states as RemoteStates.
 *
 * squeue's formatted output is used rather than `squeue --json`, which in 22.05 ignores every filter
 * (`--me`, `-t`, `-j`) and prints some 120 keys per job. Times come as epoch seconds (SLURM_TIME_FORMAT=%s).
 */
import type { RemoteState, RemoteStatus } from './adapter.ts';

/**
 * `-t all`: ended jobs too, for as long as slurmctld keeps them (MinJobAge, 300 s by default). The comment
 * is last: it is free text (another tool's may hold `|`), so it takes the rest of the line.
 */
export const squeueFormat = '%i|%T|%r|%V|%S|%e|%N|%k';
export const squeueEnvironment = { SLURM_TIME_FORMAT: '%s' };

/** squeue's arguments: every job of the site's account, in any state. */
export function squeueArguments(): string[] {
  return ['squeue', '--noheader', '--me', '--states=all', `--format=${squeueFormat}`];
}

export interface SqueueLine {
  id: string;
  state: string;
  reason: string;
  submitted: string;
  started: string;
  ended: string;
  nodes: string;
  comment: string;
}

export function parseSqueue(stdout: string): SqueueLine[] {
  const lines: SqueueLine[] = [];
  for (const line of stdout.split('\n')) {
    const [id, state, reason, submitted, started, ended, nodes, ...comment] = line.split('|');
    if (id === undefined || nodes === undefined || id.trim() === '') continue;
    lines.push({
      id: id.trim(),
      state: state ?? '',
      reason: reason ?? '',
      submitted: submitted ?? '',
      started: started ?? '',
      ended: ended ?? '',
      nodes,
      comment: comment.join('|'),
    });
  }
  return lines;
}

/**
 * A Slurm state (squeue's long form, `%T`) as a RemoteState, with the reason of an end Slurm caused (the
 * stage fails with it); undefined for a state this table does not know.
 */
function stateOf(slurmState: string): { state: RemoteState; reason?: string } | undefined {
  switch (slurmState) {
    case 'PENDING':
    case 'REQUEUED':
    case 'REQUEUE_FED':
    // Nodes still booting for it: the command has not started.
    case 'CONFIGURING':
      return { state: 'queued' };
    case 'REQUEUE_HOLD':
    case 'RESV_DEL_HOLD':
    case 'SUSPENDED':
    case 'STOPPED':
      return { state: 'held' };
    case 'RUNNING':
    case 'COMPLETING':
    case 'SIGNALING':
    case 'STAGE_OUT':
    case 'RESIZING':
      return { state: 'running' };
    case 'COMPLETED':
      return { state: 'done' };
    // The command's own failure: its exit status says the rest (output().exitCode).
    case 'FAILED':
      return { state: 'failed' };
    case 'CANCELLED':
    case 'REVOKED':
      return { state: 'canceled' };
    case 'TIMEOUT':
      return { state: 'failed', reason: 'TimeLimit' };
    case 'NODE_FAIL':
      return { state: 'failed', reason: 'NodeFail' };
    case 'BOOT_FAIL':
      return { state: 'failed', reason: 'BootFail' };
    case 'PREEMPTED':
      return { state: 'failed', reason: 'Preempted' };
    case 'OUT_OF_MEMORY':
      return { state: 'failed', reason: 'OutOfMemory' };
    case 'DEADLINE':
      return { state: 'failed', reason: 'Deadline' };
    case 'SPECIAL_EXIT':
      return { state: 'failed', reason: 'SpecialExit' };
    default:
      return undefined;
  }
}

/** One squeue line as the engine reads it. */
export function statusOf(line: SqueueLine): RemoteStatus {
  // A held job is PENDING with the hold as its reason (JobHeldUser after `scontrol hold`, JobHeldAdmin).
  const known = line.reason.startsWith('JobHeld') ? { state: 'held' as const } : stateOf(line.state);
  const status: RemoteStatus = { id: line.id, state: known?.state ?? 'unknown' };
  if (known === undefined) status.reason = `Slurm state ${line.state}`;
  else if (known.reason !== undefined) status.reason = known.reason;
  // FAILED is the command's exit status, unless Slurm could not start it (JobLaunchFailure...).
  else if (line.state === 'FAILED' && line.reason !== 'NonZeroExitCode' && line.reason !== 'None')
    status.reason = line.reason;
  // A wait's reason (Priority, Resources, JobHeldUser...) tells the user why the stage is not running yet.
  else if ((known.state === 'queued' || known.state === 'held') && line.reason !== 'None')
    status.reason = line.reason;
  const queuedAt = isoTime(line.submitted);
  if (queuedAt) status.queuedAt = queuedAt;
  // For a job still waiting, squeue's start and end are estimates: only real times are reported.
  if (known?.state !== 'queued' && known?.state !== 'held') {
    const startedAt = isoTime(line.started);
    if (startedAt) status.startedAt = startedAt;
  }
  if (known !== undefined && ended(known.state)) {
    const endedAt = isoTime(line.ended);
    if (endedAt) status.endedAt = endedAt;
  }
  if (line.nodes !== '' && line.nodes !== '(null)') status.nodes = line.nodes;
  return status;
}

function ended(state: RemoteState): boolean {
  return state === 'done' || state === 'failed' || state === 'canceled';
}

function isoTime(epochSeconds: string): string | undefined {
  if (!/^\d+$/.test(epochSeconds) || epochSeconds === '0') return undefined;
  return new Date(Number(epochSeconds) * 1000).toISOString();
}
