/**
 * A site's commands on its login node, through the system's OpenSSH client (`ssh`): the same CommandRunner
 * the adapters use on this host, so a Slurm or PBS site reached with `--host` runs the very same commands.
 *
 * Why OpenSSH rather than an SSH library: it is what the facility's operators already configure and debug
 * (keys, ProxyJump in their ssh_config, Kerberos), it is on every Linux host, and it keeps key material out
 * of this process.
 *
 * - Never interactive: BatchMode (a key, no password prompt), a connect timeout, keep-alives, so a vanished
 *   login node becomes SiteUnavailableError within seconds, never a hang.
 * - Host keys are trusted on first use and pinned: `<data-dir>/ssh_known_hosts`; a changed key is refused
 *   (ssh exits 255), and said so, until an operator removes the old line.
 * - ssh hands the remote login shell one command line: every argument is single-quoted, so a value reaches
 *   the remote command as data whatever it holds (the site account's shell must be a POSIX one).
 * - Exit status 255 is ssh's own failure (refused, unreachable, host key, authentication): the site's fault.
 */
import { SiteUnavailableError } from './adapter.ts';
import type { CommandRunner, LocalCommandRunnerOptions } from './commands.ts';
import { createLocalCommandRunner } from './commands.ts';

export interface SshTarget {
  /** `USER@HOST[:PORT]`, as a site's `connection.host`. */
  host: string;
  /** The private key; none: ssh's own defaults (the service account's keys and agent). */
  identityFile?: string;
  /** Where host keys are pinned. */
  knownHostsFile: string;
}

/** `svc@login.example.org:2222` → its parts. */
export function parseHost(text: string): { user?: string; host: string; port?: number } {
  const match = /^(?:([^@\s]+)@)?([^@:\s]+)(?::(\d{1,5}))?$/.exec(text);
  if (match?.[2] === undefined) throw new Error(`not USER@HOST[:PORT]: ${JSON.stringify(text)}`);
  return {
    ...(match[1] !== undefined && { user: match[1] }),
    host: match[2],
    ...(match[3] !== undefined && { port: Number(match[3]) }),
  };
}

/** One argument as POSIX shell reads it back: `it's` → `'it'\''s'`. */
export function shellQuote(argument: string): string {
  return `'${argument.replaceAll("'", `'\\''`)}'`;
}

export function sshArguments(target: SshTarget): string[] {
  const { user, host, port } = parseHost(target.host);
  return [
    '-T',
    ...['-o', 'BatchMode=yes'],
    ...['-o', 'StrictHostKeyChecking=accept-new'],
    ...['-o', `UserKnownHostsFile=${target.knownHostsFile}`],
    ...['-o', 'ConnectTimeout=15'],
    ...['-o', 'ServerAliveInterval=15'],
    ...['-o', 'ServerAliveCountMax=3'],
    ...['-o', 'LogLevel=ERROR'],
    ...(target.identityFile === undefined ? [] : ['-i', target.identityFile, '-o', 'IdentitiesOnly=yes']),
    ...(port === undefined ? [] : ['-p', String(port)]),
    ...(user === undefined ? [] : ['-l', user]),
    '--',
    host,
  ];
}

/**
 * @example
 * const runner = createSshCommandRunner({ host: 'svc@polaris.alcf.anl.gov', identityFile, knownHostsFile });
 * const { stdout } = await runner.run(['squeue', '-h', '--me']);
 */
export function createSshCommandRunner(
  target: SshTarget,
  options: Omit<LocalCommandRunnerOptions, 'environment'> = {},
): CommandRunner {
  const ssh = createLocalCommandRunner(options);
  const connection = sshArguments(target);
  return {
    async run(argv, { input, env } = {}) {
      if (argv.length === 0) throw new Error('no command to run');
      // The remote environment is the login's; the variables a command needs go in front, through env(1).
      const assignments = Object.entries(env ?? {}).map(([name, value]) => `${name}=${value}`);
      const remote = [...(assignments.length > 0 ? ['env', ...assignments] : []), ...argv];
      const result = await ssh.run(['ssh', ...connection, remote.map(shellQuote).join(' ')], {
        ...(input !== undefined && { input }),
      });
      if (result.code === 255) throw unreachable(target.host, result.stderr);
      return result;
    },
  };
}

function unreachable(host: string, stderr: string): SiteUnavailableError {
  const reason = stderr.trim().split('\n').slice(-3).join('; ') || 'ssh failed without a message';
  const hint = /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/.test(stderr)
    ? ' (the host key changed: if that is expected, remove its line from the known hosts file)'
    : '';
  return new SiteUnavailableError(`ssh to ${host}: ${reason}${hint}`);
}
