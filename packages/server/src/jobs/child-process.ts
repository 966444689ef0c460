/**
 * Runs one stage command with `/bin/sh -c` in its own process group, so that stopping it (a stop, a
 * timeout) also ends everything it started. The whole output goes to the log file; the record keeps the
 * tails, and the variables are captured from the head of stdout (APS matches from the start).
 *
 * How the shell becomes the stage's unix account (directly as root, through sudo, or not at all) is
 * system/run-as-account.ts; through sudo, the group is also signalled as that account, which alone may.
 * The log file is created 0600: it is the server's, and readers get it only through the ACL entries that
 * jobs/log-permissions.ts gives it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { constants } from 'node:os';
import type { StageSwitch } from '../settings/settings.ts';
import { applyFilePermissions, type PermissionSupport } from '../storage/permissions.ts';
import { killLostGroup, type StageLaunch, signalStageGroup, stageLaunch } from '../system/run-as-account.ts';
import type { UnixAccount } from '../system/unix-accounts.ts';

/** Output kept for `outputVariableRegexList`: enough for any real tool's report, bounded for a runaway one. */
export const capturedStdoutBytes = 1024 * 1024;
export const tailBytes = 16 * 1024;
/** After SIGTERM, how long a process group gets to exit before SIGKILL. */
const killGraceMs = 3_000;
/** After the shell exits, how long a background process holding its pipes may delay the result. */
const drainMs = 1_000;

export interface ChildProcessSpec {
  command: string;
  workingDir: string;
  env: Record<string, string>;
  logFile: string;
  /**
   * When given, the log gets the permissions of its directory once created (the experiment's readers, in
   * an experiment tree): created 0600, its inherited ACL entries would be masked to nothing.
   */
  logPermissions?: PermissionSupport;
  /** The account the stage runs as; undefined: the server's own. */
  account?: Pick<UnixAccount, 'name' | 'uid' | 'gid'>;
  /** How the shell becomes `account` (settings.stageSwitch); `direct` when not said. */
  stageSwitch?: StageSwitch;
  timeoutMs?: number;
  signal: AbortSignal;
  onSpawn?: (pid: number) => void;
}

export interface ChildProcessResult {
  exitStatus: number | null;
  outcome: 'exited' | 'timed-out' | 'aborted' | 'spawn-failed';
  stdoutHead: string;
  stdoutTail: string;
  stderrTail: string;
  error?: string;
}

/** Text safe for both databases and JSON: invalid UTF-8 replaced, NUL removed (PostgreSQL text refuses it). */
export function cleanText(bytes: Buffer): string {
  return new TextDecoder('utf-8').decode(bytes).replaceAll('\u0000', '');
}

class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer) {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.limit)
      this.size -= this.chunks.shift()?.length ?? 0;
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return cleanText(all.subarray(Math.max(0, all.length - this.limit)));
  }
}

export async function runChildProcess(spec: ChildProcessSpec): Promise<ChildProcessResult> {
  const log = createWriteStream(spec.logFile, { flags: 'a', mode: 0o600 });
  await once(log, 'open');
  // A log that cannot be shared stays private to the server: the job runs all the same.
  if (spec.logPermissions) await applyFilePermissions(spec.logFile, spec.logPermissions).catch(() => {});
  const head: Buffer[] = [];
  let headSize = 0;
  const stdoutTail = new Tail(tailBytes);
  const stderrTail = new Tail(tailBytes);
  const result = (outcome: ChildProcessResult['outcome'], exitStatus: number | null, error?: string) => ({
    outcome,
    exitStatus,
    error,
    stdoutHead: cleanText(Buffer.concat(head)),
    stdoutTail: stdoutTail.text(),
    stderrTail: stderrTail.text(),
  });
  let launch: StageLaunch;
  try {
    launch = stageLaunch(spec.stageSwitch ?? 'direct', spec.account, spec.command, spec.env);
  } catch (error) {
    log.end();
    return result('spawn-failed', null, `could not start the command: ${(error as Error).message}`);
  }
  const child = spawn(launch.file, launch.args, {
    cwd: spec.workingDir,
    env: launch.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    uid: launch.uid,
    gid: launch.gid,
  });
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', resolve);
  });
  if (spawned) {
    log.end();
    return result('spawn-failed', null, `could not start the command: ${spawned.message}`);
  }
  const pid = child.pid as number;
  // Both listened for from the start: 'close' may come in the same tick as 'exit'.
  const exited = once(child, 'exit');
  const closed = once(child, 'close');
  spec.onSpawn?.(pid);
  child.stdout.on('data', (chunk: Buffer) => {
    log.write(chunk);
    stdoutTail.push(chunk);
    if (headSize < capturedStdoutBytes) {
      const part = chunk.subarray(0, capturedStdoutBytes - headSize);
      head.push(part);
      headSize += part.length;
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    log.write(chunk);
    stderrTail.push(chunk);
  });

  let outcome: ChildProcessResult['outcome'] = 'exited';
  const stop = (why: 'timed-out' | 'aborted') => {
    if (outcome !== 'exited') return;
    outcome = why;
    void signalStageGroup(pid, 'SIGTERM', launch.signalAs);
    setTimeout(() => void signalStageGroup(pid, 'SIGKILL', launch.signalAs), killGraceMs).unref();
  };
  const timer =
    spec.timeoutMs === undefined ? undefined : setTimeout(() => stop('timed-out'), spec.timeoutMs);
  const onAbort = () => stop('aborted');
  if (spec.signal.aborted) onAbort();
  spec.signal.addEventListener('abort', onAbort);
  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  spec.signal.removeEventListener('abort', onAbort);
  // A background process the command started may keep the pipes open: read what it wrote for a moment,
  // then stop listening rather than waiting for it.
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, drainMs).unref())]);
  child.stdout.destroy();
  child.stderr.destroy();
  await new Promise<void>((resolve) => log.end(resolve));
  const exitStatus = code ?? (signal ? 128 + signalNumber(signal) : null);
  return result(outcome, exitStatus);
}

/** Ends what a worker that died left running, when it ran on this host. */
export async function killProcessGroup(pid: number, how: StageSwitch = 'direct'): Promise<void> {
  await killLostGroup(pid, how);
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0;
}
