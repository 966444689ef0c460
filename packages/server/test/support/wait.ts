/**
 * The one way a test waits: `until(condition)` polls until the condition holds and returns what it returned.
 * There is no `sleep`: a test that wants to see that something does NOT happen waits until the code under
 * test has done its work a few more times (a pass counter, an event, a log line) and then asserts.
 *
 * @example
 *   const job = await until(async () => (await getJob(id)).status === 'done' && job, { message: 'job done' });
 */
export interface UntilOptions {
  /** Milliseconds before giving up; generous by default, as the machine may be shared with other tests. */
  timeout?: number;
  /** Milliseconds between two checks. */
  interval?: number;
  /** What is awaited, for the error when it never comes. */
  message?: string;
}

type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/** Polls `condition` until it returns a truthy value (which it returns); throws after `timeout`. */
export async function until<T>(
  condition: () => T | Promise<T>,
  { timeout = 30_000, interval = 25, message = 'the condition' }: UntilOptions = {},
): Promise<Truthy<T>> {
  const deadline = performance.now() + timeout;
  for (;;) {
    const value = await condition();
    if (value) return value as Truthy<T>;
    if (performance.now() > deadline) throw new Error(`${message}: not true after ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/**
 * Reads until `done(value)` holds or `timeout` passes, and returns the last value read (no error on timeout):
 * for a test whose assertions on that value then say what went wrong.
 *
 * @example
 *   const daq = await readUntil(() => getDaq(id), (daq) => daq.nProcessedFiles >= 3);
 *   assert.equal(daq.nProcessedFiles, 3);
 */
export async function readUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  { timeout = 30_000, interval = 25 }: UntilOptions = {},
): Promise<T> {
  // A loop of its own rather than `until`: an error thrown by `read` must reach the test, not end the wait.
  const deadline = performance.now() + timeout;
  let last = await read();
  while (!done(last) && performance.now() <= deadline) {
    await new Promise((resolve) => setTimeout(resolve, interval));
    last = await read();
  }
  return last;
}
