/**
 * The tokens of a Python literal file (see python-literal.ts): strings with their escapes decoded, numbers,
 * names and punctuation; blanks, comments and backslash-newlines skipped.
 */
import { defined } from '../errors/defined.ts';
import { decodeEscape } from './python-escapes.ts';

export class PythonLiteralError extends Error {
  override readonly name = 'PythonLiteralError';

  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
  }
}

export type Token =
  | { kind: 'punctuation'; value: string; start: number }
  | { kind: 'string'; value: string; start: number }
  | { kind: 'number'; value: number; start: number }
  | { kind: 'name'; value: string; start: number }
  | { kind: 'end'; start: number };

export const onlyLiterals = 'only strings, numbers, True, False, None, dicts, lists and tuples are allowed';

const stringStart = /([rRuUbBfF]{0,2})('''|"""|'|")/y;
const numberLexeme = /(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[A-Za-z0-9_]*/y;
const nameLexeme = /[A-Za-z_][A-Za-z0-9_]*/y;

export class Scanner {
  position = 0;

  constructor(private readonly text: string) {}

  next(): Token {
    this.skipBlanks();
    const start = this.position;
    const char = this.text[start];
    if (char === undefined) return { kind: 'end', start };
    stringStart.lastIndex = start;
    const quote = stringStart.exec(this.text);
    if (quote)
      return { kind: 'string', value: this.string(quote[1] ?? '', defined(quote[2], 'the quote')), start };
    if (/[0-9]/.test(char) || (char === '.' && /[0-9]/.test(this.text[start + 1] ?? ''))) {
      return { kind: 'number', value: this.number(), start };
    }
    nameLexeme.lastIndex = start;
    const name = nameLexeme.exec(this.text);
    if (name) {
      this.position += name[0].length;
      return { kind: 'name', value: name[0], start };
    }
    if ('{}[]():,=-+'.includes(char)) {
      this.position += 1;
      return { kind: 'punctuation', value: char, start };
    }
    const shown = String.fromCodePoint(defined(this.text.codePointAt(start), 'a character'));
    throw this.error(`unexpected '${shown}': ${onlyLiterals}`, start);
  }

  lexeme(start: number): string {
    return this.text.slice(start, Math.max(start + 1, this.position)).slice(0, 40);
  }

  error(reason: string, index: number): PythonLiteralError {
    const before = this.text.slice(0, index);
    const line = before.split('\n').length;
    return new PythonLiteralError(reason, line, index - (before.lastIndexOf('\n') + 1) + 1);
  }

  private skipBlanks(): void {
    const blanks = /(?:[ \t\f\r\n]+|#[^\n]*|\\\r?\n)*/y;
    blanks.lastIndex = this.position;
    this.position += blanks.exec(this.text)?.[0].length ?? 0;
  }

  private string(prefix: string, quote: string): string {
    const start = this.position;
    if (/[bB]/.test(prefix)) throw this.error('bytes literals are not supported', start);
    if (/[fF]/.test(prefix)) throw this.error('f-strings are not supported: they run code', start);
    if (prefix.length === 2 && !/[rR]/.test(prefix))
      throw this.error(`unknown string prefix '${prefix}'`, start);
    const raw = /[rR]/.test(prefix);
    let index = start + prefix.length + quote.length;
    let value = '';
    for (;;) {
      const char = this.text[index];
      if (char === undefined || (char === '\n' && quote.length === 1)) {
        throw this.error('this string is not closed', start);
      }
      if (this.text.startsWith(quote, index)) break;
      if (char !== '\\') {
        value += char;
        index += 1;
      } else if (raw) {
        // A raw string keeps the backslash and what follows it, a quote included.
        value += this.text.slice(index, index + 2);
        index += 2;
      } else {
        const decoded = decodeEscape(this.text, index);
        if ('error' in decoded) throw this.error(decoded.error, index);
        value += decoded.text;
        index = decoded.next;
      }
    }
    this.position = index + quote.length;
    return value;
  }

  private number(): number {
    const start = this.position;
    numberLexeme.lastIndex = start;
    const lexeme = numberLexeme.exec(this.text)?.[0] ?? '';
    this.position += lexeme.length;
    const value = numberValue(lexeme);
    if (value === undefined) throw this.error(`'${lexeme}' is not a number`, start);
    return value;
  }
}

function numberValue(lexeme: string): number | undefined {
  const digits = lexeme.replaceAll('_', '');
  if (/__|_$|_\.|\._|_[eE]|[eE]_/.test(lexeme)) return undefined;
  const based = /^0([xob])(.+)$/i.exec(digits);
  if (based) {
    const base = based[1]?.toLowerCase();
    const body = based[2] ?? '';
    if (base !== 'x' && base !== 'o' && base !== 'b') return undefined;
    const valid = { x: /^[0-9a-f]+$/i, o: /^[0-7]+$/, b: /^[01]+$/ }[base];
    return valid.test(body) ? Number(BigInt(`0${base}${body}`)) : undefined;
  }
  if (/^(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i.test(digits)) return Number(digits);
  return undefined;
}
