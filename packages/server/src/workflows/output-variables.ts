/**
 * Output variables: what a stage prints, captured by the Python regexes of its `outputVariableRegexList`
 * into variables for the stages after it (`(?P<md5Sum>.*)` sets `$md5Sum`).
 *
 * - matcher: owns one long-lived worker thread where the regexes run, one capture at a time; a capture costs a
 *   message round trip, not a new thread.
 * - timeout: a regex still running after `timeoutMs` is stuck backtracking; its worker is terminated (the next
 *   capture starts a new one) and the capture fails naming the regex.
 */
import { Worker } from 'node:worker_threads';
import { type MatchReply, type MatchRequest, outputMatcherRole } from './output-matcher-worker.ts';
import { toJavaScriptRegex } from './python-regex.ts';

export { matchOutputVariables } from './output-matcher-worker.ts';
export { PythonRegexError, toJavaScriptRegex } from './python-regex.ts';

export class RegexTimeoutError extends Error {
  override readonly name = 'RegexTimeoutError';

  constructor(
    readonly regex: string,
    readonly timeoutMs: number,
  ) {
    super(
      `the output regex ${JSON.stringify(regex)} ran longer than ${timeoutMs} ms and was stopped (catastrophic backtracking?)`,
    );
  }
}

export interface OutputMatcher {
  /** The named groups of every regex's first match in stdout, later regexes overriding earlier ones. */
  capture(stdout: string, regexes: string[]): Promise<Record<string, string>>;
  /** Stops the worker; captures after this are refused. */
  close(): Promise<void>;
}

/**
 * @example
 * const matcher = createOutputMatcher({ timeoutMs: 2000 });
 * await matcher.capture('d41d8cd98f00b204e9800998ecf8427e\n', ['(?P<md5Sum>.*)']); // { md5Sum: 'd41d8...' }
 * await matcher.close();
 */
export function createOutputMatcher(options: { timeoutMs?: number } = {}): OutputMatcher {
  return new WorkerOutputMatcher(options.timeoutMs ?? 2000);
}

class WorkerOutputMatcher implements OutputMatcher {
  private worker: Promise<Worker> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly progressBuffer = new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT);
  private readonly progress = new BigInt64Array(this.progressBuffer);

  constructor(private readonly timeoutMs: number) {}

  async capture(stdout: string, regexes: string[]): Promise<Record<string, string>> {
    if (this.closed) throw new Error('the output matcher is closed');
    // Converted here, so that a bad regex fails before anything is sent.
    const request: MatchRequest = {
      stdout,
      regexes: regexes.map((regex) => {
        const { source, flags } = toJavaScriptRegex(regex);
        return { source, flags };
      }),
    };
    if (regexes.length === 0) return {};
    // One capture at a time: when the watchdog fires, the regex it names is the one that is stuck.
    const run = this.queue.then(() => this.run(request, regexes));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stopWorker();
  }

  private async run(request: MatchRequest, regexes: string[]): Promise<Record<string, string>> {
    if (this.closed) throw new Error('the output matcher is closed');
    const worker = await this.startedWorker();
    return new Promise((resolve, reject) => {
      const finish = (outcome: () => void, stopWorker = false) => {
        clearTimeout(watchdog);
        worker.off('message', onReply).off('error', onError).off('exit', onExit);
        if (stopWorker) void this.stopWorker();
        outcome();
      };
      const onReply = (reply: MatchReply) =>
        finish(() => ('error' in reply ? reject(new Error(reply.error)) : resolve(reply.variables)));
      const onError = (error: Error) =>
        finish(() => reject(new Error(`the output matcher failed: ${error.message}`)), true);
      const onExit = (code: number) =>
        finish(() => reject(new Error(`the output matcher stopped (exit code ${code})`)), true);
      const check = () => {
        // The index first: the worker writes the start time before the index, so a new index has its new time.
        // Date.now, not the injected clock or performance.now: a real-time watchdog on a time both threads
        // read alike (performance.now counts from each thread's own start).
        const index = Number(Atomics.load(this.progress, 1));
        const elapsed = Date.now() - Number(Atomics.load(this.progress, 0));
        if (elapsed < this.timeoutMs) watchdog = setTimeout(check, this.timeoutMs - elapsed);
        else
          finish(
            () => reject(new RegexTimeoutError(regexes[Math.max(index, 0)] ?? '', this.timeoutMs)),
            true,
          );
      };
      Atomics.store(this.progress, 0, BigInt(Date.now()));
      Atomics.store(this.progress, 1, -1n);
      let watchdog = setTimeout(check, this.timeoutMs);
      worker.on('message', onReply).once('error', onError).once('exit', onExit);
      worker.postMessage(request);
    });
  }

  private startedWorker(): Promise<Worker> {
    if (this.worker !== undefined) return this.worker;
    const starting = startWorker(this.progressBuffer).then(
      (worker) => {
        // A worker that dies between captures is forgotten, so the next capture starts a new one instead of
        // waiting on a dead thread until the watchdog blames a regex. Its error, if any, ends in its exit.
        worker
          .on('error', () => {})
          .once('exit', () => {
            if (this.worker === starting) this.worker = undefined;
          });
        return worker;
      },
      (error: unknown) => {
        if (this.worker === starting) this.worker = undefined;
        throw error;
      },
    );
    this.worker = starting;
    return starting;
  }

  private async stopWorker(): Promise<void> {
    const starting = this.worker;
    this.worker = undefined;
    await (await starting?.catch(() => undefined))?.terminate();
  }
}

function startWorker(progress: SharedArrayBuffer): Promise<Worker> {
  return new Promise<Worker>((resolve, reject) => {
    // Workers do not inherit the parent's module hooks: from TypeScript sources the worker registers tsx
    // itself, as catalog/hdf5-metadata.ts does.
    const workerUrl = new URL(
      `./output-matcher-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
      import.meta.url,
    );
    const self = JSON.stringify(workerUrl.href);
    const tsx = import.meta.url.endsWith('.ts')
      ? JSON.stringify(import.meta.resolve('tsx/esm/api'))
      : undefined;
    const source = tsx
      ? `import(${tsx}).then((t) => { t.register(); return import(${self}); })`
      : `import(${self})`;
    const worker = new Worker(source, { eval: true, workerData: { role: outputMatcherRole, progress } });
    // An idle matcher must not keep the process alive; a capture in progress is kept alive by its watchdog.
    worker.unref();
    worker.once('message', () => resolve(worker));
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new Error(`the output matcher exited with code ${code} while starting`)),
    );
  });
}
