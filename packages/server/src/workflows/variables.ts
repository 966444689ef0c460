/**
 * `$name` and `${name}` in stage commands, working directories and condition strings.
 *
 * - variable: a name `[A-Za-z_][A-Za-z0-9_]*` with a value for the job: the reserved ones (`id`, `filePath`,
 *   ...), the job's input arguments, and what earlier stages captured from their output.
 * - reference: `$name` (the longest name: `$filePath` is never `$file` + "Path") or `${name}` (exact).
 * - escape: `\$name` or `\${name}` is no reference: the backslash is removed and `$name` stays for the shell.
 *
 * Any other `$` (`$1`, `$(...)`, `$$`, `$?`, a trailing `$`) is left alone for the shell. An unknown
 * variable is an error naming it rather than an empty string: `rm -rf $dataDir/` with a misspelt name must
 * fail the stage, not run.
 */
import { defined } from '../errors/defined.ts';

export class UnknownVariableError extends Error {
  override readonly name = 'UnknownVariableError';

  constructor(readonly variable: string) {
    super(`unknown variable '$${variable}'`);
  }
}

/** A piece of a template: text as it is, or the name of a variable to put in its place. */
export type TemplatePart = { text: string } | { variable: string };

// Alternatives: an escaped reference, `${name}`, `$name`. A `$` that starts none of them is plain text.
const referencePattern = /(\\?)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/**
 * Splits a template into text and variable references (adjacent text is merged).
 *
 * @example
 * templateParts('md5sum \\$HOME/$filePath') // [{ text: 'md5sum $HOME/' }, { variable: 'filePath' }]
 */
export function templateParts(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  const addText = (text: string) => {
    if (text === '') return;
    const last = parts.at(-1);
    if (last !== undefined && 'text' in last) last.text += text;
    else parts.push({ text });
  };
  let position = 0;
  for (const match of template.matchAll(referencePattern)) {
    addText(template.slice(position, match.index));
    const [whole, backslash, braced, bare] = match;
    if (backslash === '\\') addText(whole.slice(1));
    else parts.push({ variable: defined(braced ?? bare, 'a variable name') });
    position = match.index + whole.length;
  }
  addText(template.slice(position));
  return parts;
}

/**
 * Puts the value of every `$name` and `${name}` in place.
 *
 * @example
 * substituteVariables('/bin/md5sum $filePath', (name) => ({ filePath: '/data/a.h5' })[name])
 * // '/bin/md5sum /data/a.h5'
 * substituteVariables('echo \\$HOME $1', () => undefined) // 'echo $HOME $1'
 */
export function substituteVariables(template: string, lookup: (name: string) => string | undefined): string {
  let result = '';
  for (const part of templateParts(template)) {
    if ('text' in part) result += part.text;
    else result += variableValue(part.variable, lookup);
  }
  return result;
}

/**
 * The names a template refers to, each once, in order of first appearance.
 *
 * @example
 * referencedVariables('cp $filePath ${dataDirectory}/$filePath.bak') // ['filePath', 'dataDirectory']
 */
export function referencedVariables(template: string): string[] {
  const names = templateParts(template).flatMap((part) => ('variable' in part ? [part.variable] : []));
  return [...new Set(names)];
}

export function variableValue(name: string, lookup: (name: string) => string | undefined): string {
  const value = lookup(name);
  if (value === undefined) throw new UnknownVariableError(name);
  return value;
}
