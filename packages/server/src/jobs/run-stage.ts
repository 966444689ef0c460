/**
 * One stage of a job, with the APS semantics: `runIf` false skips it; the command runs after `$variable`
 * substitution; a non-zero exit fails it; `outputVariableRegexList` captures variables from stdout;
 * `repeatPeriod`/`repeatUntil`/`maxRepeats` re-run it until the condition holds. Photon DM's extras:
 * `timeout`, `retries`, `env`, and `parallel` (once per file of a list, a bounded number at a time).
 */
import { mkdir, stat } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { defined } from '../errors/defined.ts';
import type { UnixAccount } from '../system/unix-accounts.ts';
import { evaluateCondition, parseCondition, UnknownVariableError } from '../workflows/conditions.ts';
import type { WorkflowStage } from '../workflows/definition.ts';
import { parallelLimit, repeatPause, type StageLimits } from '../workflows/limits.ts';
import type { OutputMatcher } from '../workflows/output-variables.ts';
import { RegexTimeoutError } from '../workflows/output-variables.ts';
import {
  checkStageEnvironment,
  commandEnvironment,
  ShellTemplateError,
  shellScript,
} from '../workflows/shell-command.ts';
import { substituteVariables } from '../workflows/variables.ts';
import { runChildProcess } from './child-process.ts';
import { type JobContext, stageEnvironment, variableLookup } from './job-context.ts';
import type { StageRecorder } from './stage-recorder.ts';

export type StageOutcome =
  | { status: 'done'; captured: Record<string, string> }
  | { status: 'skipped' }
  | { status: 'failed'; message: string }
  | { status: 'aborted' };

export interface StageRun {
  job: JobContext;
  key: string;
  stage: WorkflowStage;
  account: UnixAccount | undefined;
  matcher: OutputMatcher;
  recorder: StageRecorder;
  signal: AbortSignal;
  /** Child processes this stage already ran (a stage resumed after its worker was lost). */
  previousProcesses: number;
  /** Attempts a lost worker used up: they count against `retries`. */
  lostAttempts: number;
  /** The site's and the submitter's bounds on parallel processes and repeat periods (workflows/limits.ts). */
  limits: StageLimits;
}

function describe(error: unknown): string {
  if (error instanceof UnknownVariableError) return `unknown variable $${error.variable}`;
  if (error instanceof ShellTemplateError)
    return `the command cannot take its values as data: ${error.message}`;
  if (error instanceof RegexTimeoutError)
    return `output regex ${error.regex} took too long (catastrophic backtracking?)`;
  return error instanceof Error ? error.message : String(error);
}

export async function runStage(run: StageRun): Promise<StageOutcome> {
  const { stage, key } = run;
  try {
    if (stage.runIf !== undefined) {
      const lookup = variableLookup(run.job, key);
      if (!evaluateCondition(parseCondition(stage.runIf), lookup)) return { status: 'skipped' };
    }
  } catch (error) {
    return { status: 'failed', message: `runIf: ${describe(error)}` };
  }
  let number = run.previousProcesses;
  const attempts = 1 + (stage.retries ?? 0) - run.lostAttempts;
  if (attempts <= 0)
    return { status: 'failed', message: 'the worker running this stage was lost, and no retries are left' };
  const next = () => ++number;
  if (stage.parallel) return await runParallel(run, next);
  let last: StageOutcome = { status: 'failed', message: 'not run' };
  for (let attempt = 0; attempt < attempts; attempt++) {
    last = await runRepeated(run, next, {});
    if (last.status !== 'failed' || run.signal.aborted) break;
  }
  return run.signal.aborted && last.status !== 'done' ? { status: 'aborted' } : last;
}

/** Runs the command once, or until `repeatUntil` holds; captured variables are visible to the condition. */
async function runRepeated(
  run: StageRun,
  next: () => number,
  overrides: Record<string, string>,
): Promise<StageOutcome> {
  const { stage } = run;
  const captured: Record<string, string> = {};
  const lookup = variableLookup(run.job, run.key, overrides);
  const withCaptured = (name: string) => captured[name] ?? lookup(name);
  for (let runs = 1; ; runs++) {
    try {
      const outcome = await runOnce(run, next(), withCaptured);
      if (outcome.status !== 'done') return outcome;
      Object.assign(captured, outcome.captured);
      if (stage.repeatUntil === undefined) return { status: 'done', captured };
      if (evaluateCondition(parseCondition(stage.repeatUntil), withCaptured))
        return { status: 'done', captured };
    } catch (error) {
      return { status: 'failed', message: describe(error) };
    }
    if (runs >= (stage.maxRepeats ?? 1)) {
      return {
        status: 'failed',
        message: `repeatUntil ${JSON.stringify(stage.repeatUntil)} still false after ${runs} runs`,
      };
    }
    if (!(await pause(repeatPause(stage, run.limits) * 1000, run.signal))) return { status: 'aborted' };
  }
}

async function runOnce(
  run: StageRun,
  number: number,
  lookup: (name: string) => string | undefined,
): Promise<StageOutcome> {
  const { stage, job } = run;
  // For people only (job records, the portal): the command as it reads with the values in place. What runs
  // is the script, which expands the values from its environment, so no value is ever parsed as shell.
  const command = substituteVariables(stage.command, lookup);
  const script = shellScript(stage.command);
  const values = commandEnvironment(script, lookup);
  const workingDir =
    stage.workingDir === undefined ? job.defaultWorkingDir : substituteVariables(stage.workingDir, lookup);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(stage.env ?? {})) env[name] = substituteVariables(value, lookup);
  checkStageEnvironment(env);
  await mkdir(job.logDirectory, { recursive: true });
  if (stage.workingDir === undefined) await mkdir(workingDir, { recursive: true });
  const logFile = join(job.logDirectory, `${encodeURIComponent(run.key)}-${number}.log`);
  const started = await run.recorder.processStarted(run.key, number, { command, workingDir, logFile });
  if (!(await isDirectory(workingDir))) {
    await run.recorder.processEnded(run.key, number, started, {
      status: 'failed',
      message: `working directory ${workingDir} does not exist`,
    });
    throw new Error(`working directory ${workingDir} does not exist`);
  }
  const result = await runChildProcess({
    command: script.script,
    workingDir,
    // The values last: a stage's own `env` cannot replace what `$name` expands to.
    env: { ...stageEnvironment(run.account, job, run.key, env), ...values },
    logFile,
    logPermissions: job.permissions,
    account: run.account,
    stageSwitch: job.stageSwitch,
    timeoutMs: stage.timeout === undefined ? undefined : stage.timeout * 1000,
    signal: run.signal,
    onSpawn: (pid) => run.recorder.processSpawned(run.key, number, pid),
  });
  let outcome: StageOutcome;
  switch (result.outcome) {
    case 'aborted':
      outcome = { status: 'aborted' };
      break;
    case 'timed-out':
      outcome = { status: 'failed', message: `timed out after ${stage.timeout} s` };
      break;
    case 'spawn-failed':
      outcome = { status: 'failed', message: result.error ?? 'could not start' };
      break;
    case 'exited':
      outcome =
        result.exitStatus === 0
          ? {
              status: 'done',
              captured: await run.matcher.capture(result.stdoutHead, stage.outputVariableRegexList ?? []),
            }
          : { status: 'failed', message: `exit status ${result.exitStatus}` };
      break;
    default: {
      const never: never = result.outcome;
      throw new Error(`unknown outcome ${String(never)}`);
    }
  }
  await run.recorder.processEnded(run.key, number, started, {
    status: outcome.status === 'done' ? 'done' : outcome.status === 'aborted' ? 'aborted' : 'failed',
    message: outcome.status === 'failed' ? outcome.message : null,
    exitStatus: result.exitStatus,
    stdOut: result.stdoutTail,
    stdErr: result.stderrTail,
  });
  return outcome;
}

/** `parallel`: the stage once per file of the list (as `$filePath`/`$fileName`), a bounded number at once. */
async function runParallel(run: StageRun, next: () => number): Promise<StageOutcome> {
  const parallel = defined(run.stage.parallel, `the parallel part of stage ${run.key}`);
  let files: string[];
  try {
    files = substituteVariables(parallel.fileList, variableLookup(run.job, run.key))
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
  } catch (error) {
    return { status: 'failed', message: `parallel.fileList: ${describe(error)}` };
  }
  // Stored before the limits (or before an admin lowered them), a workflow may still ask for more.
  const limit = parallelLimit(run.stage, run.limits, cpus().length);
  const failures: string[] = [];
  let index = 0;
  const lane = async () => {
    while (index < files.length && !run.signal.aborted) {
      const file = files[index++] ?? '';
      const overrides = { filePath: file, fileName: file.slice(file.lastIndexOf('/') + 1) };
      let outcome: StageOutcome = { status: 'failed', message: 'not run' };
      for (let attempt = 0; attempt <= (run.stage.retries ?? 0); attempt++) {
        outcome = await runRepeated(run, next, overrides);
        if (outcome.status !== 'failed' || run.signal.aborted) break;
      }
      if (outcome.status === 'failed') failures.push(`${file}: ${outcome.message}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, files.length) }, lane));
  if (run.signal.aborted) return { status: 'aborted' };
  if (failures.length > 0) {
    return {
      status: 'failed',
      message: `${failures.length} of ${files.length} files failed; first: ${failures[0]}`,
    };
  }
  return { status: 'done', captured: {} };
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Waits, or stops early when the job is stopped; false when stopped. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
