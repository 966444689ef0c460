/**
 * The sudo rules of a server that runs as an unprivileged service account (`DM_STAGE_SWITCH=sudo`), as
 * `dm setup sudoers` prints them. They grant one thing: the service account may run /bin/sh as any member of
 * the stage group, never as root, without a password, keeping only the variables that carry a stage's
 * command and environment (system/run-as-account.ts). That is what running a stage as its account needs,
 * and also what fixing the ACL of a file a stage created needs (the file's owner may set its ACL).
 */

import { stageShell, sudoKeptVariables, sudoPath } from './run-as-account.ts';
import { isAccountName } from './unix-accounts.ts';

export interface SudoersOptions {
  serviceAccount: string;
  stageGroup: string;
}

/**
 * @example
 * sudoersRules({ serviceAccount: 'dmsvc', stageGroup: 'dm-stages' }); // the text of /etc/sudoers.d/photon-dm
 */
export function sudoersRules(options: SudoersOptions): string {
  for (const [what, name] of Object.entries(options)) {
    if (!isAccountName(name) || name === 'root') throw new Error(`${what}: "${name}" is not a usable name`);
  }
  const { serviceAccount, stageGroup } = options;
  return [
    `# Photon DM: ${serviceAccount} (the server's service account) runs workflow stages as the members of`,
    `# the unix group ${stageGroup}, never as root. Written by \`dm setup sudoers\`; check and install with`,
    '#   visudo -cf FILE && install -o root -g root -m 0440 FILE /etc/sudoers.d/photon-dm',
    '# !use_pty: the stage keeps its pipes and stays in the process group the server stops it by.',
    "# env_keep: exactly the variables carrying the stage's command and environment.",
    `Defaults:${serviceAccount} !use_pty, !requiretty, env_reset, env_keep = "${sudoKeptVariables.join(' ')}"`,
    `${serviceAccount} ALL = (%${stageGroup}, !root, !#0) NOPASSWD: ${stageShell}`,
    '',
  ].join('\n');
}

/** What `dm setup sudoers` says besides the rules: the programs the rule and the server rely on. */
export const sudoersPaths = { sudo: sudoPath, shell: stageShell } as const;
