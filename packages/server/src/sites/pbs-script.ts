/**
 * What the PBS adapter hands to `qsub`: the options (one argv, no shell) and the wrapper script of
 * batch-script.ts on stdin, which changes into the stage's directory itself (PBS starts a job in the
 * account's home) and finds its id in `PBS_JOBID`.
 *
 * - `-N`: older PBS Pro takes at most 15 characters and a leading letter, so a longer key becomes its first
 *   characters and a hash; the key itself travels in `-v PDM_KEY=<key>` (Variable_List), which find() reads.
 * - `-S /bin/bash`: the wrapper is a bash script, whatever the account's login shell.
 * - `-o`/`-e`: absolute paths under `.pdm/`; PBS copies its spool files there when the job ends.
 * - Resources as PBS Pro names them: `-l select=N[:mpiprocs=T][:ngpus=G]`, `-l place=scatter:excl`,
 *   `-l walltime=HH:MM:SS`; account as `-A`; a reservation is a queue of its own in PBS, so it is the `-q`.
 */
import { createHash } from 'node:crypto';
import type { RemoteSpec } from './adapter.ts';
import { count, stagePath, word, wrapperScript } from './batch-script.ts';

/** The site's defaults, used where a stage asks for nothing. */
export interface PbsDefaults {
  resources?: RemoteSpec['resources'];
  attributes?: RemoteSpec['attributes'];
}

/** The variable (in `-v` and so in Variable_List) that carries the stage's key. */
export const keyVariable = 'PDM_KEY';

/**
 * A job name older PBS takes (15 characters, a letter first), derived from the key alone.
 *
 * @example
 * jobName('pdm-42-a-1')           // 'pdm-42-a-1'
 * jobName('pdm-42-reconstruct-3') // 'pdm-42-' + 8 hex characters of the key's SHA-256
 */
export function jobName(key: string): string {
  if (key.length <= 15 && /^[a-z]/.test(key)) return key;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 8);
  const prefix = /^[a-z]/.test(key) ? key.slice(0, 6) : 'pdm';
  return `${prefix}-${hash}`;
}

/**
 * @example
 * qsubArguments({ key: 'pdm-1-a-1', directory: '/scratch/x', attributes: { walltimeSeconds: 90 }, ... }, {})
 * // ['qsub', '-N', 'pdm-1-a-1', '-v', 'PDM_KEY=pdm-1-a-1', '-S', '/bin/bash',
 * //  '-o', '/scratch/x/.pdm/pdm-1-a-1.out', '-e', '/scratch/x/.pdm/pdm-1-a-1.err', '-l', 'walltime=00:01:30']
 */
export function qsubArguments(spec: RemoteSpec, defaults: PbsDefaults): string[] {
  const resources = { ...defaults.resources, ...spec.resources };
  const attributes = { ...defaults.attributes, ...spec.attributes };
  if (attributes.qos !== undefined)
    throw new Error(`PBS has no QOS (${JSON.stringify(attributes.qos)}): use a queue instead`);
  const argv = [
    'qsub',
    ...['-N', jobName(spec.key)],
    ...['-v', `${keyVariable}=${spec.key}`],
    ...['-S', '/bin/bash'],
    ...['-o', stagePath(spec, 'out')],
    ...['-e', stagePath(spec, 'err')],
  ];
  const chunk = [`select=${count(resources.nodes ?? 1, 'nodes')}`];
  if (resources.tasksPerNode !== undefined)
    chunk.push(`mpiprocs=${count(resources.tasksPerNode, 'tasksPerNode')}`);
  if (resources.gpus !== undefined) chunk.push(`ngpus=${count(resources.gpus, 'gpus')}`);
  // The default chunk is PBS's own: a stage asking for nothing gets the queue's defaults.
  if (chunk.length > 1 || resources.nodes !== undefined) argv.push('-l', chunk.join(':'));
  if (resources.exclusive) argv.push('-l', 'place=scatter:excl');
  if (attributes.walltimeSeconds !== undefined)
    argv.push('-l', `walltime=${clock(count(attributes.walltimeSeconds, 'walltimeSeconds'))}`);
  const queue = attributes.reservation ?? attributes.queue;
  if (queue !== undefined)
    argv.push('-q', word(queue, attributes.reservation !== undefined ? 'reservation' : 'queue'));
  if (attributes.account !== undefined) argv.push('-A', word(attributes.account, 'account'));
  return argv;
}

/** The batch script qsub reads on stdin. */
export function batchScript(spec: RemoteSpec): string {
  return wrapperScript(spec, { jobIdVariable: 'PBS_JOBID', changeDirectory: true });
}

/** 5400 → `01:30:00`; hours may pass 99. */
function clock(seconds: number): string {
  const two = (value: number) => String(value).padStart(2, '0');
  return `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}`;
}
