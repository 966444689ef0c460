/**
 * Following jobs as they run: `dm job wait`, `dm job watch` and `dm job logs --follow`. They look at the
 * job every second; the event stream replaces the looking once the server has it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isJobFinished, type Job, type JobLog, JobWaitTimeoutError } from '@photon-dm/client';
import { CliError, type CommandContext } from './context.ts';
import { formatDuration } from './duration.ts';
import { formatRunTime, jobTransitions } from './job-render.ts';
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
 * Prints each transition of one job (each stage starting and ending, the job's status) until it ends.
 * With `--json`, one job record per line at each change.
 */
export async function watchJob(context: CommandContext, id: number, intervalMs = 1000): Promise<Job> {
  let last: Job | undefined;
  for (;;) {
    const job = await context.client.jobs.show(id);
    printChanges(context, last, job);
    last = job;
    if (isJobFinished(job.status)) return job;
    await sleep(intervalMs);
  }
}

/** Prints the transitions of every job the caller may see, until interrupted (newest 100 jobs each time). */
export async function watchAllJobs(context: CommandContext, intervalMs = 1000): Promise<never> {
  const seen = new Map<number, Job>();
  let first = true;
  for (;;) {
    const page = await context.client.jobs.list({ limit: 100 });
    for (const job of [...page.items].reverse()) {
      // The first look only sets the baseline: what happened before `watch` started is `dm job list`'s.
      if (!first) printChanges(context, seen.get(job.id), job);
      seen.set(job.id, job);
    }
    first = false;
    await sleep(intervalMs);
  }
}

function printChanges(context: CommandContext, before: Job | undefined, after: Job): void {
  const lines = jobTransitions(before, after);
  if (lines.length === 0) return;
  if (context.json) context.runtime.stdout.write(`${JSON.stringify(after)}\n`);
  else context.runtime.stdout.write(lines.map((line) => `${new Date().toISOString()} ${line}\n`).join(''));
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
