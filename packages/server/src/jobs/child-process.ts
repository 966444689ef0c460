/**
 * Runs one stage command with `/bin/sh -c` in its own process group, so that stopping it (a stop, a
 * timeout) also ends everything it started. The whole output goes to the log file; the record keeps the
 * tails, and the variables are captured from the head of stdout (APS matches from the start).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { constants } from 'node:os';

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
  uid?: number;
  gid?: number;
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
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.limit) this.size -= this.chunks.shift()!.length;
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return cleanText(all.subarray(Math.max(0, all.length - this.limit)));
  }
}

export async function runChildProcess(spec: ChildProcessSpec): Promise<ChildProcessResult> {
  const log = createWriteStream(spec.logFile, { flags: 'a' });
  await once(log, 'open');
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
  const child = spawn('/bin/sh', ['-c', spec.command], {
    cwd: spec.workingDir,
    env: spec.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    uid: spec.uid,
    gid: spec.gid,
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
    killGroup(pid, 'SIGTERM');
    setTimeout(() => killGroup(pid, 'SIGKILL'), killGraceMs).unref();
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

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group has already gone
  }
}

/** Ends what a worker that died left running, when it ran on this host. */
export function killProcessGroup(pid: number): void {
  killGroup(pid, 'SIGKILL');
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0;
}
