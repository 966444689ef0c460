/**
 * The real `dm serve` as a child process on a loopback port, for tests that kill, restart or run several
 * servers. Stopped by PID.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const dmBin = fileURLToPath(new URL('../../../cli/bin/dm.js', import.meta.url));

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait; returns the exit code. */
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

export async function startServerProcess(
  args: string[],
  env: Record<string, string> = {},
  /** Another account to run as (a service account), as root only. */
  as: { uid: number; gid: number } = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [dmBin, 'serve', '--port', '0', '--log-level', 'warn', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    uid: as.uid,
    gid: as.gid,
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    // Generous: a start takes a second alone, but tens of seconds on a machine shared with other suites.
    const timer = setTimeout(() => {
      // Killed, not left behind: a server that never listens would hold the test file open forever.
      child.kill('SIGKILL');
      reject(new Error(`server did not start in 90 s:\n${output}`));
    }, 90_000);
    const onData = () => {
      // A process without the api role listens nowhere: its url is ''.
      const match = /Photon DM listening on (http:\/\/\S+)|Photon DM running .* \(no HTTP/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(match[1] ?? '');
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });
  const exited = once(child, 'exit');
  return {
    url,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await exited;
      return code as number | null;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export async function api(url: string, method: string, path: string, token: string | null, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(token && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
