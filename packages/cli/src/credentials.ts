/**
 * The session `dm login` keeps between commands. It holds a bearer token, so it is written the way ssh
 * keeps keys: a directory only the owner may enter, a file only the owner may read, and never a
 * half-written file (temp file + rename), since a crash mid-write would otherwise log the user out or leave
 * a world-readable fragment.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Credentials {
  server: string;
  username: string;
  token: string;
}

export class CredentialsError extends Error {
  override name = 'CredentialsError';
}

/**
 * `${XDG_CONFIG_HOME:-~/.config}/photon-dm/credentials.json`.
 *
 * @example
 * credentialsPath({ XDG_CONFIG_HOME: '/tmp/cfg' }) // '/tmp/cfg/photon-dm/credentials.json'
 */
export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const configHome = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(configHome, 'photon-dm', 'credentials.json');
}

/**
 * The stored session, or undefined when there is none.
 *
 * @example
 * const stored = readCredentials(credentialsPath());
 * if (stored) console.log(`logged in to ${stored.server} as ${stored.username}`);
 */
export function readCredentials(file: string): Credentials | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CredentialsError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CredentialsError(`${file} is not valid JSON; remove it and run "dm login" again`);
  }
  const { server, username, token } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof server !== 'string' || typeof username !== 'string' || typeof token !== 'string') {
    throw new CredentialsError(`${file} lacks server, username or token; remove it and run "dm login" again`);
  }
  return { server, username, token };
}

/**
 * Replaces the stored session atomically; the file is created with mode 0600 in a 0700 directory.
 *
 * @example
 * writeCredentials(credentialsPath(), { server: 'http://127.0.0.1:8080', username: 'admin', token });
 */
export function writeCredentials(file: string, credentials: Credentials): void {
  const directory = dirname(file);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  // mkdir's mode does not apply to a directory that already exists (or is masked by the umask).
  chmodSync(directory, 0o700);
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    // `wx` refuses to follow a planted file or symlink; the mode is set at creation, so the secret is never
    // readable by others, not even for a moment.
    writeFileSync(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(temporary, 0o600);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * @example
 * removeCredentials(credentialsPath()); // true if there was a session
 */
export function removeCredentials(file: string): boolean {
  try {
    rmSync(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
