/**
 * What the batch adapters (Slurm, PBS) share: the stage's files under `.pdm/` of its working directory, the
 * checks a spec must pass before it becomes a script, and the wrapper script itself.
 *
 * The wrapper records the job id in `.pdm/<key>.id` when it starts (so a submission can be recognized after
 * the scheduler has forgotten the job), runs the command in a child bash with the stage's environment, and
 * writes the command's exit status to `.pdm/<key>.ec` when it ends: the exit code is then known whatever the
 * scheduler remembers of the job.
 *
 * Values as data: the command, every environment value (and the directory where the scheduler cannot change
 * into it) are in the script as base64 only, decoded at run time into variables; the shell never parses them.
 * They are not given to the submit command through its own environment either, where a name such as
 * `LD_PRELOAD` or `SBATCH_ACCOUNT` would act on that command itself.
 */
import type { RemoteOutput, RemoteSpec } from './adapter.ts';
import type { CommandResult, CommandRunner } from './commands.ts';

export type StageFileKind = 'out' | 'err' | 'id' | 'ec';

/** The adapter's files of a stage, relative to its working directory. */
export function stageFile(key: string, kind: StageFileKind): string {
  return `.pdm/${key}.${kind}`;
}

/** The directory of a stage's files at the site. */
export function stageDirectory(spec: Pick<RemoteSpec, 'directory'>): string {
  return `${spec.directory.replace(/\/+$/, '')}/.pdm`;
}

/** The absolute path of a stage's file at the site. */
export function stagePath(spec: Pick<RemoteSpec, 'directory' | 'key'>, kind: StageFileKind): string {
  return `${spec.directory.replace(/\/+$/, '')}/${stageFile(spec.key, kind)}`;
}

const keyPattern = /^[a-z0-9-]{1,48}$/;
const namePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Refuses a spec that the script or the scheduler could not take as it is, with the reason. */
export function checkSpec(spec: RemoteSpec): void {
  if (!keyPattern.test(spec.key))
    throw new Error(`key ${JSON.stringify(spec.key)} is not 1 to 48 characters of [a-z0-9-]`);
  if (!spec.directory.startsWith('/') || spec.directory.includes('\u0000'))
    throw new Error(`directory ${JSON.stringify(spec.directory)} is not an absolute path`);
  // sbatch reads its file options as patterns, which a backslash turns off; PBS has no use for one either.
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

/** What a stage printed and its exit status: `tail -c` of `.pdm/<key>.out` and `.err`, `cat` of `.ec`. */
export async function stageOutput(
  runner: CommandRunner,
  spec: RemoteSpec,
  maxBytes: number,
): Promise<RemoteOutput> {
  checkSpec(spec);
  const bytes = String(Math.max(0, Math.floor(maxBytes)));
  const [stdout, stderr, status] = await Promise.all([
    runner.run(['tail', '-c', bytes, '--', stagePath(spec, 'out')]),
    runner.run(['tail', '-c', bytes, '--', stagePath(spec, 'err')]),
    runner.run(['cat', '--', stagePath(spec, 'ec')]),
  ]);
  const output: RemoteOutput = { stdout: text(stdout), stderr: text(stderr) };
  const code = status.stdout.trim();
  if (status.code === 0 && /^\d+$/.test(code)) output.exitCode = Number(code);
  return output;
}

/** A missing file (not started yet, or removed) reads as nothing; NULs are dropped for the database's sake. */
function text(result: CommandResult): string {
  return result.code === 0 ? result.stdout.replaceAll('\u0000', '') : '';
}

export interface WrapperOptions {
  /** The variable in which the scheduler gives the job its id: `SLURM_JOB_ID`, `PBS_JOBID`. */
  jobIdVariable: string;
  /**
   * Whether the script changes into the stage's directory itself: PBS starts a job in the account's home
   * and has no option for another directory, where sbatch has `--chdir`.
   */
  changeDirectory?: boolean;
}

/** The wrapper script the scheduler runs (on stdin of sbatch or qsub). */
export function wrapperScript(spec: RemoteSpec, options: WrapperOptions): string {
  const exports = Object.entries(spec.environment).map(
    ([name, value]) => `  pdm_set ${name} '${base64(value)}' || exit 125; export ${name}`,
  );
  const changeDirectory = options.changeDirectory
    ? [`pdm_set pdm_directory '${base64(spec.directory)}' && cd -- "$pdm_directory" || exit 125`]
    : [];
  return [
    '#!/bin/bash',
    `# Photon DM stage ${spec.key}: runs the command in a child bash and records its exit status.`,
    '# Values are base64 text, decoded into variables and never parsed (the "." keeps trailing newlines).',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a JS template
    'pdm_set() { local pdm_value; pdm_value=$(printf %s "$2" | base64 -d && printf .) || return 1; printf -v "$1" %s "${pdm_value%.}"; }',
    ...changeDirectory,
    `printf '%s\\n' "$${options.jobIdVariable}" >${stageFile(spec.key, 'id')}`,
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

/** A node, task, GPU or second count: a positive integer, never a fraction a scheduler would misread. */
export function count(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, not ${value}`);
  return value;
}

/** A queue, account, reservation or QOS name: one option value, never two. */
export function word(value: string, option: string): string {
  if (!/^[A-Za-z0-9_.:,+-]+$/.test(value))
    throw new Error(`${option} ${JSON.stringify(value)} is not a valid name`);
  return value;
}

export interface BatchSubmission {
  /** The job the site already knows under the spec's key, if any (one listing of the scheduler). */
  find(key: string): Promise<string | undefined>;
  /** The scheduler's job ids, to trust an `.id` file and the submit command's answer. */
  idPattern: RegExp;
  /** The submit command (`sbatch`, `qsub`) with its arguments, and the batch script for its stdin. */
  command(): { argv: string[]; script: string };
  /** The job id in the submit command's stdout. */
  idIn(stdout: string): string;
}

/**
 * Submits the spec once whatever happened before: a job the scheduler still lists under the key is that
 * job; one it has forgotten left its id in `.pdm/<key>.id`; only then is it submitted. The `.pdm` directory
 * is made first: schedulers do not create the directories of a job's output files.
 */
export async function submitOnce(
  runner: CommandRunner,
  spec: RemoteSpec,
  submission: BatchSubmission,
  succeeded: (result: CommandResult, command: string) => CommandResult,
): Promise<string> {
  checkSpec(spec);
  const found = await submission.find(spec.key);
  if (found !== undefined) return found;
  const ran = await runner.run(['cat', '--', stagePath(spec, 'id')]);
  const ranId = ran.stdout.trim();
  if (ran.code === 0 && submission.idPattern.test(ranId)) return ranId;
  succeeded(await runner.run(['mkdir', '-p', '--', stageDirectory(spec)]), 'mkdir');
  const { argv, script } = submission.command();
  const [program = ''] = argv;
  const result = await runner.run(argv, { input: script });
  const id = submission.idIn(succeeded(result, program).stdout);
  if (!submission.idPattern.test(id))
    throw new Error(`${program} printed no job id: ${JSON.stringify(result.stdout.slice(0, 200))}`);
  return id;
}
