import { path, type Transport } from '../transport.ts';
import type {
  Job,
  JobListQuery,
  JobLog,
  JobLogQuery,
  JobStatus,
  Page,
  StartEachFileInput,
  StartedJobs,
  StartJobInput,
} from '../types.ts';

const base = '/api/v1';

/**
 * Whether a job has ended: `done`, `failed` or `aborted` never change again.
 *
 * @example
 * isJobFinished('running') // false
 */
export function isJobFinished(status: JobStatus): boolean {
  switch (status) {
    case 'pending':
    case 'running':
      return false;
    case 'done':
    case 'failed':
    case 'aborted':
      return true;
    default: {
      const never: never = status;
      throw new Error(`unknown job status ${String(never)}`);
    }
  }
}

/** Thrown by `jobs.wait` when the job has not ended in time; `job` is the last state seen. */
export class JobWaitTimeoutError extends Error {
  override name = 'JobWaitTimeoutError';
  constructor(readonly job: Job) {
    super(`job ${job.id} is still ${job.status}`);
  }
}

export interface WaitOptions {
  /** Give up after this long (then `JobWaitTimeoutError`); default: wait for ever. */
  timeoutMs?: number;
  /** Between two looks at the job; default 1000. */
  intervalMs?: number;
  /** Called with the first state seen and with every state whose status or stage differs from the last. */
  onChange?: (job: Job) => void;
  signal?: AbortSignal;
}

/**
 * `/jobs`: processing jobs, each a run of a workflow.
 *
 * @example
 * const job = await client.jobs.start({ workflow: 'example-01', owner: 's25idcuser', experiment: 'e1', filePath: 'a.h5' });
 * const ended = await client.jobs.wait(job.id, { timeoutMs: 600_000 });
 */
export class JobsApi {
  constructor(private readonly transport: Transport) {}

  /** The job comes back `pending`; `owner` defaults to the caller. */
  start(input: StartJobInput): Promise<Job> {
    return this.transport.request('POST', `${base}/jobs`, { body: input });
  }

  /** One job per cataloged file of the experiment that matches `pathGlob` and `where`. */
  startEachFile(input: StartEachFileInput): Promise<StartedJobs> {
    return this.transport.request('POST', `${base}/jobs/each-file`, { body: input });
  }

  /** Newest first. */
  list(query: JobListQuery = {}): Promise<Page<Job>> {
    return this.transport.request('GET', `${base}/jobs`, { query: { ...query } });
  }

  show(id: number): Promise<Job> {
    return this.transport.request('GET', base + path`/jobs/${id}`);
  }

  /** A pending job is aborted at once; a running one once its processes are killed. */
  stop(id: number): Promise<Job> {
    return this.transport.request('POST', base + path`/jobs/${id}/stop`);
  }

  /** A new job with the same arguments on the workflow's current revision, from `fromStage` on if given. */
  resubmit(id: number, fromStage?: string): Promise<Job> {
    return this.transport.request('POST', base + path`/jobs/${id}/resubmit`, {
      body: fromStage === undefined ? {} : { fromStage },
    });
  }

  /** Log text since `cursor`; pass the returned cursor back to read what comes next. */
  logs(id: number, query: JobLogQuery = {}): Promise<JobLog> {
    return this.transport.request('GET', base + path`/jobs/${id}/logs`, { query: { ...query } });
  }

  /**
   * Every log chunk of a job as it is written, until the job has ended and all was read.
   *
   * @example
   * for await (const entry of client.jobs.followLogs(id)) process.stdout.write(entry.text);
   */
  async *followLogs(
    id: number,
    options: { stage?: string; intervalMs?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<JobLog['entries'][number]> {
    let cursor: string | undefined;
    for (;;) {
      const query: JobLogQuery = {};
      if (options.stage !== undefined) query.stage = options.stage;
      if (cursor !== undefined) query.cursor = cursor;
      const log = await this.logs(id, query);
      yield* log.entries;
      if (log.complete) return;
      cursor = log.cursor;
      // Only pause when there was nothing new: a busy log is read as fast as it comes.
      if (log.entries.length === 0) await pause(options.intervalMs ?? 1000, options.signal);
    }
  }

  /**
   * Looks at the job until it has ended and returns its final record; whether it succeeded is in `status`.
   *
   * @example
   * const job = await client.jobs.wait(id, { timeoutMs: 60_000, onChange: (j) => console.log(j.status) });
   */
  async wait(id: number, options: WaitOptions = {}): Promise<Job> {
    const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
    let last: Job | undefined;
    for (;;) {
      const job = await this.show(id);
      if (last === undefined || last.status !== job.status || last.stage !== job.stage) {
        options.onChange?.(job);
      }
      last = job;
      if (isJobFinished(job.status)) return job;
      if (deadline !== undefined && Date.now() >= deadline) throw new JobWaitTimeoutError(job);
      const left = deadline === undefined ? Number.POSITIVE_INFINITY : deadline - Date.now();
      await pause(Math.max(0, Math.min(options.intervalMs ?? 1000, left)), options.signal);
    }
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
