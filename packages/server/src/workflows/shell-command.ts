/**
 * Stage commands with values as data: every `$name` of a command template becomes an expansion of the
 * environment variable `DM_VAR_name`, quoted as its place in the shell text needs, and the value travels in
 * the child's environment. The shell then expands the value and never parses it, so a file named
 * `scan$(id -u).dat` or an argument `x; id` is only text, whatever characters it holds.
 *
 * - template: the command as written in the workflow (`/bin/md5sum $filePath | cut -f1 -d" "`).
 * - script: what `/bin/sh -c` runs (`/bin/md5sum "${DM_VAR_filePath}" | cut -f1 -d" "`).
 * - context: where a reference stands in the shell's grammar, which decides its quoting:
 *   unquoted `"${DM_VAR_x}"` (one word: no field splitting, no globbing); in double quotes or an unquoted
 *   here-document `${DM_VAR_x}`; in single quotes `'"${DM_VAR_x}"'` (close, expand, reopen); in a
 *   `${...}` word `"${DM_VAR_x}"`; in arithmetic `${DM_VAR_x}`, and the value must be an integer (bash
 *   evaluates names and subscripts in arithmetic, `a[$(id)]`, so a non-number there would be code).
 *
 * The lexer follows POSIX sh quoting with nesting: `$(...)`, backquotes, `$((...))`, `${...}`,
 * here-documents, comments, `case` patterns. Where a reference cannot be passed as data (a here-document with
 * a quoted delimiter keeps its body literal; `$` right before a reference would make the value a name), the
 * template is refused with the reason, at upsert, rather than guessed at. Even a wrong guess of the context
 * would not run a value: a parameter expansion is never parsed as code, only arithmetic can be, and it is
 * checked.
 */
import type { Item } from './shell-items.ts';
import { type Found, Lexer, type ShellContext, ShellTemplateError } from './shell-lexer.ts';
import { templateParts, variableValue } from './variables.ts';

export { type ShellContext, ShellTemplateError };

export interface ShellCommand {
  /** What the shell runs: the template with each reference replaced by an expansion of `DM_VAR_<name>`. */
  script: string;
  /** The variables the script expands, each once, in order of first appearance. */
  variables: string[];
  /** Variables used inside arithmetic, whose values must be integers. */
  arithmetic: string[];
}

/** The environment variable that carries the value of `$name` to the shell. */
export function environmentName(variable: string): string {
  return `DM_VAR_${variable}`;
}

/**
 * @example
 * shellScript('/bin/echo "FILE $filePath" > /tmp/$id.out').script
 * // '/bin/echo "FILE ${DM_VAR_filePath}" > /tmp/"${DM_VAR_id}".out'
 */
export function shellScript(template: string): ShellCommand {
  const parts = templateParts(template);
  const items: Item[] = [];
  for (const part of parts) {
    if ('text' in part) items.push(...part.text);
    else items.push({ variable: part.variable });
  }
  const found: Found = { contexts: new Map(), integers: new Set() };
  if (items.some((item) => typeof item !== 'string')) new Lexer(items, found, 0, false).script('end');
  let script = '';
  const variables: string[] = [];
  const arithmetic: string[] = [];
  for (const item of items) {
    if (typeof item === 'string') {
      script += item;
      continue;
    }
    const context = found.contexts.get(item);
    if (context === undefined) throw new ShellTemplateError(`could not place $${item.variable}`);
    if (!variables.includes(item.variable)) variables.push(item.variable);
    if (found.integers.has(item) && !arithmetic.includes(item.variable)) arithmetic.push(item.variable);
    script += expansion(item.variable, context);
  }
  return { script, variables, arithmetic };
}

function expansion(variable: string, context: ShellContext): string {
  const name = `\${${environmentName(variable)}}`;
  switch (context) {
    case 'unquoted':
    case 'word':
      return `"${name}"`;
    case 'double-quoted':
    case 'arithmetic':
      return name;
    case 'single-quoted':
      return `'"${name}"'`;
    default: {
      const never: never = context;
      throw new Error(`unknown context ${String(never)}`);
    }
  }
}

/** A value the shell cannot be given as it is: too long for the kernel, a NUL, or not a number in arithmetic. */
export class StageValueError extends Error {
  override readonly name = 'StageValueError';

  constructor(
    readonly variable: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Linux refuses to start a program when one `NAME=value` string of its environment is longer than
 * MAX_ARG_STRLEN (32 pages, 128 KiB with its NUL): the error would be an obscure E2BIG.
 */
export const maximumValueBytes = 128 * 1024;
/** All of a command's values together, well below ARG_MAX (a quarter of the stack limit, 2 MiB by default). */
export const maximumTotalValueBytes = 1024 * 1024;
const integer = /^[+-]?(?:0[xX][0-9A-Fa-f]+|[0-9]+)$/;

/**
 * The environment variables that carry a script's values; throws UnknownVariableError for a name without a
 * value, StageValueError for a value that cannot be passed.
 *
 * @example
 * commandEnvironment(shellScript('md5sum $filePath'), (name) => ({ filePath: 'a b.h5' })[name])
 * // { DM_VAR_filePath: 'a b.h5' }
 */
export function commandEnvironment(
  command: ShellCommand,
  lookup: (name: string) => string | undefined,
): Record<string, string> {
  const env: Record<string, string> = {};
  let total = 0;
  for (const variable of command.variables) {
    const value = variableValue(variable, lookup);
    const name = environmentName(variable);
    if (value.includes('\u0000'))
      throw new StageValueError(
        variable,
        `$${variable} holds a NUL character, which no process can be given`,
      );
    const bytes = Buffer.byteLength(`${name}=${value}`) + 1;
    if (bytes > maximumValueBytes)
      throw new StageValueError(
        variable,
        `$${variable} is ${Buffer.byteLength(value)} bytes, more than a process can be given in one value ` +
          `(${maximumValueBytes} bytes with its name); write it to a file and pass the file's path`,
      );
    if (command.arithmetic.includes(variable) && !integer.test(value))
      throw new StageValueError(
        variable,
        `$${variable} is used in shell arithmetic, so it must be an integer, not ${JSON.stringify(value.slice(0, 40))}`,
      );
    total += bytes;
    env[name] = value;
  }
  if (total > maximumTotalValueBytes)
    throw new StageValueError(
      undefined,
      `the values this command uses total ${total} bytes, more than ${maximumTotalValueBytes} a process can be given`,
    );
  return env;
}

/**
 * A stage's own `env` values, after substitution, checked as the values are: a captured variable placed in
 * one must fail the stage naming it, not with E2BIG.
 */
export function checkStageEnvironment(env: Record<string, string>): void {
  for (const [name, value] of Object.entries(env)) {
    const bytes = Buffer.byteLength(`${name}=${value}`) + 1;
    if (value.includes('\u0000'))
      throw new StageValueError(
        undefined,
        `env.${name} holds a NUL character, which no process can be given`,
      );
    if (bytes > maximumValueBytes)
      throw new StageValueError(
        undefined,
        `env.${name} is ${bytes} bytes with its name, more than a process can be given (${maximumValueBytes})`,
      );
  }
}

/** One argument's value, in bytes: ample for a path or a parameter, far below what a process can be given. */
export const maximumArgumentBytes = 64 * 1024;
/** All of a job's arguments together. */
export const maximumArgumentsBytes = 256 * 1024;

/**
 * What is wrong with arguments a job (or a DAQ's jobs) would pass to its stages: a NUL (no process can be
 * given one), a value or a whole too long. Fields are named as the client wrote them, `arguments/<name>`.
 *
 * @example
 * argumentProblems({ msg: 'a\u0000b' }, 'arguments') // [{ field: 'arguments/msg', message: '...NUL...' }]
 */
export function argumentProblems(
  values: Record<string, string>,
  field: string,
): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  let total = 0;
  for (const [name, value] of Object.entries(values)) {
    const bytes = Buffer.byteLength(value);
    total += Buffer.byteLength(name) + bytes;
    if (value.includes('\u0000'))
      problems.push({ field: `${field}/${name}`, message: 'must not contain a NUL character' });
    else if (bytes > maximumArgumentBytes)
      problems.push({
        field: `${field}/${name}`,
        message: `must be at most ${maximumArgumentBytes} bytes (UTF-8), not ${bytes}`,
      });
  }
  if (total > maximumArgumentsBytes)
    problems.push({ field, message: `must total at most ${maximumArgumentsBytes} bytes, not ${total}` });
  return problems;
}
