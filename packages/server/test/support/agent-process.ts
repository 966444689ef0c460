/**
 * The real `dm daq-agent` as a child process, for tests that kill and restart it. Stopped by PID.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dmBin } from './server-process.ts';

export interface AgentProcess {
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait; returns the exit code. */
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

/**
 * The agent sees no DM_* variable of the test's own environment, only `extraEnv`.
 *
 * @example
 * const agent = await startAgentProcess(server.url, token, ['--name', 'bl8-daq'], { DM_DAQ_WATCH: 'no' });
 */
export async function startAgentProcess(
  serverUrl: string,
  token: string,
  args: string[],
  extraEnv: Record<string, string> = {},
  /** Another checkout's `dm` (bench/daq-agent.ts runs an older agent against this server). */
  bin = dmBin,
): Promise<AgentProcess> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('DM_')) env[key] = value;
  const child = spawn(
    process.execPath,
    [bin, 'daq-agent', '--server', serverUrl, '--log-level', 'warn', ...args],
    {
      // Tests' DAQ directories are temp directories: the agent may read those unless a test says otherwise.
      env: {
        ...env,
        DM_AGENT_ALLOWED_DIRECTORIES: tmpdir(),
        ...extraEnv,
        DM_TOKEN: token,
        XDG_CONFIG_HOME: '/nonexistent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent did not start in 30 s:\n${output}`)), 30_000);
    const onData = () => {
      if (/DAQ agent \S+ working for/.test(output)) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code} before working:\n${output}`));
    });
  });
  const exited = once(child, 'exit');
  return {
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
