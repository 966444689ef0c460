/** Following a job to its end: `dm job wait` and `dm job logs --follow` (`dm job watch` is in job-watch.ts). */
import { type Job, type JobLog, JobWaitTimeoutError } from '@photon-dm/client';
import { CliError, type CommandContext } from './context.ts';
import { formatDuration } from './duration.ts';
import { formatRunTime } from './job-render.ts';
import { formatJson } from './output.ts';

/** Exit codes of `dm job wait`: a script tells "failed" from "still running" without parsing text. */
export const waitExitCodes = { done: 0, failed: 1, timeout: 2 } as const;

/**
 * Waits for the job to end: returns when it is `done`; throws a `CliError` with exit code 1 when it failed
 * or was aborted, 2 when `timeoutSeconds` passed first.
 *
 * @example
 * await waitForJob(context, 7, 600);
 */
export async function waitForJob(
  context: CommandContext,
  id: number,
  timeoutSeconds: number | undefined,
  intervalMs = 1000,
): Promise<Job> {
  let job: Job;
  try {
    job = await context.client.jobs.wait(id, {
      intervalMs,
      ...(timeoutSeconds !== undefined && { timeoutMs: timeoutSeconds * 1000 }),
    });
  } catch (error) {
    if (!(error instanceof JobWaitTimeoutError)) throw error;
    context.emit(
      error.job,
      () => `job ${id} is still ${error.job.status} after ${formatDuration(timeoutSeconds ?? 0)}`,
    );
    throw new CliError(`gave up waiting for job ${id}`, waitExitCodes.timeout);
  }
  context.emit(job, (j) => `job ${j.id} ${j.status} after ${formatRunTime(j.runTime)}`);
  if (job.status !== 'done') {
    throw new CliError(
      `job ${id} ${job.status}${job.errorMessage ? `: ${job.errorMessage}` : ''}`,
      waitExitCodes.failed,
    );
  }
  return job;
}

/**
 * `dm job logs`: the log so far (or, with `follow`, until the job ends), with a header line whenever the
 * text switches to another stage or child process, so interleaved parallel output stays readable.
 */
export async function printJobLogs(
  context: CommandContext,
  id: number,
  options: { stage?: string; follow?: boolean; intervalMs?: number },
): Promise<void> {
  const write = (text: string) => context.runtime.stdout.write(text);
  const entries: JobLog['entries'] = [];
  let source: string | undefined;
  let atLineStart = true;
  const print = (entry: JobLog['entries'][number]) => {
    if (context.json) {
      if (options.follow) write(`${JSON.stringify(entry)}\n`);
      else entries.push(entry);
      return;
    }
    const name = `${entry.stage} process ${entry.childProcessNumber}`;
    // With --stage the reader asked for one stage's output: no header unless a second process shows up.
    if (name !== source && (options.stage === undefined || source !== undefined)) {
      write(`${atLineStart ? '' : '\n'}==> ${name} <==\n`);
    }
    source = name;
    write(entry.text);
    if (entry.text !== '') atLineStart = entry.text.endsWith('\n');
  };

  const stage = options.stage === undefined ? {} : { stage: options.stage };
  if (options.follow) {
    const follow = context.client.jobs.followLogs(id, { ...stage, intervalMs: options.intervalMs ?? 1000 });
    for await (const entry of follow) print(entry);
    return;
  }
  let log: JobLog;
  let cursor: string | undefined;
  do {
    log = await context.client.jobs.logs(id, cursor === undefined ? stage : { ...stage, cursor });
    for (const entry of log.entries) print(entry);
    cursor = log.cursor;
  } while (!log.complete && log.entries.length > 0);
  if (context.json) write(formatJson({ entries, cursor: log.cursor, complete: log.complete }));
}
