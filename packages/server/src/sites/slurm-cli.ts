/**
 * The Slurm adapter through Slurm's own commands (sbatch, squeue, scancel), run by a CommandRunner: on the
 * server's host, or over SSH on a login node. Every file at the site is read through the runner as well.
 *
 * - submit: `squeue` (is the key's job already there?), then `cat .pdm/<key>.id` (did it run and leave
 *   squeue's memory?), `mkdir -p <directory>/.pdm`, and `sbatch --parsable` with the script on stdin.
 * - find: the job whose comment is `photon-dm:<key>` in one squeue listing of the account's jobs. A job that
 *   ended more than MinJobAge ago (300 s by default) is not there any more; submit() still recognizes it by
 *   its `.id` file, since only submit knows the directory.
 * - status: one squeue call for all ids. A job squeue has forgotten is `unknown` (without slurmdbd nothing
 *   else remembers it); the engine then reads its exit status from the `.ec` file through output().
 * - cancel: scancel, whose errors for ended or unknown jobs are not errors here.
 * - output: `tail -c` of `.pdm/<key>.out` and `.err`, `cat` of `.pdm/<key>.ec`.
 *
 * An unreachable slurmctld (or munge refusing us) is a SiteUnavailableError, retried later; a submission
 * Slurm refuses (unknown partition, account, reservation...) is an Error with Slurm's words.
 */
import type { RemoteStatus, SiteAdapter } from './adapter.ts';
import { stageOutput, submitOnce } from './batch-script.ts';
import { type CommandResult, type CommandRunner, commandSucceeded } from './commands.ts';
import { batchScript, keyComment, type SlurmDefaults, sbatchArguments } from './slurm-script.ts';
import { parseSqueue, squeueArguments, squeueEnvironment, statusOf } from './slurm-states.ts';

export type { SlurmDefaults } from './slurm-script.ts';

export interface SlurmCliOptions {
  /** The site's partition, account, walltime... for stages that ask for none. */
  defaults?: SlurmDefaults;
}

/**
 * @example
 * const slurm = createSlurmCliAdapter(createLocalCommandRunner(), { defaults: { attributes: { queue: 'debug' } } });
 * const id = await slurm.submit({ key: 'pdm-42-a-1', command: 'echo hi', directory: '/scratch/pdm', environment: {} });
 * const states = await slurm.status([id]);
 */
export function createSlurmCliAdapter(runner: CommandRunner, options: SlurmCliOptions = {}): SiteAdapter {
  const defaults = options.defaults ?? {};

  async function find(key: string): Promise<string | undefined> {
    const comment = keyComment(key);
    const lines = parseSqueue(await squeue());
    return lines.find((line) => line.comment === comment)?.id;
  }

  async function squeue(): Promise<string> {
    const result = await runner.run(squeueArguments(), { env: squeueEnvironment });
    return succeeded(result, 'squeue').stdout;
  }

  return {
    find,

    submit: (spec) =>
      submitOnce(
        runner,
        spec,
        {
          find,
          idPattern: /^\d+$/,
          command: () => ({ argv: sbatchArguments(spec, defaults), script: batchScript(spec) }),
          idIn: (stdout) => stdout.trim().split(';')[0] ?? '',
        },
        succeeded,
      ),

    async status(ids) {
      const statuses = new Map<string, RemoteStatus>();
      if (ids.length === 0) return statuses;
      const lines = new Map(parseSqueue(await squeue()).map((line) => [line.id, line]));
      for (const id of ids) {
        const line = lines.get(id);
        statuses.set(
          id,
          line ? statusOf(line) : { id, state: 'unknown', reason: 'not known to squeue any more' },
        );
      }
      return statuses;
    },

    async cancel(id) {
      if (!/^\d+(_\d+)?$/.test(id)) throw new Error(`${JSON.stringify(id)} is not a Slurm job id`);
      const result = await runner.run(['scancel', id]);
      if (result.code === 0) return;
      // Already ended, or purged from slurmctld's memory: nothing left to cancel.
      if (/Invalid job id specified|already completing or completed/i.test(result.stderr)) return;
      succeeded(result, 'scancel');
    },

    output: (spec, maxBytes) => stageOutput(runner, spec, maxBytes),
  };
}

/**
 * Slurm's messages when the controller cannot be reached, authentication fails or the controller is too
 * busy to take a job (EAGAIN): faults of the site that pass, never a stage's failure.
 */
const unavailable =
  /Unable to contact slurm controller|Socket timed out|Connection refused|Zero Bytes were transmitted|Communication connection failure|Transport endpoint is not connected|Slurm backup controller in standby|Munge|Invalid authentication credential|Protocol authentication error|temporarily unavailable|temporarily unable/i;

/** The result of a command that succeeded; else the error its stderr describes. */
function succeeded(result: CommandResult, command: string): CommandResult {
  return commandSucceeded(result, command, unavailable);
}
