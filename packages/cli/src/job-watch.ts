/**
 * `dm job watch`: jobs' transitions as they happen. The server's event stream (`job.status`, `job.stage`)
 * says when something changed; a server without it (404) is asked every second instead.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, isJobFinished, type Job, type LiveEvent } from '@photon-dm/client';
import type { CommandContext } from './context.ts';
import { jobTransitions } from './job-render.ts';

const jobEventTypes = ['job.status', 'job.stage'] as const;

/** A server that publishes no job events (or a lost one) still shows each change within this long. */
const recheckMs = 5_000;

function withoutEventStream(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404 && error.code === 'route_not_found';
}

/**
 * Prints each transition of one job (each stage starting and ending with its exit status, the job's status)
 * until it ends; with `--json`, the job's record at each change, one per line.
 *
 * @example
 * await watchJob(context, 7);
 */
export async function watchJob(context: CommandContext, id: number, intervalMs = 1000): Promise<Job> {
  let last = await context.client.jobs.show(id);
  printChanges(context, undefined, last);
  if (isJobFinished(last.status)) return last;
  const look = async (): Promise<Job> => {
    const job = await context.client.jobs.show(id);
    printChanges(context, last, job);
    last = job;
    return job;
  };
  try {
    return await watchOnEvents(context, id, look);
  } catch (error) {
    if (!withoutEventStream(error)) throw error;
  }
  for (;;) {
    const job = await look();
    if (isJobFinished(job.status)) return job;
    await sleep(intervalMs);
  }
}

/**
 * Looks at the job whenever an event about it arrives, and every `recheckMs` anyway. The stream replays the
 * job's events from the start (`after: 0`), so a change between the first look and the stream's opening is
 * not missed; looking again at a change already shown prints nothing.
 */
async function watchOnEvents(context: CommandContext, id: number, look: () => Promise<Job>): Promise<Job> {
  const stop = new AbortController();
  const events = context.client.events.stream({
    types: jobEventTypes,
    subject: id,
    after: 0,
    signal: stop.signal,
  });
  const iterator = events[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    for (;;) {
      const timer = new AbortController();
      const arrived = await Promise.race([
        next.then((result) => result),
        sleep(recheckMs, undefined, { signal: timer.signal }).then(
          () => undefined,
          () => undefined,
        ),
      ]);
      timer.abort();
      if (arrived?.done) throw new Error('the event stream ended');
      if (arrived !== undefined) next = iterator.next();
      const job = await look();
      if (isJobFinished(job.status)) return job;
    }
  } finally {
    stop.abort();
    // Ends the request; the generator returns once it sees the abort.
    await next.catch(() => undefined);
  }
}

/**
 * Prints the transitions of every job the caller may see, as events, until interrupted.
 *
 * @example
 * await watchAllJobs(context);
 */
export async function watchAllJobs(context: CommandContext, intervalMs = 1000): Promise<void> {
  try {
    for await (const event of context.client.events.stream({ types: jobEventTypes }))
      printEvent(context, event);
  } catch (error) {
    if (!withoutEventStream(error)) throw error;
    await pollAllJobs(context, intervalMs);
  }
}

function printEvent(context: CommandContext, event: LiveEvent): void {
  if (context.json) {
    context.runtime.stdout.write(`${JSON.stringify(event)}\n`);
    return;
  }
  const payload = event.data.payload as {
    jobId?: number;
    stage?: string | null;
    status?: string;
    errorMessage?: string | null;
  };
  const error = payload.errorMessage ? payload.errorMessage : null;
  const line =
    event.type === 'job.stage'
      ? `job ${payload.jobId} stage ${payload.stage} ${payload.status}${error === null ? '' : ` (${error})`}`
      : `job ${payload.jobId} ${payload.status}${error === null ? '' : `: ${error}`}`;
  context.runtime.stdout.write(`${event.data.createdAt} ${line}\n`);
}

/** For servers without the event stream: the newest 100 jobs every second, compared with the last look. */
async function pollAllJobs(context: CommandContext, intervalMs: number): Promise<never> {
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
