/** Running and ending the child processes of scripts, by PID only (never by name: see postgres-cluster.ts). */
import { type ChildProcess, spawn } from 'node:child_process';
import { basename } from 'node:path';

export interface RunResult {
  code: number | null;
  output: string;
}

export function run(command: string, args: string[], cwd: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', (error) => resolve({ code: null, output: `${output}${error.message}` }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * Runs a program and throws if it fails. The error's first line names the program and its last words (what
 * a one-line skip reason shows); the full command and output follow.
 */
export async function runToCompletion(command: string[], args: string[], cwd: string): Promise<void> {
  const [first, ...prefix] = command;
  if (first === undefined) throw new Error('runToCompletion: an empty command');
  const result = await run(first, [...prefix, ...args], cwd);
  if (result.code === 0) return;
  const output = result.output.trim();
  const program = basename(command.at(-1) ?? first);
  const lastLine = output.split('\n').at(-1) ?? '';
  throw new Error(
    `${program} failed (exit ${result.code}): ${lastLine}\n$ ${[...command, ...args].join(' ')}\n${output}`,
  );
}

export function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.on('error', () => resolve(null));
    child.on('exit', (code) => resolve(code));
  });
}

export function isAlive(pid: number | undefined): boolean {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function killIfAlive(pid: number | undefined): void {
  if (pid === undefined || !isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // exited between the check and the kill
  }
}

/** The spawned process leads its own group (`detached`); runuser and postgres stay in it. */
export function killProcessGroup(leader: number | undefined): void {
  if (leader === undefined) return;
  try {
    process.kill(-leader, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}
