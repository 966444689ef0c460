/**
 * How a stage's shell is started as its unix account, and how its process group is signalled, for each
 * `DM_STAGE_SWITCH`:
 * - direct: the server runs as root and spawns the shell with the account's uid and gid.
 * - sudo: the server runs as an unprivileged service account and starts the shell through
 *   `sudo -n -u <account> -- /bin/sh -c <prelude>`, allowed by the rule `dm setup sudoers` prints (only
 *   accounts of the stage group as targets, never root, only /bin/sh). sudo resets the environment, so the
 *   stage's variables travel as `DM_JOB_ENV_<name>` (kept by the rule's env_keep) and the fixed prelude
 *   restores them under their own names; the command itself travels as `DM_JOB_COMMAND`, so neither values
 *   nor command appear in the argument list (world-readable in `ps`) or in sudo's log.
 * - none: no switch; every stage runs as the server's own account.
 *
 * Signals: the stage's processes stay in the process group sudo leads, but belong to another uid, which the
 * service account may not signal. So a group is signalled twice: directly (sudo itself, and anything of our
 * own), and as the stage's account through the same sudo rule (everything the stage started).
 */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import type { StageSwitch } from '../settings/settings.ts';
import type { UnixAccount } from './unix-accounts.ts';

export const sudoPath = '/usr/bin/sudo';
export const stageShell = '/bin/sh';

/** What to spawn for one stage command. */
export interface StageLaunch {
  file: string;
  args: string[];
  env: Record<string, string>;
  uid?: number;
  gid?: number;
  /** The account signals must be sent as (sudo only). */
  signalAs?: string;
}

/** Environment names the prelude can restore: plain shell identifiers, nothing to expand or split. */
const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Runs as the stage account, from fixed text. `set -f` so the name list is never globbed; the case refuses
 * anything but identifiers (the server already did); `#:` removes the prefix that keeps sudo from dropping a
 * value that starts with `()` (it takes those for shell functions). `exec` keeps the pid: the shell that runs
 * the command is the one sudo started.
 */
export const sudoPrelude = [
  'set -f',
  'for dm_name in $DM_JOB_ENV_NAMES; do',
  '  case $dm_name in ""|[0-9]*|*[!A-Za-z0-9_]*) echo "photon-dm: bad variable name" >&2; exit 126;; esac',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a JS template
  '  eval "$dm_name=\\${DM_JOB_ENV_$dm_name#:}; export $dm_name; unset DM_JOB_ENV_$dm_name"',
  'done',
  'dm_command=$DM_JOB_COMMAND',
  'unset dm_name DM_JOB_ENV_NAMES DM_JOB_COMMAND',
  'exec /bin/sh -c "$dm_command"',
].join('\n');

/** The variables the sudoers rule must keep (its env_keep), exactly. */
export const sudoKeptVariables = ['DM_JOB_COMMAND', 'DM_JOB_ENV_NAMES', 'DM_JOB_ENV_*'] as const;

/**
 * @example
 * const launch = stageLaunch('sudo', account, 'echo "$DM_VAR_msg"', { DM_VAR_msg: 'hi' });
 * spawn(launch.file, launch.args, { env: launch.env, uid: launch.uid, gid: launch.gid, detached: true });
 */
export function stageLaunch(
  how: StageSwitch,
  account: Pick<UnixAccount, 'name' | 'uid' | 'gid'> | undefined,
  command: string,
  env: Record<string, string>,
): StageLaunch {
  const plain = { file: stageShell, args: ['-c', command], env };
  if (account === undefined || how === 'none') return plain;
  if (how === 'direct') return { ...plain, uid: account.uid, gid: account.gid };
  if (account.uid === process.getuid?.()) return plain;
  const names = Object.keys(env);
  const bad = names.filter((name) => !variableName.test(name));
  if (bad.length > 0) throw new Error(`environment names a shell cannot hold: ${bad.join(', ')}`);
  const carried: Record<string, string> = { DM_JOB_COMMAND: command, DM_JOB_ENV_NAMES: names.join(' ') };
  for (const [name, value] of Object.entries(env)) carried[`DM_JOB_ENV_${name}`] = `:${value}`;
  // sudo itself needs no PATH (its path is absolute), and what it is given never reaches the stage.
  return {
    file: sudoPath,
    args: ['-n', '-u', account.name, '--', stageShell, '-c', sudoPrelude],
    env: carried,
    signalAs: account.name,
  };
}

/**
 * Sends `signal` to the process group `pgid`: directly, and, when the stage runs as another account through
 * sudo, as that account too. Never throws: a group that has gone needs no signal.
 */
export async function signalStageGroup(
  pgid: number,
  signal: NodeJS.Signals,
  signalAs: string | undefined,
): Promise<void> {
  try {
    process.kill(-pgid, signal);
  } catch {
    // gone, or none of it ours (the sudo path below reaches the rest)
  }
  if (signalAs === undefined) return;
  await new Promise<void>((resolve) => {
    const child = spawn(
      sudoPath,
      ['-n', '-u', signalAs, '--', stageShell, '-c', 'kill -s "$1" -- "-$2" 2>/dev/null', 'dm-kill'].concat(
        signal.replace(/^SIG/, ''),
        String(pgid),
      ),
      { stdio: 'ignore', env: {} },
    );
    child.once('error', () => resolve());
    child.once('exit', () => resolve());
  });
}

/**
 * What a lost worker left running on this host: the group is killed directly and, with sudo, as each other
 * account that owns one of its processes (read from /proc, since the worker that knew is gone).
 */
export async function killLostGroup(pgid: number, how: StageSwitch): Promise<void> {
  if (how !== 'sudo') return await signalStageGroup(pgid, 'SIGKILL', undefined);
  const own = process.getuid?.();
  const owners = new Set<number>();
  for (const entry of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(entry)) continue;
    const [stat, status] = await Promise.all([
      readFile(`/proc/${entry}/stat`, 'utf8').catch(() => ''),
      readFile(`/proc/${entry}/status`, 'utf8').catch(() => ''),
    ]);
    // Fields after the command name (which may hold spaces): state, ppid, pgrp.
    const group = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
    if (group === pgid && Number.isInteger(uid) && uid !== own && uid !== 0) owners.add(uid);
  }
  await signalStageGroup(pgid, 'SIGKILL', undefined);
  for (const uid of owners) await signalStageGroup(pgid, 'SIGKILL', `#${uid}`);
}
