/**
 * How a site adapter runs the commands of a scheduler (`sbatch`, `squeue`, `tail`...): through a
 * CommandRunner, here on the server's own host and later over SSH on a login node, so that one adapter serves
 * both. An adapter never spawns a process or touches a file itself.
 *
 * - argv: the program and its arguments, never a shell command line; nothing is parsed by a shell here.
 * - input: bytes written to the command's stdin (a batch script for `sbatch`).
 * - env: variables added to the runner's base environment for this one command (`SLURM_TIME_FORMAT`).
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:os';
import { SiteUnavailableError } from './adapter.ts';

export interface CommandResult {
  /** The exit status; 128 + n when a signal n ended the command. */
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  input?: string;
  env?: Record<string, string>;
}

/**
 * Runs one command at the site. Resolves with its exit status whatever it is; rejects with
 * SiteUnavailableError when the command could not be run or did not end in time (the site's fault, retried
 * later), and with a plain Error when its output is larger than the runner keeps.
 */
export interface CommandRunner {
  run(argv: readonly string[], options?: CommandOptions): Promise<CommandResult>;
}

export interface LocalCommandRunnerOptions {
  /**
   * The environment every command starts with. Default: this process' environment without its `DM_*`
   * settings, which hold the server's secrets and must not reach a batch job (sbatch hands its
   * environment to the job).
   */
  environment?: Record<string, string>;
  /** Milliseconds before a command is killed and the site counted unavailable. Default 60 s. */
  timeoutMs?: number;
  /** Bytes of stdout and of stderr kept; a command printing more is an error. Default 16 MiB. */
  maxOutputBytes?: number;
}

/**
 * Commands on the server's own host, with execFile (no shell).
 *
 * @example
 * const runner = createLocalCommandRunner({ environment: { ...serverEnvironment(), SLURM_CONF: conf } });
 * const { code, stdout } = await runner.run(['squeue', '-h', '--me', '-o', '%i']);
 */
export function createLocalCommandRunner(options: LocalCommandRunnerOptions = {}): CommandRunner {
  const environment = options.environment ?? serverEnvironment();
  const timeout = options.timeoutMs ?? 60_000;
  const maxBuffer = options.maxOutputBytes ?? 16 * 1024 * 1024;
  return {
    run(argv, { input, env } = {}) {
      const [file, ...args] = argv;
      if (file === undefined) return Promise.reject(new Error('no command to run'));
      return new Promise((resolve, reject) => {
        const child = execFile(
          file,
          args,
          { env: { ...environment, ...env }, timeout, killSignal: 'SIGKILL', maxBuffer, encoding: 'utf8' },
          (error, stdout, stderr) => {
            if (error === null) return resolve({ code: 0, stdout, stderr });
            const outcome = failure(error, file, timeout);
            if (outcome instanceof Error) return reject(outcome);
            resolve({ code: outcome, stdout, stderr });
          },
        );
        // A command that exits without reading its input closes the pipe: EPIPE is its answer, not ours.
        child.stdin?.on('error', () => {});
        child.stdin?.end(input ?? '');
      });
    },
  };
}

/**
 * The result of a scheduler's command that succeeded; else the error its stderr describes: a
 * SiteUnavailableError when the words match `unavailable` (the scheduler's own messages for a fault that
 * passes), a plain Error with the scheduler's words otherwise (a refusal, the stage's failure).
 */
export function commandSucceeded(result: CommandResult, command: string, unavailable: RegExp): CommandResult {
  if (result.code === 0) return result;
  const words = result.stderr.trim().split('\n').slice(-3).join('; ') || `exit status ${result.code}`;
  const message = words.startsWith(`${command}:`) ? words : `${command}: ${words}`;
  if (unavailable.test(message)) throw new SiteUnavailableError(message);
  throw new Error(message);
}

/** This process' environment without the server's own `DM_*` settings. */
export function serverEnvironment(): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined && !name.startsWith('DM_')) environment[name] = value;
  return environment;
}

interface ExecError extends Error {
  code?: number | string | null;
  killed?: boolean;
  signal?: NodeJS.Signals | null;
}

/** The exit status an execFile error stands for, or the error to reject with. */
function failure(error: ExecError, file: string, timeout: number): number | Error {
  if (error.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER')
    return new Error(`${file} printed more than the runner keeps`);
  if (typeof error.code === 'string')
    return new SiteUnavailableError(`cannot run ${file}: ${error.message.split('\n')[0]}`);
  if (error.killed && error.signal === 'SIGKILL')
    return new SiteUnavailableError(`${file} did not end within ${timeout / 1000} s`);
  if (typeof error.code === 'number') return error.code;
  return 128 + (error.signal ? constants.signals[error.signal] : 0);
}
