/**
 * Python `re` patterns, as APS workflows write them in `outputVariableRegexList`, turned into JavaScript
 * RegExps that match the same text.
 *
 * - `(?P<name>...)` is `(?<name>...)`, `(?P=name)` is `\k<name>`, `(?#...)` is dropped.
 * - Leading inline flags: `(?i)` becomes the `i` flag; `(?m)` and `(?s)` the `m` and `s` flags, and `^`, `$`
 *   and `.` are written out so that they mean what they mean in Python (JavaScript's `.` also stops at `\r`
 *   and its `$` does not allow Python's one trailing newline: `Total: (?P<n>\d+)$` must match "Total: 3\n").
 * - `\A`, `\Z`, `\UXXXXXXXX`, `{,n}`, a literal `]` first in a class, `{` that starts no quantifier: written out.
 * - Not supported, with a message: `(?x)` (verbose), scoped flags `(?i:...)`, flags after the start,
 *   conditionals `(?(1)...)`, atomic groups, `\N{...}`.
 * Differences left: `\d`, `\w` and `\s` are ASCII-only in JavaScript, Unicode in Python.
 */
import { defined } from '../errors/defined.ts';

export class PythonRegexError extends Error {
  override readonly name = 'PythonRegexError';

  constructor(
    readonly regex: string,
    readonly reason: string,
  ) {
    super(`invalid regex ${JSON.stringify(regex)}: ${reason}`);
  }
}

interface Conversion {
  output: string;
  index: number;
  flags: { i: boolean; m: boolean; s: boolean };
  unicode: boolean;
}

const regexSyntaxCharacters = '^$\\.*+?()[]{}|/';

/**
 * @example
 * toJavaScriptRegex('(?P<md5Sum>.*)').exec('d41d8cd98f00b204e9800998ecf8427e  -\n')?.groups
 * // { md5Sum: 'd41d8cd98f00b204e9800998ecf8427e  -' }
 * toJavaScriptRegex('(?x) a b') // throws PythonRegexError: ... the verbose flag (?x) is not supported
 */
export function toJavaScriptRegex(pythonSource: string): RegExp {
  const conversion = convert(pythonSource);
  const flags = `${conversion.flags.i ? 'i' : ''}${conversion.flags.m ? 'm' : ''}${conversion.flags.s ? 's' : ''}`;
  try {
    return new RegExp(conversion.output, `${flags}${conversion.unicode ? 'u' : ''}`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new PythonRegexError(
      pythonSource,
      message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, ''),
    );
  }
}

function convert(pattern: string): Conversion {
  const state: Conversion = { output: '', index: 0, flags: { i: false, m: false, s: false }, unicode: false };
  readLeadingFlags(pattern, state);
  let inClass = false;
  while (state.index < pattern.length) {
    const char = String.fromCodePoint(defined(pattern.codePointAt(state.index), 'a character'));
    if (char.length > 1) state.unicode = true;
    if (char === '\\') convertEscape(pattern, state, inClass);
    else if (inClass) inClass = convertInClass(pattern, state, char);
    else if (char === '[') inClass = openClass(pattern, state);
    else convertOutsideClass(pattern, state, char);
  }
  if (inClass) throw new PythonRegexError(pattern, 'a character class [ is not closed');
  return state;
}

function readLeadingFlags(pattern: string, state: Conversion): void {
  const flagGroup = /\(\?([a-zA-Z]+)\)/y;
  for (let match = flagGroup.exec(pattern); match; match = flagGroup.exec(pattern)) {
    for (const flag of match[1] ?? '') {
      if (flag === 'i' || flag === 'm' || flag === 's') state.flags[flag] = true;
      else if (flag === 'x') throw new PythonRegexError(pattern, 'the verbose flag (?x) is not supported');
      // `a` (ASCII classes) is what JavaScript does anyway; `u` is Python 3's default for text.
      else if (flag !== 'a' && flag !== 'u') {
        throw new PythonRegexError(pattern, `the inline flag (?${flag}) is not supported`);
      }
    }
    state.index = flagGroup.lastIndex;
  }
}

function convertEscape(pattern: string, state: Conversion, inClass: boolean): void {
  const next = pattern[state.index + 1];
  if (next === undefined) throw new PythonRegexError(pattern, 'a backslash ends the pattern');
  state.index += 2;
  if (next === 'A' && !inClass) state.output += '(?<![\\s\\S])';
  else if (next === 'Z' && !inClass) state.output += '(?![\\s\\S])';
  else if (next === 'N')
    throw new PythonRegexError(pattern, '\\N{...} is not supported: write the character itself');
  else if (next === 'U') {
    const digits = pattern.slice(state.index, state.index + 8);
    if (!/^[0-9a-fA-F]{8}$/.test(digits))
      throw new PythonRegexError(pattern, '\\U needs 8 hexadecimal digits');
    state.output += `\\u{${digits}}`;
    state.unicode = true;
    state.index += 8;
  } else if (/[A-Za-z0-9]/.test(next)) state.output += `\\${next}`;
  // Python lets any punctuation be escaped; JavaScript in unicode mode only its syntax characters.
  else if (regexSyntaxCharacters.includes(next) || (inClass && next === '-')) state.output += `\\${next}`;
  else state.output += String.fromCodePoint(defined(pattern.codePointAt(state.index - 1), 'a character'));
}

function openClass(pattern: string, state: Conversion): boolean {
  state.index += 1;
  state.output += '[';
  if (pattern[state.index] === '^') {
    state.output += '^';
    state.index += 1;
  }
  // In Python a `]` first in a class is a literal; in JavaScript `[]` is an empty class.
  if (pattern[state.index] === ']') {
    state.output += '\\]';
    state.index += 1;
  }
  return true;
}

/** Returns whether the class goes on. */
function convertInClass(_pattern: string, state: Conversion, char: string): boolean {
  state.index += char.length;
  if (char === ']') {
    state.output += ']';
    return false;
  }
  state.output += char === '[' ? '\\[' : char;
  return true;
}

function convertOutsideClass(pattern: string, state: Conversion, char: string): void {
  if (char === '(' && pattern[state.index + 1] === '?') {
    convertGroupStart(pattern, state);
    return;
  }
  if (char === '{') {
    convertBrace(pattern, state);
    return;
  }
  state.index += char.length;
  if (char === '.') state.output += state.flags.s ? '.' : '[^\\n]';
  else if (char === '^') state.output += state.flags.m ? '(?<![^\\n])' : '^';
  else if (char === '$') state.output += state.flags.m ? '(?![^\\n])' : '(?=\\n?(?![\\s\\S]))';
  else if (char === '}' || char === ']') state.output += `\\${char}`;
  else state.output += char;
}

function convertGroupStart(pattern: string, state: Conversion): void {
  const rest = pattern.slice(state.index);
  const backReference = /^\(\?P=([^)]*)\)/.exec(rest);
  const comment = /^\(\?#[^)]*\)/.exec(rest);
  const unsupported: [RegExp, string][] = [
    [/^\(\?[a-zA-Z]+\)/, 'inline flags are only supported at the start of the pattern'],
    [/^\(\?[a-zA-Z-]+:/, 'scoped inline flags (?flags:...) are not supported'],
    [/^\(\?\(/, 'conditional groups (?(...)...) are not supported'],
    [/^\(\?>/, 'atomic groups (?>...) are not supported'],
  ];
  if (rest.startsWith('(?P<')) {
    state.output += '(?<';
    state.index += 4;
  } else if (backReference) {
    state.output += `\\k<${backReference[1]}>`;
    state.index += backReference[0].length;
  } else if (comment) {
    state.index += comment[0].length;
  } else {
    for (const [form, reason] of unsupported)
      if (form.test(rest)) throw new PythonRegexError(pattern, reason);
    state.output += '(?';
    state.index += 2;
  }
}

/** `{2}`, `{2,}`, `{2,5}`, `{,5}` are quantifiers; any other `{` is a literal in Python. */
function convertBrace(pattern: string, state: Conversion): void {
  const quantifier = /\{(\d*)(?:(,)(\d*))?\}/y;
  quantifier.lastIndex = state.index;
  const match = quantifier.exec(pattern);
  if (match && (match[1] !== '' || (match[2] !== undefined && match[3] !== ''))) {
    state.output += `{${match[1] === '' ? '0' : match[1]}${match[2] ?? ''}${match[3] ?? ''}}`;
    state.index += match[0].length;
    return;
  }
  state.output += '\\{';
  state.index += 1;
}
