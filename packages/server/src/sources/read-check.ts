/**
 * Whether a station's unix account may read a source, asked as that account and not as root: a root
 * server runs `find` in a child process with the account's uid, gid and groups (`setpriv`), so the kernel
 * answers with everything that decides (modes, ACLs, groups from LDAP, parents that cannot be traversed). A
 * server that is not root asks with its own rights, which are then the limit anyway.
 *
 * Cost: one process per question, never one per file: an upload asks once for its whole tree, a DAQ once
 * per batch of files it is about to take.
 */
import { spawn } from 'node:child_process';
import { lookupUnixAccount, runsAsRoot, type UnixAccount } from '../system/unix-accounts.ts';

/** Who reads: a unix account (a root server switches to it), or the server itself. */
export type Reader = { kind: 'account'; account: UnixAccount } | { kind: 'server' };

/** Start points of one `find`, at most this many bytes of paths (far below the kernel's argument limit). */
const argumentBytes = 256 * 1024;

/**
 * The reader for an account name: the account when this server can switch to it, itself otherwise.
 * Throws for an account the host does not know.
 */
export async function readerFor(accountName: string): Promise<Reader> {
  if (!runsAsRoot()) return { kind: 'server' };
  const account = await lookupUnixAccount(accountName);
  if (!account) throw new Error(`unix account "${accountName}" does not exist on this host`);
  return { kind: 'account', account };
}

/**
 * The paths the reader cannot read (a directory: list and enter); paths that vanished count as unreadable.
 *
 * @example
 * const refused = await unreadableAmong(['/detector/8id/a.h5', '/detector/8id/b.h5'], reader);
 */
export async function unreadableAmong(paths: readonly string[], reader: Reader): Promise<Set<string>> {
  const readable = new Set<string>();
  for (const chunk of chunks(paths)) {
    // Prints the readable ones: a path find cannot even reach (a parent it may not enter) is then unreadable.
    const printed = await find(
      [...chunk, '-maxdepth', '0', '-readable', '(', '!', '-type', 'd', '-o', '-executable', ')', '-print0'],
      reader,
    );
    for (const path of printed) readable.add(path);
  }
  return new Set(paths.filter((path) => !readable.has(path)));
}

/**
 * Everything below `root` the reader cannot read: files, and directories it may not list or enter (their
 * contents are then unreadable too: see `isBelowAny`). Symbolic links are not followed and not reported;
 * the listings skip them anyway. The root itself must be readable (ask `unreadableAmong` first).
 */
export async function unreadableBelow(root: string, reader: Reader): Promise<Set<string>> {
  const printed = await find(
    [
      root,
      '-mindepth',
      '1',
      '(',
      '-type',
      'd',
      '(',
      '!',
      '-readable',
      '-o',
      '!',
      '-executable',
      ')',
      '-print0',
      '-prune',
      ')',
      '-o',
      '(',
      '!',
      '-type',
      'd',
      '!',
      '-type',
      'l',
      '!',
      '-readable',
      '-print0',
      ')',
    ],
    reader,
  );
  return new Set(printed);
}

/** Whether `path` or one of its ancestors is in `unreadable` (a file in a directory one may not enter). */
export function isBelowAny(path: string, unreadable: ReadonlySet<string>): boolean {
  if (unreadable.size === 0) return false;
  for (let at = path; at.length > 1; at = at.slice(0, Math.max(1, at.lastIndexOf('/')))) {
    if (unreadable.has(at)) return true;
  }
  return false;
}

function* chunks(paths: readonly string[]): Generator<string[]> {
  let chunk: string[] = [];
  let bytes = 0;
  for (const path of paths) {
    if (chunk.length > 0 && bytes + path.length > argumentBytes) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(path);
    bytes += path.length + 1;
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * Runs `find -P ARGS` as the reader and returns what it printed (NUL-separated). Paths are arguments,
 * never shell text. Exit 1 (some path vanished or could not be entered) is an answer; anything else fails.
 */
function find(args: readonly string[], reader: Reader): Promise<string[]> {
  const findArgs = ['-P', ...args];
  const [command, commandArgs] =
    reader.kind === 'account'
      ? [
          'setpriv',
          [
            `--reuid=${reader.account.uid}`,
            `--regid=${reader.account.gid}`,
            '--init-groups',
            '--',
            'find',
            ...findArgs,
          ],
        ]
      : ['find', findArgs];
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, {
      cwd: '/',
      env: { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let errorText = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      if (errorText.length < 2000) errorText += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0 || code === 1) {
        resolve(
          Buffer.concat(out)
            .toString()
            .split('\0')
            .filter((path) => path !== ''),
        );
      } else {
        const who = reader.kind === 'account' ? `as ${reader.account.name}` : 'as the server';
        reject(new Error(`checking read access ${who} failed (${signal ?? code}): ${errorText.trim()}`));
      }
    });
  });
}
