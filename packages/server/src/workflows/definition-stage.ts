/**
 * Checks one stage of a workflow definition (see definition.ts for the glossary of a stage's keys).
 */
import { ConditionSyntaxError, parseCondition } from './conditions.ts';
import { describe, isPlainObject, joinPath, type ProblemList } from './definition-problems.ts';
import { PythonRegexError, toJavaScriptRegex } from './python-regex.ts';
import { ShellTemplateError, shellScript } from './shell-command.ts';

/** One stage of a workflow (the glossary of its keys is in definition.ts). */
export interface WorkflowStage {
  command: string;
  workingDir?: string;
  outputVariableRegexList?: string[];
  /** Seconds, > 0. */
  repeatPeriod?: number;
  /** A condition. */
  repeatUntil?: string;
  /** An integer >= 1. */
  maxRepeats?: number;
  /** A condition. */
  runIf?: string;
  /** Seconds, > 0. */
  timeout?: number;
  /** An integer >= 0. */
  retries?: number;
  /** Names `[A-Za-z_][A-Za-z0-9_]*`; values may use $variables. */
  env?: Record<string, string>;
  site?: string;
  /** `fileList` is a template: after substitution, one path per line. */
  parallel?: { fileList: string; maxConcurrent?: number };
}

export const reservedVariables: readonly string[] = [
  'id',
  'owner',
  'workflowName',
  'stage',
  'experimentName',
  'dataDirectory',
  'analysisDirectory',
  'storageDirectory',
  'filePath',
  'fileName',
];

/** In the order a definition is written back, whatever the order of the input. */
export const stageKeyOrder = [
  'command',
  'workingDir',
  'outputVariableRegexList',
  'repeatPeriod',
  'repeatUntil',
  'maxRepeats',
  'runIf',
  'timeout',
  'retries',
  'env',
  'site',
  'parallel',
] as const satisfies readonly (keyof WorkflowStage)[];

const repeatKeys = ['repeatPeriod', 'repeatUntil', 'maxRepeats'] as const;
const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkStage(path: string, input: unknown, problems: ProblemList): WorkflowStage | undefined {
  if (!isPlainObject(input))
    return problems.add(path, `a stage must be an object with a command, not ${describe(input)}`);
  problems.checkKeys(path, input, stageKeyOrder);
  const at = (key: string) => joinPath(path, key);
  const stage: Partial<WorkflowStage> = {
    command: checkCommand(at('command'), input.command, problems),
    workingDir: problems.string(at('workingDir'), input.workingDir, { nonEmpty: true }),
    outputVariableRegexList: checkRegexList(
      at('outputVariableRegexList'),
      input.outputVariableRegexList,
      problems,
    ),
    repeatPeriod: problems.number(at('repeatPeriod'), input.repeatPeriod, { minimum: 0, exclusive: true }),
    repeatUntil: checkCondition(at('repeatUntil'), input.repeatUntil, problems),
    maxRepeats: problems.number(at('maxRepeats'), input.maxRepeats, { integer: true, minimum: 1 }),
    runIf: checkCondition(at('runIf'), input.runIf, problems),
    timeout: problems.number(at('timeout'), input.timeout, { minimum: 0, exclusive: true }),
    retries: problems.number(at('retries'), input.retries, { integer: true, minimum: 0 }),
    env: checkEnvironment(at('env'), input.env, problems),
    site: problems.string(at('site'), input.site, { nonEmpty: true }),
    parallel: checkParallel(at('parallel'), input.parallel, problems),
  };
  checkRepeatKeys(path, input, problems);
  if (stage.command === undefined) return undefined;
  const result: Record<string, unknown> = {};
  for (const key of stageKeyOrder) if (stage[key] !== undefined) result[key] = stage[key];
  return result as unknown as WorkflowStage;
}

/** A command whose `$name` references cannot all be passed as data is refused now, not when a job runs. */
function checkCommand(path: string, value: unknown, problems: ProblemList): string | undefined {
  const command = problems.string(path, value, { required: true, nonEmpty: true });
  if (command === undefined) return undefined;
  try {
    shellScript(command);
    return command;
  } catch (error) {
    if (error instanceof ShellTemplateError)
      return problems.add(path, `a value cannot be passed to the shell as data here: ${error.message}`);
    throw error;
  }
}

/** A stage repeats every repeatPeriod seconds until repeatUntil holds, at most maxRepeats times: all or none. */
function checkRepeatKeys(path: string, input: Record<string, unknown>, problems: ProblemList): void {
  const given = repeatKeys.filter((key) => input[key] !== undefined && input[key] !== null);
  if (given.length === 0 || given.length === repeatKeys.length) return;
  for (const key of repeatKeys.filter((key) => !given.includes(key))) {
    problems.add(
      joinPath(path, key),
      `is required with ${given.join(' and ')}: repeatPeriod, repeatUntil and maxRepeats go together`,
    );
  }
}

function checkCondition(path: string, value: unknown, problems: ProblemList): string | undefined {
  const source = problems.string(path, value, { nonEmpty: true });
  if (source === undefined) return undefined;
  try {
    parseCondition(source);
    return source;
  } catch (error) {
    if (error instanceof ConditionSyntaxError)
      return problems.add(path, `invalid condition: ${error.message}`);
    throw error;
  }
}

/** Output regexes are short (`MD5: (?P<md5>[0-9a-f]+)`); a huge one only costs compile time and memory. */
const maxRegexLength = 2_000;
const maxRegexes = 100;

function checkRegexList(path: string, value: unknown, problems: ProblemList): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) return problems.add(path, `must be a list of regexes, not ${describe(value)}`);
  if (value.length > maxRegexes) return problems.add(path, `must have at most ${maxRegexes} regexes`);
  const before = problems.problems.length;
  value.forEach((item, index) => {
    const regex = problems.string(joinPath(path, index), item, { required: true });
    if (regex === undefined) return;
    if (regex.length > maxRegexLength) {
      problems.add(
        joinPath(path, index),
        `must be at most ${maxRegexLength} characters, not ${regex.length}`,
      );
    } else {
      checkRegex(joinPath(path, index), regex, problems);
    }
  });
  return problems.problems.length === before ? [...(value as string[])] : undefined;
}

function checkRegex(path: string, source: string, problems: ProblemList): void {
  let regex: RegExp;
  try {
    regex = toJavaScriptRegex(source);
  } catch (error) {
    if (error instanceof PythonRegexError) problems.add(path, `invalid regex: ${error.reason}`);
    // What the translation lets through but JavaScript refuses (too many groups, too large).
    else if (error instanceof SyntaxError)
      problems.add(path, `invalid regex: ${error.message.slice(error.message.lastIndexOf(': ') + 2)}`);
    else throw error;
    return;
  }
  // An alternative that matches the empty string lists every named group, set or not.
  const names = Object.keys(new RegExp(`${regex.source}|`, regex.flags).exec('')?.groups ?? {});
  for (const name of names) {
    if (reservedVariables.includes(name)) {
      problems.add(path, `the group '${name}' would replace the reserved variable $${name}`);
    } else if (!variableName.test(name)) {
      problems.add(
        path,
        `the group name '${name}' cannot be used as a variable (names are [A-Za-z_][A-Za-z0-9_]*)`,
      );
    }
  }
}

function checkEnvironment(
  path: string,
  value: unknown,
  problems: ProblemList,
): Record<string, string> | undefined {
  const env = problems.object(path, value, 'an object of environment variables');
  if (env === undefined) return undefined;
  const result: Record<string, string> = {};
  let valid = true;
  for (const [name, setting] of Object.entries(env)) {
    const at = joinPath(path, name);
    if (!variableName.test(name)) {
      valid =
        problems.add(at, `'${name}' is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)`) ?? false;
    }
    const text = problems.string(at, setting, { required: true });
    if (text === undefined) valid = false;
    else
      Object.defineProperty(result, name, {
        value: text,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return valid ? result : undefined;
}

function checkParallel(path: string, value: unknown, problems: ProblemList): WorkflowStage['parallel'] {
  const parallel = problems.object(path, value, 'an object with a fileList');
  if (parallel === undefined) return undefined;
  problems.checkKeys(path, parallel, ['fileList', 'maxConcurrent']);
  const fileList = problems.string(joinPath(path, 'fileList'), parallel.fileList, {
    required: true,
    nonEmpty: true,
  });
  const at = joinPath(path, 'maxConcurrent');
  const maxConcurrent = problems.number(at, parallel.maxConcurrent, { integer: true, minimum: 1 });
  if (fileList === undefined) return undefined;
  return maxConcurrent === undefined ? { fileList } : { fileList, maxConcurrent };
}
