/**
 * `dm site test`: proves a site works end to end the way stages will use it, step by step, each with how
 * long it took and, when it fails, why: reach the scheduler, submit a trivial command, see it run, get its
 * output back, and cancel a second one. A failure stops the steps that depend on it; it is a report, never
 * an error of the request.
 */
import { randomBytes } from 'node:crypto';
import type { RemoteSpec, RemoteState, SiteAdapter } from './adapter.ts';

export const siteTestSteps = ['reach', 'submit', 'run', 'output', 'cancel'] as const;
export type SiteTestStep = (typeof siteTestSteps)[number];

export interface SiteTestResult {
  step: SiteTestStep;
  ok: boolean;
  detail: string;
  seconds: number;
}

export interface SiteTestOptions {
  /** Where the test's two jobs run at the site. */
  directory: string;
  /** How long the trivial command may take to run, queue included. */
  timeoutMs: number;
  /** Between two status calls. */
  pollMs?: number;
}

const ended: ReadonlySet<RemoteState> = new Set(['done', 'failed', 'canceled']);

export async function testSite(adapter: SiteAdapter, options: SiteTestOptions): Promise<SiteTestResult[]> {
  const results: SiteTestResult[] = [];
  const step = async (name: SiteTestStep, work: () => Promise<string>): Promise<boolean> => {
    const started = performance.now();
    let ok = true;
    let detail: string;
    try {
      detail = await work();
    } catch (error) {
      ok = false;
      detail = error instanceof Error ? error.message : String(error);
    }
    results.push({ step: name, ok, detail, seconds: Math.round(performance.now() - started) / 1000 });
    return ok;
  };
  const token = randomBytes(6).toString('hex');
  const spec = (suffix: string, command: string): RemoteSpec => ({
    key: `pdm-site-test-${token}-${suffix}`,
    command,
    directory: options.directory,
    environment: { PHOTON_DM_SITE_TEST: token },
  });
  const echo = spec('echo', 'echo "photon-dm site test $PHOTON_DM_SITE_TEST"');
  let id = '';

  if (
    !(await step(
      'reach',
      async () => `the scheduler answers (${(await adapter.find(echo.key)) ?? 'no job yet'})`,
    ))
  )
    return results;
  const submitted = await step('submit', async () => {
    id = await adapter.submit(echo);
    return `remote job ${id}`;
  });
  if (!submitted) return results;
  const ran = await step('run', async () => {
    // A job the scheduler has forgotten already ended; its output says how.
    const state = await endOf(adapter, id, options);
    if (state !== undefined) return `job ${id} ended (${state})`;
    await adapter.cancel(id).catch(() => undefined);
    throw new Error(`job ${id} still not ended after ${options.timeoutMs / 1000} s: canceled`);
  });
  if (ran)
    await step('output', async () => {
      const output = await adapter.output(echo, 4096);
      if (output.exitCode !== 0)
        throw new Error(`exit status ${output.exitCode ?? 'unknown'}: ${output.stderr}`);
      if (!output.stdout.includes(`photon-dm site test ${token}`))
        throw new Error(`the output did not come back: ${JSON.stringify(output.stdout)}`);
      return 'stdout and exit status 0 came back';
    });
  await step('cancel', async () => {
    const sleeper = spec('cancel', 'sleep 600');
    const sleeperId = await adapter.submit(sleeper);
    await adapter.cancel(sleeperId);
    const state = await endOf(adapter, sleeperId, options);
    if (state === 'canceled') return `job ${sleeperId} canceled`;
    throw new Error(
      `job ${sleeperId} ${state === undefined ? 'still not ended' : `ended ${state}`} after cancel`,
    );
  });
  return results;
}

/** The state a job ended in (`unknown`: forgotten by the scheduler), or undefined at the deadline. */
async function endOf(
  adapter: SiteAdapter,
  id: string,
  options: SiteTestOptions,
): Promise<RemoteState | undefined> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const state = (await adapter.status([id])).get(id)?.state ?? 'unknown';
    if (ended.has(state) || state === 'unknown') return state;
    if (Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
}
