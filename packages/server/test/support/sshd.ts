/**
 * A throwaway OpenSSH server on a loopback port, as a site's login node: its own host key, one authorized
 * client key (for root, the account the tests run as), environment for the sessions (`SetEnv`), started with
 * `sshd -D` and stopped by its PID.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './temp-dir.ts';
import { until } from './wait.ts';

const inCi = process.env.CI === 'true' || process.env.CI === '1';
const sshd = '/usr/sbin/sshd';

export interface Sshd {
  /** `root@127.0.0.1:PORT`, as a site's `connection.host`. */
  readonly host: string;
  readonly port: number;
  /** The server's host key as known_hosts writes it: `ssh-ed25519 AAAA...`. */
  readonly hostPublicKey: string;
  /** The authorized client key. */
  readonly identityFile: string;
  /** A key the server does not accept. */
  readonly strangerIdentityFile: string;
  /** Stops the daemon alone: the login node is gone until `start`. */
  stopDaemon(): Promise<void>;
  /** Starts it again on the same port and host key. */
  start(): Promise<void>;
  /** Stops it and removes its files. */
  stop(): Promise<void>;
}

/** Why sshd cannot run here, or undefined; throws instead when CI=true. */
export function sshdSkipReason(): string | undefined {
  let reason: string | undefined;
  if (!existsSync(sshd) || !existsSync('/usr/bin/ssh'))
    reason = 'OpenSSH is not installed (apt-get install openssh-server openssh-client)';
  else if (process.getuid?.() !== 0) reason = 'the test sshd runs as root';
  if (reason !== undefined && inCi) throw new Error(`${reason}, and CI=true requires the SSH tests`);
  return reason;
}

/**
 * @example
 * const server = await startSshd({ SLURM_CONF: cluster.environment.SLURM_CONF });
 * after(() => server.stop());
 */
export async function startSshd(sessionEnvironment: Record<string, string> = {}): Promise<Sshd> {
  const scratch = await tempDir('photon-dm-sshd-');
  const key = (name: string) => {
    const file = join(scratch.path, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
    return file;
  };
  const hostKey = key('host_key');
  const identityFile = key('client_key');
  const strangerIdentityFile = key('stranger_key');
  const authorizedKeys = join(scratch.path, 'authorized_keys');
  execFileSync('cp', [`${identityFile}.pub`, authorizedKeys]);
  const port = await freePort();
  const setEnv = Object.entries(sessionEnvironment).map(([name, value]) => `${name}=${value}`);
  const config = join(scratch.path, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(scratch.path, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      // The temp directory is not root's home: its modes are the test's business.
      'StrictModes no',
      ...(setEnv.length > 0 ? [`SetEnv ${setEnv.join(' ')}`] : []),
      '',
    ].join('\n'),
  );
  // sshd's privilege separation directory, which only the ssh service's start creates.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  let child: ChildProcess | undefined;
  let output = '';
  const start = async () => {
    child = spawn(sshd, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      output += text;
    });
    const started = child;
    await until(
      async () => {
        if (started.exitCode !== null) throw new Error(`sshd exited ${started.exitCode}: ${output}`);
        return await accepts(port);
      },
      { message: `sshd listens on ${port}` },
    );
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  };
  await start();
  const hostPublicKey = (await readFile(`${hostKey}.pub`, 'utf8')).split(' ').slice(0, 2).join(' ');
  return {
    host: `root@127.0.0.1:${port}`,
    hostPublicKey,
    port,
    identityFile,
    strangerIdentityFile,
    start,
    stopDaemon: stop,
    async stop() {
      await stop();
      await scratch.remove();
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}
