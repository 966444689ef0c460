/**
 * Workflow definitions, in the format of the APS Data Management processing service, so that the files
 * beamlines use today (`dm-upsert-workflow`, JSON or a Python dict) are accepted unchanged.
 *
 * - workflow: a named list of stages owned by an account (`owner`); `name` + `owner` identify it.
 * - stage: one shell command; stages run one after the other in the sorted order of their keys
 *   (`01-START`, `02-MKDIR`, ...).
 * - variable: `$name` in a command, a working directory or a condition (see variables.ts): the reserved
 *   ones below, the job's inputs, and output variables.
 * - output variable: a named group of a stage's `outputVariableRegexList` (Python regexes searched in the
 *   stage's stdout), available to the stages after it.
 * - repeat: `repeatPeriod` (seconds), `repeatUntil` (a condition), `maxRepeats`, always together: the stage
 *   runs again every period until the condition holds, and fails after maxRepeats runs.
 * - runIf: a condition; when false the stage is skipped.
 * - extras beyond APS: `timeout` (seconds), `retries`, `env`, `site` (where to run), `parallel` (the stage
 *   runs once per file of a list, `$filePath` set to each), and the top-level `secretEnv`: names of `env`
 *   variables whose values only admins and the owner may see (secret-env.ts); the stage still gets them.
 */
import { parseDocument } from 'yaml';
import { defined } from '../errors/defined.ts';
import { findShapeProblem } from '../http/input-bounds.ts';
import { isPlainObject, joinPath, ProblemList, type WorkflowProblem } from './definition-problems.ts';
import { checkStage, reservedVariables, type WorkflowStage } from './definition-stage.ts';
import { PythonLiteralError, parsePythonLiteral } from './python-literal.ts';

export type { WorkflowProblem, WorkflowStage };
export { reservedVariables };

export interface WorkflowDefinition {
  name: string;
  owner: string;
  description?: string;
  userAccount?: string;
  version?: string;
  /** Names of stage `env` variables whose values are shown only to admins and the owner. */
  secretEnv?: string[];
  stages: Record<string, WorkflowStage>;
}

export type WorkflowFormat = 'json' | 'yaml' | 'python';

export class WorkflowInvalidError extends Error {
  override readonly name = 'WorkflowInvalidError';

  constructor(readonly problems: WorkflowProblem[]) {
    const listed = problems.map(({ path, message }) => (path === '' ? message : `${path}: ${message}`));
    super(`invalid workflow: ${listed.join('; ')}`);
  }
}

const topLevelKeys = [
  'name',
  'owner',
  'description',
  'userAccount',
  'version',
  'secretEnv',
  'stages',
] as const;
// Carried by workflows exported from an APS server; they describe that server's record, not the workflow.
const exportedKeys = ['id', 'created', 'updated', 'workflowId'];
const accountName = /^[A-Za-z0-9._-]{1,100}$/;
const badNameCharacter = /[/\p{Cc}]/u;

/**
 * Checks a definition read from JSON, YAML or Python and returns it normalised (keys in a fixed order,
 * `version` a string, exported `id`/`created`/`updated`/`workflowId` dropped). Throws WorkflowInvalidError
 * listing every problem.
 *
 * @example
 * validateWorkflow({ name: 'md5', owner: 's25idcuser', stages: { '01': { command: 'md5sum $filePath' } } })
 * validateWorkflow({ name: 'md5', stages: {} }) // throws: owner: is required; stages: must have at least one stage
 */
export function validateWorkflow(input: unknown): WorkflowDefinition {
  const problems = new ProblemList();
  if (!isPlainObject(input)) {
    problems.add(
      '',
      'a workflow must be an object (a JSON/YAML mapping or a Python dict) with name, owner and stages',
    );
    throw new WorkflowInvalidError(problems.problems);
  }
  problems.checkKeys('', input, topLevelKeys, exportedKeys);
  const name = checkName('name', input.name, problems);
  const owner = checkAccount('owner', input.owner, problems, true);
  const description = problems.string('description', input.description);
  const userAccount = checkAccount('userAccount', input.userAccount, problems, false);
  const version = checkVersion(input.version, problems);
  const stages = checkStages(input.stages, problems);
  const secretEnv = checkSecretEnv(input.secretEnv, stages, problems);
  if (problems.problems.length > 0) throw new WorkflowInvalidError(problems.problems);
  // Checked above: each is there when no problem was found. In this order, as a definition is shown.
  return {
    name: defined(name, 'the checked name'),
    owner: defined(owner, 'the checked owner'),
    ...(description !== undefined && { description }),
    ...(userAccount !== undefined && { userAccount }),
    ...(version !== undefined && { version }),
    ...(secretEnv !== undefined && { secretEnv }),
    stages: defined(stages, 'the checked stages'),
  };
}

/**
 * Parses a workflow file and validates it; a syntax error is a problem too, its line and column in the message.
 *
 * @example
 * parseWorkflowText(readFileSync('example-01.json', 'utf8'), 'json')
 * parseWorkflowText("{'name': 'ex', 'owner': 'me', 'stages': {'01': {'command': 'date'}}}", 'python')
 */
export function parseWorkflowText(text: string, format: WorkflowFormat): WorkflowDefinition {
  return validateWorkflow(parseText(text, format));
}

/**
 * The format a file name says, for `dm workflow upsert FILE`.
 *
 * @example
 * workflowFormatOf('example-01.py') // 'python'
 */
export function workflowFormatOf(fileName: string): WorkflowFormat | undefined {
  const extension = /\.([A-Za-z]+)$/.exec(fileName)?.[1]?.toLowerCase();
  if (extension === 'json') return 'json';
  if (extension === 'yaml' || extension === 'yml') return 'yaml';
  return extension === 'py' ? 'python' : undefined;
}

/**
 * The order in which stages run: their keys sorted by code unit, as Python's sorted() does for these names.
 *
 * @example
 * stageKeys(workflow) // ['01-START', '02-MKDIR', '03-ECHO', ...]
 */
export function stageKeys(workflow: WorkflowDefinition): string[] {
  return Object.keys(workflow.stages).sort();
}

/**
 * Reads a workflow file as data without checking it, so an editor can show a Python spec as JSON even
 * while it has problems; a syntax error throws WorkflowInvalidError with its line and column.
 *
 * @example
 * readWorkflowText("{'name': 'ex', 'stages': {}}", 'python') // { name: 'ex', stages: {} }
 */
export function readWorkflowText(text: string, format: WorkflowFormat): unknown {
  return parseText(text, format);
}

function parseText(text: string, format: WorkflowFormat): unknown {
  const value = parseAnyText(text, format);
  // Nested deeper than any workflow, or containing itself through a YAML alias: refused before anything
  // walks it (the checks below, the answer's `definition`), which would overflow the stack.
  const problem = findShapeProblem(value, maxWorkflowDepth);
  if (problem)
    throw new WorkflowInvalidError([{ path: problem.path.replaceAll('/', '.'), message: problem.message }]);
  return value;
}

const maxStages = 1_000;

/** A workflow is four levels deep (stages, a stage, env, a value); room to spare for what editors add. */
const maxWorkflowDepth = 32;

function parseAnyText(text: string, format: WorkflowFormat): unknown {
  const syntaxError = (message: string) => new WorkflowInvalidError([{ path: '', message }]);
  switch (format) {
    case 'json':
      try {
        return JSON.parse(text);
      } catch (error) {
        throw syntaxError(`JSON syntax error ${jsonErrorPlace(text, error)}`);
      }
    case 'yaml':
      return parseYaml(text, syntaxError);
    case 'python':
      try {
        return parsePythonLiteral(text);
      } catch (error) {
        if (error instanceof PythonLiteralError) throw syntaxError(`Python syntax error at ${error.message}`);
        throw error;
      }
    default: {
      const never: never = format;
      throw new Error(`unknown workflow format ${String(never)}`);
    }
  }
}

function parseYaml(text: string, syntaxError: (message: string) => WorkflowInvalidError): unknown {
  // The YAML parser recurses once per level of `[[[...` or `{{{...`: a deep enough text overflows its stack.
  // Counting brackets outside quotes and comments refuses such a text before it is parsed.
  if (flowDepth(text) > maxWorkflowDepth)
    throw syntaxError(`YAML error: nested more than ${maxWorkflowDepth} levels deep`);
  let document: ReturnType<typeof parseDocument>;
  try {
    document = parseDocument(text);
  } catch (problem) {
    if (problem instanceof RangeError) throw syntaxError('YAML error: nested too deeply');
    throw problem;
  }
  const error = document.errors[0];
  // The message ends with "at line L, column C:" and an excerpt of the file; the excerpt is left out.
  if (error !== undefined) throw syntaxError(`YAML syntax error: ${error.message.split(':\n')[0]}`);
  try {
    // Aliases are expanded; a bounded count refuses the "billion laughs" file.
    return document.toJS({ maxAliasCount: 100 });
  } catch (problem) {
    throw syntaxError(`YAML error: ${problem instanceof Error ? problem.message : String(problem)}`);
  }
}

/** The deepest nesting of flow brackets, outside quoted strings and comments. */
function flowDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let quote: string | undefined;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index];
    if (quote !== undefined) {
      if (character === '\\' && quote === '"') index += 1;
      else if (character === quote || character === '\n') quote = undefined;
    } else if (character === '"' || character === "'") {
      quote = character;
    } else if (character === '#') {
      const end = text.indexOf('\n', index);
      index = end === -1 ? text.length : end;
    } else if (character === '[' || character === '{') {
      depth += 1;
      deepest = Math.max(deepest, depth);
    } else if (character === ']' || character === '}') {
      depth = Math.max(0, depth - 1);
    }
  }
  return deepest;
}

function jsonErrorPlace(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const position = Number(/at position (\d+)/.exec(message)?.[1] ?? text.length);
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - (before.lastIndexOf('\n') + 1) + 1;
  return `at line ${line}, column ${column}: ${message.replace(/ in JSON at position \d+.*$/s, '')}`;
}

function checkName(path: string, value: unknown, problems: ProblemList): string | undefined {
  const name = problems.string(path, value, { required: true, nonEmpty: true });
  if (name === undefined) return undefined;
  if (name.length > 100) return problems.add(path, `must be at most 100 characters, not ${name.length}`);
  if (badNameCharacter.test(name)) return problems.add(path, "must not contain '/' or control characters");
  if (name.trim() !== name) return problems.add(path, 'must not start or end with a space');
  return name;
}

function checkAccount(
  path: string,
  value: unknown,
  problems: ProblemList,
  required: boolean,
): string | undefined {
  const account = problems.string(path, value, { required });
  if (account === undefined || accountName.test(account)) return account;
  return problems.add(
    path,
    `must be 1 to 100 characters of A-Z a-z 0-9 . _ -, not ${JSON.stringify(account)}`,
  );
}

/** `version: 2` in JSON or YAML is a number; the definition keeps versions as text. */
function checkVersion(value: unknown, problems: ProblemList): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return problems.string('version', value, { nonEmpty: true });
}

/** Each name must be set by some stage's `env`: a misspelt name would leave the real one shown to all. */
function checkSecretEnv(
  value: unknown,
  stages: Record<string, WorkflowStage> | undefined,
  problems: ProblemList,
): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value))
    return problems.add('secretEnv', 'must be a list of names of stage env variables');
  const names: string[] = [];
  value.forEach((item, index) => {
    const name = problems.string(joinPath('secretEnv', index), item, { required: true, nonEmpty: true });
    if (name === undefined) return;
    const set = Object.values(stages ?? {}).some((stage) => Object.hasOwn(stage.env ?? {}, name));
    if (stages !== undefined && !set)
      problems.add(joinPath('secretEnv', index), `no stage sets the env variable "${name}"`);
    else if (!names.includes(name)) names.push(name);
  });
  return names;
}

function checkStages(value: unknown, problems: ProblemList): Record<string, WorkflowStage> | undefined {
  if (value === undefined || value === null) return problems.add('stages', 'is required');
  const stages = problems.object('stages', value, 'an object of stages keyed by name (e.g. "01-START")');
  if (stages === undefined) return undefined;
  const keys = Object.keys(stages).sort();
  if (keys.length === 0) return problems.add('stages', 'must have at least one stage');
  // APS workflows have a handful of stages; thousands would make every job record and log view huge.
  if (keys.length > maxStages) return problems.add('stages', `must have at most ${maxStages} stages`);
  const result: Record<string, WorkflowStage> = {};
  for (const key of keys) {
    const path = `stages.${key}`;
    if (key.trim() === '' || key.length > 100 || badNameCharacter.test(key)) {
      problems.add(path, "a stage name must be 1 to 100 characters, without '/' or control characters");
    }
    const stage = checkStage(path, stages[key], problems);
    if (stage !== undefined) {
      Object.defineProperty(result, key, {
        value: stage,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return result;
}
