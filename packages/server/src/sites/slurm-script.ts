/**
 * What the Slurm adapter hands to `sbatch`: the options (one argv, no shell) and the batch script on stdin.
 *
 * The script is a wrapper around the stage's command. It records the job id in `.pdm/<key>.id` when it
 * starts (so a submission can be recognized after squeue has forgotten the job), runs the command in a
 * child bash with the stage's environment, and writes the command's exit status to `.pdm/<key>.ec` when it
 * ends: the exit code is then known on sites without accounting (slurmdbd), where squeue does not print it.
 *
 * Values as data: the command and every environment value are in the script as base64 only, decoded at run
 * time into variables; the shell never parses them. They are not given to sbatch through its own
 * environment either, where a name such as `LD_PRELOAD` or `SBATCH_ACCOUNT` would act on sbatch itself.
 *
 * Files, in `.pdm/` of the job's working directory (`--chdir`): `<key>.out` and `<key>.err` (stdout, stderr),
 * `<key>.id`, `<key>.ec`. sbatch's `--output` and `--error` are filename patterns (`%j` is the job id), even
 * the working directory a relative name is joined to, so they are given absolute with `%` written `%%`; a
 * backslash would turn every pattern off, `%%` included, so a directory holding one is refused.
 */
import type { RemoteSpec } from './adapter.ts';

/** The site's defaults, used where a stage asks for nothing. */
export interface SlurmDefaults {
  resources?: RemoteSpec['resources'];
  attributes?: RemoteSpec['attributes'];
}

/** The adapter's files of a stage, relative to its working directory. */
export function stageFile(key: string, kind: 'out' | 'err' | 'id' | 'ec'): string {
  return `.pdm/${key}.${kind}`;
}

/** The directory of a stage's files at the site. */
export function stageDirectory(spec: Pick<RemoteSpec, 'directory'>): string {
  return `${spec.directory.replace(/\/+$/, '')}/.pdm`;
}

/** The absolute path of a stage's file at the site. */
export function stagePath(
  spec: Pick<RemoteSpec, 'directory' | 'key'>,
  kind: 'out' | 'err' | 'id' | 'ec',
): string {
  return `${spec.directory.replace(/\/+$/, '')}/${stageFile(spec.key, kind)}`;
}

/** The comment that marks a job as the stage `key`'s: find() matches it exactly. */
export function keyComment(key: string): string {
  return `photon-dm:${key}`;
}

const keyPattern = /^[a-z0-9-]{1,48}$/;
const namePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Refuses a spec that the script or sbatch could not take as it is, with the reason. */
export function checkSpec(spec: RemoteSpec): void {
  if (!keyPattern.test(spec.key))
    throw new Error(`key ${JSON.stringify(spec.key)} is not 1 to 48 characters of [a-z0-9-]`);
  if (!spec.directory.startsWith('/') || spec.directory.includes('\u0000'))
    throw new Error(`directory ${JSON.stringify(spec.directory)} is not an absolute path`);
  if (spec.directory.includes('\\'))
    throw new Error(
      `directory ${JSON.stringify(spec.directory)} holds a backslash, which sbatch would misread`,
    );
  for (const [name, value] of Object.entries(spec.environment)) {
    // The wrapper's own variables start with pdm_; a stage's must not overwrite them.
    if (!namePattern.test(name) || name.startsWith('pdm_'))
      throw new Error(`environment variable name ${JSON.stringify(name)} is not allowed`);
    if (value.includes('\u0000')) throw new Error(`environment variable ${name} holds a NUL character`);
  }
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
  const exports = Object.entries(spec.environment).map(
    ([name, value]) => `  pdm_set ${name} '${base64(value)}' || exit 125; export ${name}`,
  );
  return [
    '#!/bin/bash',
    `# Photon DM stage ${spec.key}: runs the command in a child bash and records its exit status.`,
    '# Values are base64 text, decoded into variables and never parsed (the "." keeps trailing newlines).',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a JS template
    'pdm_set() { local pdm_value; pdm_value=$(printf %s "$2" | base64 -d && printf .) || return 1; printf -v "$1" %s "${pdm_value%.}"; }',
    `printf '%s\\n' "$SLURM_JOB_ID" >${stageFile(spec.key, 'id')}`,
    '(',
    ...exports,
    `  pdm_set pdm_command '${base64(spec.command)}' || exit 125`,
    '  exec /bin/bash -c "$pdm_command" bash',
    ')',
    'pdm_status=$?',
    // Written then renamed: a reader never sees an empty or partial status.
    `printf '%s\\n' "$pdm_status" >${stageFile(spec.key, 'ec')}.tmp && mv -f ${stageFile(spec.key, 'ec')}.tmp ${stageFile(spec.key, 'ec')}`,
    'exit "$pdm_status"',
    '',
  ].join('\n');
}

function base64(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64');
}

function count(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, not ${value}`);
  return value;
}

/** A partition, account, reservation or QOS name: one sbatch option value, never two. */
function word(value: string, option: string): string {
  if (!/^[A-Za-z0-9_.:,+-]+$/.test(value))
    throw new Error(`${option} ${JSON.stringify(value)} is not a valid name`);
  return value;
}
