/**
 * The PBS Pro / OpenPBS adapter through PBS's own commands (qsub, qselect, qstat, qdel), run by a
 * CommandRunner: on the server's host, or over SSH on a login node. Every file at the site is read through
 * the runner as well.
 *
 * - submit: find(key) (is the key's job known to PBS?), then `cat .pdm/<key>.id` (did it run and leave
 *   PBS's history?), `mkdir -p <directory>/.pdm`, and `qsub` with the script on stdin.
 * - find: `qselect -x -N <name>` (the jobs of that short name, finished ones too), then one qstat of those
 *   for the one whose Variable_List holds `PDM_KEY=<key>`.
 * - status: one `qstat -f -F json -x <ids...>` for all ids (a page of ids per call). qstat exits 153 when an
 *   id is unknown and 35 for history it cannot show, and still prints the jobs it found: those exit codes
 *   are answers, not faults. A job PBS no longer knows is `unknown`; its exit status comes from `.ec`.
 * - cancel: qdel, whose "Unknown Job Id" and "Job has finished" are not errors here.
 * - output: `tail -c` of `.pdm/<key>.out` and `.err`, `cat` of `.pdm/<key>.ec`.
 *
 * An unreachable PBS server is a SiteUnavailableError, retried later; a submission PBS refuses (an unknown
 * queue, resources over its limits) is an Error with PBS's words.
 */
import type { RemoteStatus, SiteAdapter } from './adapter.ts';
import { stageOutput, submitOnce } from './batch-script.ts';
import { type CommandResult, type CommandRunner, commandSucceeded } from './commands.ts';
import { batchScript, jobName, keyVariable, type PbsDefaults, qsubArguments } from './pbs-script.ts';
import { keyOf, parseQstat, type QstatJob, statusOf } from './pbs-states.ts';

export type { PbsDefaults } from './pbs-script.ts';

export interface PbsCliOptions {
  /** The site's queue, account, walltime... for stages that ask for none. */
  defaults?: PbsDefaults;
}

/** `1234.pbs-server`, an array's `1234[].server` or sub-job `1234[7].server`; the server part optional. */
const jobIdPattern = /^\d+(\[\d*\])?(\.[A-Za-z0-9_.-]+)?$/;
/** Ids per qstat call: a command line stays far below the system's limit. */
const pageSize = 500;
/** qstat's times are ctime(3) text in the client's zone: asked in UTC. */
const qstatEnvironment = { TZ: 'UTC' };

/**
 * @example
 * const pbs = createPbsCliAdapter(createLocalCommandRunner(), { defaults: { attributes: { queue: 'debug' } } });
 * const id = await pbs.submit({ key: 'pdm-42-a-1', command: 'echo hi', directory: '/eagle/pdm', environment: {} });
 * const states = await pbs.status([id]);
 */
export function createPbsCliAdapter(runner: CommandRunner, options: PbsCliOptions = {}): SiteAdapter {
  const defaults = options.defaults ?? {};

  async function qstat(ids: string[]): Promise<Map<string, QstatJob>> {
    const result = await runner.run(['qstat', '-f', '-F', 'json', '-x', ...ids], { env: qstatEnvironment });
    // 153 (unknown id) and 35 (history) leave the other jobs printed; anything else is a fault.
    if (result.code !== 0 && !(onlyUnknownIds(result.stderr) && result.stdout.includes('{')))
      succeeded(result, 'qstat');
    return parseQstat(result.stdout);
  }

  async function find(key: string): Promise<string | undefined> {
    const selected = await runner.run(['qselect', '-x', '-N', jobName(key)]);
    const ids = succeeded(selected, 'qselect')
      .stdout.split('\n')
      .map((line) => line.trim())
      .filter((line) => jobIdPattern.test(line));
    if (ids.length === 0) return undefined;
    for (const [id, job] of await qstat(ids)) if (keyOf(job, keyVariable) === key) return id;
    return undefined;
  }

  return {
    find,

    submit: (spec) =>
      submitOnce(
        runner,
        spec,
        {
          find,
          idPattern: jobIdPattern,
          command: () => ({ argv: qsubArguments(spec, defaults), script: batchScript(spec) }),
          // Some PBS installations print notices before the id.
          idIn: (stdout) => stdout.trim().split('\n').pop()?.trim() ?? '',
        },
        succeeded,
      ),

    async status(ids) {
      const statuses = new Map<string, RemoteStatus>();
      const asked = ids.filter((id) => jobIdPattern.test(id));
      const jobs = new Map<string, QstatJob>();
      for (let start = 0; start < asked.length; start += pageSize)
        for (const [id, job] of await qstat(asked.slice(start, start + pageSize))) jobs.set(id, job);
      for (const id of ids) {
        const job = jobs.get(id) ?? jobs.get(fullId(id, jobs));
        statuses.set(
          id,
          job ? statusOf(id, job) : { id, state: 'unknown', reason: 'not known to qstat any more' },
        );
      }
      return statuses;
    },

    async cancel(id) {
      if (!jobIdPattern.test(id)) throw new Error(`${JSON.stringify(id)} is not a PBS job id`);
      const result = await runner.run(['qdel', id]);
      if (result.code === 0) return;
      // Already ended, ending, or gone from PBS's memory: nothing left to cancel.
      if (onlyUnknownIds(result.stderr) || /Request invalid for state of job/.test(result.stderr)) return;
      succeeded(result, 'qdel');
    },

    output: (spec, maxBytes) => stageOutput(runner, spec, maxBytes),
  };
}

/** An id given without its server part (`1234`) as qstat printed it (`1234.pbs-server`). */
function fullId(id: string, jobs: Map<string, QstatJob>): string {
  if (id.includes('.')) return id;
  for (const printed of jobs.keys()) if (printed.startsWith(`${id}.`)) return printed;
  return id;
}

/** Whether every line of stderr says an id is unknown or finished (PBSE_UNKJOBID, PBSE_HISTJOBID). */
function onlyUnknownIds(stderr: string): boolean {
  const lines = stderr.split('\n').filter((line) => line.trim() !== '');
  return lines.length > 0 && lines.every((line) => /Unknown Job Id|Job has finished/.test(line));
}

/**
 * PBS's messages when its server cannot be reached or cannot take a request now: faults of the site that
 * pass, never a stage's failure.
 */
const unavailable =
  /cannot connect to server|Couldn't connect to cluster|Connection refused|Connection timed out|No route to host|Batch protocol error|No free connections|Server connection table full|pbs_iff|communication failure|End of File|Server is busy|temporarily unavailable/i;

/** The result of a command that succeeded; else the error its stderr describes. */
function succeeded(result: CommandResult, command: string): CommandResult {
  return commandSucceeded(result, command, unavailable);
}
