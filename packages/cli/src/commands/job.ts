/**
 * `dm job`: start, follow and manage processing jobs (APS: dm-start-processing-job, dm-list-processing-jobs,
 * dm-get-processing-job, dm-stop-processing-job).
 */
import type { JobStatus } from '@photon-dm/client';
import { type Command, Option } from 'commander';
import {
  addClientOptions,
  type ClientOptions,
  createContext,
  positiveInteger,
  type Runtime,
  UsageError,
} from '../context.ts';
import { duration } from '../duration.ts';
import { parseJobArguments, pickOne } from '../job-arguments.ts';
import { printJobLogs, waitForJob } from '../job-follow.ts';
import { jobColumns, renderJob } from '../job-render.ts';
import { watchAllJobs, watchJob } from '../job-watch.ts';

const statuses: JobStatus[] = ['pending', 'running', 'done', 'failed', 'aborted'];

// No default `[]`: commander would print "(default: [])" in the help.
const collect = (value: string, previous: string[] = []) => [...previous, value];

interface StartOptions extends ClientOptions {
  workflow: string;
  owner?: string;
  experiment?: string;
  filePath?: string;
  eachFile?: boolean;
  where?: string[];
  pathGlob?: string;
}

function registerStart(job: Command, runtime: Runtime): void {
  addClientOptions(
    job
      .command('start')
      .description('start a job; prints its id (with --each-file: one job per matching cataloged file)')
      .argument('[arguments...]', 'workflow arguments as key:value or key=value')
      .requiredOption('--workflow <name>', 'the workflow to run')
      .option('--owner <name>', "the workflow's owner (default: you)")
      .option('--experiment <name>', 'the experiment the job works on')
      .option('--file-path <path>', "a cataloged input file, relative to the experiment's data directory")
      .option('--each-file', 'one job per cataloged file of --experiment matching --where and --path-glob')
      .option(
        '--where <condition>',
        "with --each-file: 'key op value', as in dm file list; repeatable",
        collect,
      )
      .option('--path-glob <glob>', 'with --each-file: only files whose path matches'),
  ).action(async (words: string[], options: StartOptions) => {
    const parsed = parseJobArguments(words);
    const experiment = pickOne('--experiment', options.experiment, parsed.experimentName);
    const filePath = options.filePath;
    const owner = options.owner === undefined ? {} : { owner: options.owner };
    const args = Object.keys(parsed.arguments).length === 0 ? {} : { arguments: parsed.arguments };
    if (options.eachFile) {
      if (experiment === undefined) throw new UsageError('--each-file needs --experiment');
      if (filePath !== undefined)
        throw new UsageError('--each-file picks the files itself: drop --file-path');
      const context = createContext(runtime, options);
      const started = await context.client.jobs.startEachFile({
        workflow: options.workflow,
        ...owner,
        experiment,
        ...(options.where !== undefined && { where: options.where }),
        ...(options.pathGlob !== undefined && { pathGlob: options.pathGlob }),
        ...args,
      });
      context.emit(started, (s) =>
        `${s.count} job${s.count === 1 ? '' : 's'} started: ${s.jobIds.join(' ')}`.trim(),
      );
      return;
    }
    if (options.where !== undefined || options.pathGlob !== undefined) {
      throw new UsageError('--where and --path-glob choose files for --each-file');
    }
    const context = createContext(runtime, options);
    const started = await context.client.jobs.start({
      workflow: options.workflow,
      ...owner,
      ...(experiment !== undefined && { experiment }),
      ...(filePath !== undefined && { filePath }),
      ...args,
    });
    // Only the id: `id=$(dm job start ...)` is how a shell script holds on to it.
    context.emit(started, (j) => String(j.id));
  });
}

interface ListOptions extends ClientOptions {
  status?: JobStatus;
  workflow?: string;
  experiment?: string;
  owner?: string;
  limit: number;
}

/** `list` and `history`: the same filters and table; history is the ended jobs. */
function jobListCommand(job: Command, runtime: Runtime, name: string, description: string, ended: boolean) {
  const command = job.command(name).description(description);
  if (!ended) command.addOption(new Option('--status <status>', 'only jobs in this state').choices(statuses));
  addClientOptions(
    command
      .option('--workflow <name>', 'only runs of this workflow')
      .option('--experiment <name>', 'only jobs of this experiment')
      .option('--owner <name>', "only jobs of this workflow owner's workflows")
      .option('--limit <number>', 'show at most this many', positiveInteger, 100),
  ).action(async (options: ListOptions) => {
    const context = createContext(runtime, options);
    const query = {
      ...(ended && { ended: true }),
      ...(options.status && { status: options.status }),
      ...(options.workflow && { workflow: options.workflow }),
      ...(options.experiment && { experiment: options.experiment }),
      ...(options.owner && { owner: options.owner }),
    };
    await context.list(
      (page) => context.client.jobs.list({ ...query, ...page }),
      options.limit,
      jobColumns,
      'jobs',
    );
  });
}

function registerQueries(job: Command, runtime: Runtime): void {
  jobListCommand(job, runtime, 'list', 'list jobs, newest first', false);
  jobListCommand(
    job,
    runtime,
    'history',
    'jobs that have ended (done, failed, aborted), newest first; kept DM_JOB_RETENTION_DAYS days',
    true,
  );

  addClientOptions(
    job
      .command('show')
      .description('a job: status, times, and each stage with its status, exit status, run time and error')
      .argument('<id>', 'job id', positiveInteger),
  ).action(async (id: number, options: ClientOptions) => {
    const context = createContext(runtime, options);
    context.emit(await context.client.jobs.show(id), renderJob);
  });

  addClientOptions(
    job
      .command('logs')
      .description("a job's output (stdout and stderr of every stage)")
      .argument('<id>', 'job id', positiveInteger)
      .option('--stage <key>', 'only this stage')
      .option('--follow', 'keep printing until the job has ended'),
  ).action(async (id: number, options: ClientOptions & { stage?: string; follow?: boolean }) => {
    const context = createContext(runtime, options);
    await printJobLogs(context, id, options);
  });
}

function registerControl(job: Command, runtime: Runtime): void {
  addClientOptions(
    job
      .command('stop')
      .description('stop a job (its processes are killed)')
      .argument('<id>', 'job id', positiveInteger),
  ).action(async (id: number, options: ClientOptions) => {
    const context = createContext(runtime, options);
    context.emit(await context.client.jobs.stop(id), (j) => `job ${j.id} ${j.status}`);
  });

  addClientOptions(
    job
      .command('wait')
      .description('wait until a job ends; exit 0 if done, 1 if failed or aborted, 2 on timeout')
      .argument('<id>', 'job id', positiveInteger)
      .option('--timeout <duration>', 'give up after this long, e.g. 10m (default: wait for ever)', duration),
  ).action(async (id: number, options: ClientOptions & { timeout?: number }) => {
    const context = createContext(runtime, options);
    await waitForJob(context, id, options.timeout);
  });

  addClientOptions(
    job
      .command('resubmit')
      .description(
        "run a job again with the same arguments on the workflow's current revision; prints the new id",
      )
      .argument('<id>', 'job id', positiveInteger)
      .option('--from-stage <key>', 'skip the stages before this one, reusing the variables they captured'),
  ).action(async (id: number, options: ClientOptions & { fromStage?: string }) => {
    const context = createContext(runtime, options);
    context.emit(await context.client.jobs.resubmit(id, options.fromStage), (j) => String(j.id));
  });

  addClientOptions(
    job
      .command('watch')
      .description("print jobs' transitions as they happen (one job until it ends, or all until interrupted)")
      .argument('[id]', 'job id', positiveInteger),
  ).action(async (id: number | undefined, options: ClientOptions) => {
    const context = createContext(runtime, options);
    if (id === undefined) await watchAllJobs(context);
    else await watchJob(context, id);
  });
}

/**
 * @example
 * registerJobCommands(program, runtime); // dm job start --workflow example-01 --experiment e1 --file-path a.h5
 */
export function registerJobCommands(program: Command, runtime: Runtime): void {
  const job = program.command('job').description('start, follow and manage processing jobs');
  registerStart(job, runtime);
  registerQueries(job, runtime);
  registerControl(job, runtime);
}
