/**
 * What the Slurm adapter hands to `sbatch`: the options (one argv, no shell) and the batch script on stdin.
 *
 * The script is the wrapper of batch-script.ts (job id in `.pdm/<key>.id`, exit status in `.pdm/<key>.ec`,
 * values as base64 data): the exit code is then known on sites without accounting (slurmdbd), where squeue
 * does not print it.
 *
 * Files, in `.pdm/` of the job's working directory (`--chdir`): `<key>.out` and `<key>.err` (stdout, stderr),
 * `<key>.id`, `<key>.ec`. sbatch's `--output` and `--error` are filename patterns (`%j` is the job id), even
 * the working directory a relative name is joined to, so they are given absolute with `%` written `%%`; a
 * backslash would turn every pattern off, `%%` included, so a directory holding one is refused.
 */
import type { RemoteSpec } from './adapter.ts';
import { count, stagePath, word, wrapperScript } from './batch-script.ts';

/** The site's defaults, used where a stage asks for nothing. */
export interface SlurmDefaults {
  resources?: RemoteSpec['resources'];
  attributes?: RemoteSpec['attributes'];
}

/** The comment that marks a job as the stage `key`'s: find() matches it exactly. */
export function keyComment(key: string): string {
  return `photon-dm:${key}`;
}

/**
 * @example
 * sbatchArguments({ key: 'pdm-1-a-1', directory: '/scratch/x', attributes: { walltimeSeconds: 90 }, ... }, {})
 * // ['sbatch', '--parsable', '--job-name=pdm-1-a-1', '--comment=photon-dm:pdm-1-a-1', '--chdir=/scratch/x',
 * //  '--output=/scratch/x/.pdm/pdm-1-a-1.out', '--error=/scratch/x/.pdm/pdm-1-a-1.err', '--time=2']
 */
export function sbatchArguments(spec: RemoteSpec, defaults: SlurmDefaults): string[] {
  const resources = { ...defaults.resources, ...spec.resources };
  const attributes = { ...defaults.attributes, ...spec.attributes };
  const argv = [
    'sbatch',
    '--parsable',
    `--job-name=${spec.key}`,
    `--comment=${keyComment(spec.key)}`,
    `--chdir=${spec.directory}`,
    `--output=${stagePath(spec, 'out').replaceAll('%', '%%')}`,
    `--error=${stagePath(spec, 'err').replaceAll('%', '%%')}`,
  ];
  if (resources.nodes !== undefined) argv.push(`--nodes=${count(resources.nodes, 'nodes')}`);
  if (resources.tasksPerNode !== undefined)
    argv.push(`--ntasks-per-node=${count(resources.tasksPerNode, 'tasksPerNode')}`);
  if (resources.gpus !== undefined) argv.push(`--gpus=${count(resources.gpus, 'gpus')}`);
  if (resources.exclusive) argv.push('--exclusive');
  // Slurm counts time limits in whole minutes: a limit in seconds is rounded up, never cut short.
  if (attributes.walltimeSeconds !== undefined)
    argv.push(`--time=${Math.ceil(count(attributes.walltimeSeconds, 'walltimeSeconds') / 60)}`);
  const named = {
    partition: attributes.queue,
    account: attributes.account,
    reservation: attributes.reservation,
  };
  for (const [option, value] of Object.entries({ ...named, qos: attributes.qos }))
    if (value !== undefined) argv.push(`--${option}=${word(value, option)}`);
  return argv;
}

/** The batch script sbatch reads on stdin. */
export function batchScript(spec: RemoteSpec): string {
  return wrapperScript(spec, { jobIdVariable: 'SLURM_JOB_ID' });
}
