/**
 * The APS `--py-spec` workflow files: one Python dict literal, optionally assigned to a name, read as data.
 * Nothing is executed: a call, a name, an operator or an f-string is an error with its line and column, so a
 * file like `__import__('os').system('rm -rf ~')` is refused rather than run.
 *
 * Supported, as Python reads it: `#` comments; strings in '', "", ''' ''' and """ """ with Python escapes, raw
 * strings (r'...'), u'...', a backslash-newline inside a string (continues the line) and adjacent strings
 * (joined); ints (with `_`, 0x, 0o, 0b) and floats; unary minus and plus on numbers; True, False, None;
 * dicts (string keys), lists and tuples (both become arrays); trailing commas; newlines inside brackets.
 */
import { onlyLiterals, PythonLiteralError, Scanner, type Token } from './python-literal-scanner.ts';

export { PythonLiteralError };

// Deeper than any workflow; stops a hostile file from overflowing the stack.
const maxDepth = 100;

/**
 * Reads a Python literal into plain data (dicts become objects, lists and tuples arrays).
 *
 * @example
 * parsePythonLiteral("workflow = {'name': 'ex', 'stages': {'01': {'command': 'date',}},}  # ok")
 * // { name: 'ex', stages: { '01': { command: 'date' } } }
 * parsePythonLiteral("__import__('os')") // throws PythonLiteralError: line 1, column 1: ...
 */
export function parsePythonLiteral(text: string): unknown {
  const parser = new LiteralParser(text);
  parser.skipAssignment();
  const value = parser.value(0);
  parser.expectEnd();
  return value;
}

class LiteralParser {
  private readonly scanner: Scanner;
  private token: Token;

  constructor(text: string) {
    this.scanner = new Scanner(text);
    this.token = this.scanner.next();
  }

  /** `name = {...}`, as APS files sometimes start. */
  skipAssignment(): void {
    if (this.token.kind !== 'name' || isConstantName(this.token.value)) return;
    const saved = this.scanner.position;
    const name = this.token;
    let following: Token | undefined;
    try {
      following = this.scanner.next();
    } catch {
      // `os.system(...)`: the name is what to report, below, not the character after it.
    }
    if (following?.kind === 'punctuation' && following.value === '=') {
      this.token = this.scanner.next();
      return;
    }
    this.scanner.position = saved;
    this.token = name;
  }

  expectEnd(): void {
    if (this.token.kind !== 'end') throw this.unexpected('after the value');
  }

  value(depth: number): unknown {
    if (depth > maxDepth)
      throw this.scanner.error(`nested more than ${maxDepth} levels deep`, this.token.start);
    const token = this.token;
    switch (token.kind) {
      case 'string':
        return this.strings();
      case 'number':
        this.advance();
        return token.value;
      case 'name':
        return this.constant(token);
      case 'punctuation':
        return this.bracketed(token, depth);
      case 'end':
        throw this.scanner.error('the file ends where a value should be', token.start);
      default: {
        const never: never = token;
        return never;
      }
    }
  }

  private strings(): string {
    let text = '';
    while (this.token.kind === 'string') {
      text += this.token.value;
      this.advance();
    }
    return text;
  }

  private constant(token: Token & { kind: 'name' }): boolean | null {
    // Checked before the next token is read: in `os.system`, the name is the problem, not the dot.
    if (!isConstantName(token.value)) {
      throw this.scanner.error(`'${token.value}' is not a literal: ${onlyLiterals}`, token.start);
    }
    this.advance();
    return token.value === 'True' ? true : token.value === 'False' ? false : null;
  }

  private bracketed(token: Token & { kind: 'punctuation' }, depth: number): unknown {
    this.advance();
    switch (token.value) {
      case '{':
        return this.dict(depth);
      case '[':
        return this.items(']', depth);
      case '(':
        return this.parenthesized(depth);
      case '-':
      case '+': {
        const operand = this.value(depth + 1);
        if (typeof operand !== 'number')
          throw this.scanner.error(`'${token.value}' applies to numbers only`, token.start);
        return token.value === '-' ? -operand : operand;
      }
      default:
        throw this.scanner.error(`unexpected '${token.value}': ${onlyLiterals}`, token.start);
    }
  }

  private dict(depth: number): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    while (!this.isPunctuation('}')) {
      const keyStart = this.token.start;
      const key = this.value(depth + 1);
      if (typeof key !== 'string') throw this.scanner.error('dict keys must be strings', keyStart);
      if (!this.isPunctuation(':')) throw this.unexpected("where ':' should follow a dict key");
      this.advance();
      // defineProperty: a key named __proto__ is data, not the object's prototype.
      Object.defineProperty(result, key, {
        value: this.value(depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      if (!this.isPunctuation(',')) break;
      this.advance();
    }
    this.close('}');
    return result;
  }

  private items(closing: string, depth: number, first: unknown[] = []): unknown[] {
    const result = first;
    while (!this.isPunctuation(closing)) {
      result.push(this.value(depth + 1));
      if (!this.isPunctuation(',')) break;
      this.advance();
    }
    this.close(closing);
    return result;
  }

  /** `()` and `(a, b)` are tuples, `(a)` is just a. */
  private parenthesized(depth: number): unknown {
    if (this.isPunctuation(')')) {
      this.advance();
      return [];
    }
    const first = this.value(depth + 1);
    if (this.isPunctuation(')')) {
      this.advance();
      return first;
    }
    if (!this.isPunctuation(',')) throw this.unexpected("where ',' or ')' should be");
    this.advance();
    return this.items(')', depth, [first]);
  }

  private close(closing: string): void {
    if (!this.isPunctuation(closing)) throw this.unexpected(`where ',' or '${closing}' should be`);
    this.advance();
  }

  private isPunctuation(value: string): boolean {
    return this.token.kind === 'punctuation' && this.token.value === value;
  }

  private advance(): void {
    this.token = this.scanner.next();
  }

  private unexpected(where: string): PythonLiteralError {
    const token = this.token;
    const shown = token.kind === 'end' ? 'the end of the file' : `'${this.scanner.lexeme(token.start)}'`;
    return this.scanner.error(`unexpected ${shown} ${where}`, token.start);
  }
}

function isConstantName(name: string): boolean {
  return name === 'True' || name === 'False' || name === 'None';
}
