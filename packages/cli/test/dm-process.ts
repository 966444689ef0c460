/**
 * Runs the real `dm` as child processes, the way a person or a script does, and keeps track of every
 * process started so a test can prove none was left behind.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const dmBin = fileURLToPath(new URL('../bin/dm.js', import.meta.url));

export interface DmResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const started = new Set<ChildProcess>();

/** The test runner's environment without DM_* variables, so a developer's own session never leaks in. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('DM_')) env[key] = value;
  return { ...env, ...extra };
}

/**
 * @example
 * const { code, stdout } = await runDm(['experiment', 'list', '--json'], { env: cleanEnv({ XDG_CONFIG_HOME }) });
 */
export function runDm(
  args: string[],
  options: { env: NodeJS.ProcessEnv; input?: string; cwd?: string },
): Promise<DmResult> {
  const child = spawn(process.execPath, [dmBin, ...args], {
    env: options.env,
    stdio: 'pipe',
    ...(options.cwd !== undefined && { cwd: options.cwd }),
  });
  started.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export interface DmCallOptions {
  /** XDG_CONFIG_HOME, i.e. whose stored session to use. */
  home?: string;
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Where `dm` runs, for relative paths on the command line. */
  cwd?: string;
}

/**
 * Three ways to run `dm` for a story: `dm` returns whatever happened, `ok` fails the test with the output
 * unless it exits 0, `json` adds `--json` and parses stdout.
 *
 * @example
 * const { ok, json } = dmCommands(adminHome);
 * const experiment = await json<Experiment>(['experiment', 'show', 'e1']);
 */
export function dmCommands(defaultHome: string) {
  const dm = (args: string[], options: DmCallOptions = {}): Promise<DmResult> => {
    const env = cleanEnv({ XDG_CONFIG_HOME: options.home ?? defaultHome, ...options.env });
    return runDm(args, {
      env,
      ...(options.input !== undefined && { input: options.input }),
      ...(options.cwd !== undefined && { cwd: options.cwd }),
    });
  };
  const ok = async (args: string[], options: DmCallOptions = {}): Promise<DmResult> => {
    const result = await dm(args, options);
    assert.equal(result.code, 0, `dm ${args.join(' ')} failed:\n${result.stderr}${result.stdout}`);
    return result;
  };
  const json = async <T>(args: string[], options: DmCallOptions = {}): Promise<T> =>
    JSON.parse((await ok([...args, '--json'], options)).stdout) as T;
  return { dm, ok, json };
}

/** The names in a page, for short assertions. */
export function namesOf(page: { items: Array<{ name: string } | { username: string }> }): string[] {
  return page.items.map((item) => ('name' in item ? item.name : item.username));
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything the server printed so far, for failure messages. */
  output: () => string;
}

/**
 * Starts `dm serve` and waits for its `Photon DM listening on <url>` line.
 *
 * @example
 * const server = await startDmServer(['--port', '0', '--data-dir', dir], cleanEnv({ DM_ADMIN_PASSWORD }));
 */
export function startDmServer(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [dmBin, 'serve', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  let stdout = '';
  let stderr = '';
  const output = () => `stdout:\n${stdout}\nstderr:\n${stderr}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`dm serve did not start in ${timeoutMs} ms\n${output()}`)),
      timeoutMs,
    );
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      const url = /^Photon DM listening on (\S+)$/m.exec(stdout)?.[1];
      if (url !== undefined) {
        clearTimeout(timer);
        resolve({ child, url, output });
      }
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`dm serve exited (code ${code}, signal ${signal}) before listening\n${output()}`));
    });
  });
}

/**
 * Signals a process and waits for it to end; resolves with its exit code.
 *
 * @example
 * assert.equal(await stopProcess(server.child, 'SIGTERM'), 0);
 */
export function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals,
  timeoutMs = 30_000,
): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process ${child.pid} did not stop within ${timeoutMs} ms of ${signal}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill(signal);
  });
}

/** Processes this test started that have not exited. */
export function runningChildren(): ChildProcess[] {
  return [...started].filter((child) => child.exitCode === null && child.signalCode === null);
}

/**
 * Processes whose parent is this one that were not there when this module loaded (tsx's esbuild service
 * was), as `pid command line`. Read from /proc (Linux), so it also catches processes started behind our back.
 */
export function leakedProcesses(): string[] {
  return childPidsOfThisProcess()
    .filter((pid) => !baseline.has(pid))
    .map((pid) => `${pid} ${readProc(pid, 'cmdline').replace(/\0/g, ' ').trim()}`);
}

function childPidsOfThisProcess(): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    // The command name in field 2 may hold spaces and parentheses; the fields after the last `)` do not.
    const stat = readProc(Number(entry), 'stat');
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (parent === process.pid) pids.push(Number(entry));
  }
  return pids;
}

function readProc(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return ''; // the process ended while we looked
  }
}

const baseline = new Set(childPidsOfThisProcess());
