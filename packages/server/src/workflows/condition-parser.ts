/**
 * The parser of `runIf` and `repeatUntil` conditions (see conditions.ts for the language). Python's grammar
 * restricted to expressions over literals and variables:
 *
 *   or         := and ('or' and)*
 *   and        := not ('and' not)*
 *   not        := 'not' not | comparison
 *   comparison := unary (('==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not' 'in') unary)*
 *   unary      := ('-' | '+') unary | atom
 *   atom       := string+ | number | 'True' | 'False' | 'None' | $name | ${name} | '(' or ')'
 */
import { defined } from '../errors/defined.ts';
import { decodeEscape } from './python-escapes.ts';
import type { TemplatePart } from './variables.ts';

export type ComparisonOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in';

/** A parsed condition. Strings keep their `$variables` as parts, filled in at evaluation. */
export type Condition =
  | { kind: 'or'; left: Condition; right: Condition }
  | { kind: 'and'; left: Condition; right: Condition }
  | { kind: 'not'; operand: Condition }
  | { kind: 'compare'; first: Condition; rest: { operator: ComparisonOperator; operand: Condition }[] }
  | { kind: 'sign'; sign: '-' | '+'; operand: Condition }
  | { kind: 'string'; parts: TemplatePart[] }
  /** A bigint for an int literal (Python ints are exact), a number for a float literal. */
  | { kind: 'number'; value: bigint | number }
  | { kind: 'constant'; value: boolean | null }
  | { kind: 'variable'; name: string };

export class ConditionSyntaxError extends Error {
  override readonly name = 'ConditionSyntaxError';

  /** `position` is the 0-based offset in the source; the message gives the 1-based column. */
  constructor(
    readonly reason: string,
    readonly position: number,
  ) {
    super(`${reason} at column ${position + 1}`);
  }
}

type Token =
  | { kind: 'operator' | 'word'; value: string; start: number }
  | { kind: 'atom'; value: Condition; start: number }
  | { kind: 'end'; start: number };

const maxDepth = 100;
const words = new Set(['and', 'or', 'not', 'in', 'True', 'False', 'None']);
const comparisonOperators = new Set(['==', '!=', '<', '<=', '>', '>=']);

export function parseConditionSource(source: string): Condition {
  const parser = new ConditionParser(tokenize(source));
  const condition = parser.or(0);
  parser.expectEnd();
  return condition;
}

class ConditionParser {
  private index = 0;

  constructor(private readonly tokens: Token[]) {}

  or(depth: number): Condition {
    let left = this.and(depth);
    while (this.isWord('or')) {
      this.index += 1;
      left = { kind: 'or', left, right: this.and(depth) };
    }
    return left;
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.kind !== 'end') throw unexpected(token);
  }

  private and(depth: number): Condition {
    let left = this.not(depth);
    while (this.isWord('and')) {
      this.index += 1;
      left = { kind: 'and', left, right: this.not(depth) };
    }
    return left;
  }

  private not(depth: number): Condition {
    this.checkDepth(depth);
    if (!this.isWord('not')) return this.comparison(depth);
    this.index += 1;
    return { kind: 'not', operand: this.not(depth + 1) };
  }

  private comparison(depth: number): Condition {
    const first = this.unary(depth);
    const rest: { operator: ComparisonOperator; operand: Condition }[] = [];
    for (let operator = this.comparisonOperator(); operator; operator = this.comparisonOperator()) {
      rest.push({ operator, operand: this.unary(depth) });
    }
    return rest.length === 0 ? first : { kind: 'compare', first, rest };
  }

  private comparisonOperator(): ComparisonOperator | undefined {
    const token = this.peek();
    if (token.kind === 'operator' && comparisonOperators.has(token.value)) {
      this.index += 1;
      return token.value as ComparisonOperator;
    }
    if (this.isWord('in')) {
      this.index += 1;
      return 'in';
    }
    if (this.isWord('not') && this.isWord('in', 1)) {
      this.index += 2;
      return 'not in';
    }
    return undefined;
  }

  private unary(depth: number): Condition {
    this.checkDepth(depth);
    const token = this.peek();
    if (token.kind === 'operator' && (token.value === '-' || token.value === '+')) {
      this.index += 1;
      return { kind: 'sign', sign: token.value, operand: this.unary(depth + 1) };
    }
    return this.atom(depth);
  }

  private atom(depth: number): Condition {
    const token = this.peek();
    this.index += 1;
    if (token.kind === 'atom') return token.value.kind === 'string' ? this.strings(token.value) : token.value;
    if (token.kind === 'word' && token.value === 'True') return { kind: 'constant', value: true };
    if (token.kind === 'word' && token.value === 'False') return { kind: 'constant', value: false };
    if (token.kind === 'word' && token.value === 'None') return { kind: 'constant', value: null };
    if (token.kind === 'operator' && token.value === '(') {
      const inner = this.or(depth + 1);
      const closing = this.peek();
      if (closing.kind !== 'operator' || closing.value !== ')')
        throw unexpected(closing, "where ')' should be");
      this.index += 1;
      return inner;
    }
    throw unexpected(token, 'where a value should be');
  }

  /** Adjacent string literals are one string, as in Python. */
  private strings(first: Condition & { kind: 'string' }): Condition {
    const parts = [...first.parts];
    for (
      let token = this.peek();
      token.kind === 'atom' && token.value.kind === 'string';
      token = this.peek()
    ) {
      parts.push(...token.value.parts);
      this.index += 1;
    }
    return { kind: 'string', parts: mergeText(parts) };
  }

  private checkDepth(depth: number): void {
    if (depth > maxDepth)
      throw new ConditionSyntaxError(`nested more than ${maxDepth} levels deep`, this.peek().start);
  }

  private isWord(value: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token.kind === 'word' && token.value === value;
  }

  private peek(ahead = 0): Token {
    return defined(this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)], 'the end token');
  }
}

function unexpected(token: Token, where = ''): ConditionSyntaxError {
  const suffix = where === '' ? '' : ` ${where}`;
  if (token.kind === 'end' && token.start === 0) return new ConditionSyntaxError('the condition is empty', 0);
  if (token.kind === 'end') {
    return new ConditionSyntaxError(`the condition ends${where === '' ? ' too early' : suffix}`, token.start);
  }
  const shown = token.kind === 'atom' ? describeAtom(token.value) : `'${token.value}'`;
  return new ConditionSyntaxError(`unexpected ${shown}${suffix}`, token.start);
}

function describeAtom(atom: Condition): string {
  if (atom.kind === 'variable') return `$${atom.name}`;
  return atom.kind === 'string' ? 'string' : 'number';
}

const tokenPatterns: [RegExp, (match: string, start: number) => Token | undefined][] = [
  [/\s+/y, () => undefined],
  [/(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[A-Za-z0-9_]*/y, (match, start) => numberToken(match, start)],
  [/[A-Za-z_][A-Za-z0-9_]*/y, (match, start) => wordToken(match, start)],
  [
    /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/y,
    (match, start) => variableToken(match, start),
  ],
  [/==|!=|<=|>=|<|>|\(|\)|-|\+/y, (match, start) => ({ kind: 'operator', value: match, start })],
];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  scan: while (position < source.length) {
    const char = source[position] ?? '';
    if (char === '"' || char === "'") {
      const { parts, end } = readString(source, position);
      tokens.push({ kind: 'atom', value: { kind: 'string', parts }, start: position });
      position = end;
      continue;
    }
    for (const [pattern, toToken] of tokenPatterns) {
      pattern.lastIndex = position;
      const match = pattern.exec(source);
      if (!match) continue;
      const token = toToken(match[0], position);
      if (token) tokens.push(token);
      position += match[0].length;
      continue scan;
    }
    throw new ConditionSyntaxError(unexpectedCharacter(source, position), position);
  }
  tokens.push({ kind: 'end', start: source.length });
  return tokens;
}

function unexpectedCharacter(source: string, position: number): string {
  const char = String.fromCodePoint(defined(source.codePointAt(position), 'a character'));
  if (char === '=') return "unexpected '=' (compare with '==')";
  if (char === '$') return "a '$' that starts no variable name";
  return `unexpected ${JSON.stringify(char)}`;
}

function numberToken(lexeme: string, start: number): Token {
  if (/[A-Za-z_]/.test(lexeme.replace(/[eE][+-]?\d+$/, ''))) {
    throw new ConditionSyntaxError(`'${lexeme}' is not a number`, start);
  }
  const value = /^\d+$/.test(lexeme) ? BigInt(lexeme) : Number(lexeme);
  return { kind: 'atom', value: { kind: 'number', value }, start };
}

function wordToken(word: string, start: number): Token {
  if (words.has(word)) return { kind: 'word', value: word, start };
  throw new ConditionSyntaxError(`unknown name '${word}' (a variable is written $${word})`, start);
}

function variableToken(match: string, start: number): Token {
  const name = match.replace(/^\$\{?|\}$/g, '');
  return { kind: 'atom', value: { kind: 'variable', name }, start };
}

/** Reads a quoted string: Python escapes, and `$name` references kept as parts (`\$name` is plain text). */
function readString(source: string, start: number): { parts: TemplatePart[]; end: number } {
  const quote = source[start] ?? '';
  const parts: TemplatePart[] = [];
  let index = start + 1;
  let text = '';
  for (;;) {
    const char = source[index];
    if (char === undefined || char === '\n')
      throw new ConditionSyntaxError('this string is not closed', start);
    if (char === quote) break;
    if (char === '\\' && source[index + 1] === '$') {
      // `\$name` is the text `$name`; before anything else `\$` stays as it is, as Python keeps it.
      const length = referenceLength(source, index + 1);
      text += length > 0 ? source.slice(index + 1, index + 1 + length) : '\\$';
      index += length > 0 ? 1 + length : 2;
      continue;
    }
    if (char === '\\') {
      const decoded = decodeEscape(source, index);
      if ('error' in decoded) throw new ConditionSyntaxError(decoded.error, index);
      text += decoded.text;
      index = decoded.next;
      continue;
    }
    const length = char === '$' ? referenceLength(source, index) : 0;
    if (length > 0) {
      parts.push({ text }, { variable: source.slice(index, index + length).replace(/^\$\{?|\}$/g, '') });
      text = '';
      index += length;
      continue;
    }
    text += char;
    index += 1;
  }
  parts.push({ text });
  return { parts: mergeText(parts), end: index + 1 };
}

/** The length of the `$name` or `${name}` at `index`, 0 when there is none. */
function referenceLength(source: string, index: number): number {
  const pattern = /\$(?:\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)/y;
  pattern.lastIndex = index;
  return pattern.exec(source)?.[0].length ?? 0;
}

function mergeText(parts: TemplatePart[]): TemplatePart[] {
  const merged: TemplatePart[] = [];
  for (const part of parts) {
    const last = merged.at(-1);
    if ('text' in part && part.text === '') continue;
    if ('text' in part && last !== undefined && 'text' in last)
      merged[merged.length - 1] = { text: last.text + part.text };
    else merged.push(part);
  }
  return merged;
}
