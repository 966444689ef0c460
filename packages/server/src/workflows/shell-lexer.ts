/**
 * The lexer behind shell-command.ts: POSIX sh quoting, with nesting, enough to know where each `$name` of a
 * command template stands (its context), and to refuse the places where a value cannot be passed as data.
 */
import { findHeredocBody, type Heredoc, readHeredocOperator } from './shell-heredoc.ts';
import type { Item, Reference } from './shell-items.ts';

export type ShellContext = 'unquoted' | 'double-quoted' | 'single-quoted' | 'word' | 'arithmetic';

/** A command template that cannot be made into a script with its values as data. */
export class ShellTemplateError extends Error {
  override readonly name = 'ShellTemplateError';
}

/** What the lexer learns: each reference's context, and which ones end up in arithmetic. */
export interface Found {
  contexts: Map<Reference, ShellContext>;
  integers: Set<Reference>;
}

const maximumNesting = 64;
const blank = new Set([' ', '\t']);
const operatorCharacters = new Set([';', '&', '|', '<', '>', '(', ')', '\n']);
const wordEnd = new Set([...blank, ...operatorCharacters]);
/** Words after which the next word is a command again (for `case`, `((` and `[[`). */
const commandPrefixes = new Set([
  'if',
  'then',
  'else',
  'elif',
  'do',
  'while',
  'until',
  '!',
  '{',
  'time',
  'for',
]);
/** bash builtins whose `-i` makes later assignments arithmetic. */
const declaring = new Set(['declare', 'typeset', 'local', 'export', 'readonly']);

/** Records the context of every reference; each method starts after its opening and returns after its end. */
export class Lexer {
  constructor(
    private readonly items: Item[],
    private readonly found: Found,
    private readonly depth: number,
    /** Inside `$((...))`: bash evaluates what any expansion there yields as arithmetic, names included. */
    private readonly inArithmetic: boolean,
  ) {
    if (depth > maximumNesting) throw new ShellTemplateError(`nested more than ${maximumNesting} levels`);
  }

  private at(index: number): Item | undefined {
    return this.items[index];
  }

  private nested(arithmetic = this.inArithmetic): Lexer {
    return new Lexer(this.items, this.found, this.depth + 1, arithmetic);
  }

  private place(item: Reference, context: ShellContext): void {
    this.found.contexts.set(item, context);
    if (this.inArithmetic || context === 'arithmetic') this.found.integers.add(item);
  }

  /** A command list, up to `)` of `$(`, a closing backquote, or the end. Returns the index after the end. */
  script(closer: ')' | '`' | 'end', start = 0): number {
    let index = start;
    let parens = 0;
    let cases = 0;
    let wordStart = true;
    let commandStart = true;
    let word = '';
    let inDoubleBracket = false;
    const heredocs: Heredoc[] = [];
    let command = '';
    const endWord = () => {
      if (commandStart && word === 'let')
        throw new ShellTemplateError("bash's let evaluates its arguments as arithmetic code; use $((...))");
      if (declaring.has(command) && /^-[A-Za-z]*i/.test(word))
        throw new ShellTemplateError(`bash's ${command} ${word} makes assignments arithmetic code`);
      if (commandStart && word !== '') command = word;
      if (commandStart && word === 'case') cases++;
      else if (word === 'esac' && cases > 0) cases--;
      else if (commandStart && word === '[[') inDoubleBracket = true;
      else if (word === ']]') inDoubleBracket = false;
      commandStart = commandPrefixes.has(word) || (commandStart && word === '');
      word = '';
    };
    while (index < this.items.length) {
      const item = this.items[index] as Item;
      if (typeof item !== 'string') {
        if (inDoubleBracket)
          throw new ShellTemplateError(
            `$${item.variable} inside [[ ... ]], where bash evaluates -eq operands as arithmetic code; use [ ... ]`,
          );
        this.place(item, 'unquoted');
        wordStart = false;
        word += '\u0000';
        index++;
        continue;
      }
      if (wordEnd.has(item)) endWord();
      if (item === '\\') {
        if (closer === '`' && this.at(index + 1) === '`')
          throw new ShellTemplateError('nested backquotes (\\`) in a command with references; write $(...)');
        index += 2;
        wordStart = false;
        word += '\\';
        continue;
      }
      if (item === '#' && wordStart) {
        while (index < this.items.length && this.at(index) !== '\n') {
          const inComment = this.at(index);
          if (typeof inComment !== 'string' && inComment !== undefined) this.place(inComment, 'unquoted');
          index++;
        }
        continue;
      }
      if (item === '`' && closer === '`') return index + 1;
      if (item === ')' && closer === ')' && parens === 0 && cases === 0) return index + 1;
      if (item === '\n') {
        index = this.heredocBodies(index + 1, heredocs);
        heredocs.length = 0;
        wordStart = true;
        commandStart = true;
        continue;
      }
      if (item === '<' && this.at(index + 1) === '<') {
        // bash's `<<<` here-string takes an ordinary word; `<<` starts a here-document.
        index = this.at(index + 2) === '<' ? index + 3 : this.heredocOperator(index + 2, heredocs);
        wordStart = true;
        continue;
      }
      if (item === '(' && commandStart && wordStart && this.at(index + 1) === '(') {
        index = this.nested(true).arithmetic(index + 2);
        wordStart = false;
        commandStart = false;
        continue;
      }
      const opened = this.opening(index, 'unquoted');
      if (opened !== undefined) {
        index = opened;
        wordStart = false;
        word += '\u0000';
        continue;
      }
      if (item === '[' && /[A-Za-z0-9_]$/.test(word)) {
        // bash: `a[i]=...`, `unset a[i]`: an array subscript, evaluated as arithmetic.
        index = this.nested(true).arithmetic(index + 1, ']');
        word += '[]';
        continue;
      }
      if (item === '(') parens++;
      else if (item === ')' && parens > 0) parens--;
      if (blank.has(item) || operatorCharacters.has(item)) {
        wordStart = true;
        if (item !== ' ' && item !== '\t' && item !== '<' && item !== '>') commandStart = true;
      } else {
        wordStart = false;
        word += item;
      }
      index++;
    }
    return this.items.length;
  }

  /** Quotes, `$`-constructs and backquotes, as opened at `index`; the index after them, or undefined. */
  private opening(index: number, context: 'unquoted' | 'double-quoted' | 'word'): number | undefined {
    const item = this.at(index);
    const next = this.at(index + 1);
    if (item === "'" && context !== 'double-quoted') return this.singleQuoted(index + 1);
    if (item === '"') return this.doubleQuoted(index + 1);
    if (item === '`') return this.nested().script('`', index + 1);
    if (item !== '$') return undefined;
    if (next !== undefined && typeof next !== 'string')
      throw new ShellTemplateError(`a '$' right before $${next.variable} would make its value a name`);
    if (next === '(' && this.at(index + 2) === '(') return this.nested(true).arithmetic(index + 3);
    if (next === '(') return this.nested().script(')', index + 2);
    if (next === '{') return this.parameter(index + 2, context === 'double-quoted');
    if (next === '[') return this.nested(true).arithmetic(index + 2, ']');
    if (next === "'" && context !== 'double-quoted') return this.ansiQuoted(index + 2);
    if (next === '"' && context !== 'double-quoted') return this.doubleQuoted(index + 2);
    return index + 1;
  }

  private singleQuoted(start: number): number {
    let index = start;
    for (; index < this.items.length; index++) {
      const item = this.items[index] as Item;
      if (item === "'") return index + 1;
      if (typeof item !== 'string') this.place(item, 'single-quoted');
    }
    return index;
  }

  /** bash's `$'...'`: backslash escapes are decoded, so a value cannot be placed in it. */
  private ansiQuoted(start: number): number {
    let index = start;
    for (; index < this.items.length; index++) {
      const item = this.items[index] as Item;
      if (item === "'") return index + 1;
      if (item === '\\') index++;
      else if (typeof item !== 'string') throw new ShellTemplateError(`$${item.variable} inside $'...'`);
    }
    return index;
  }

  private doubleQuoted(start: number): number {
    let index = start;
    while (index < this.items.length) {
      const item = this.items[index] as Item;
      if (typeof item !== 'string') {
        this.place(item, 'double-quoted');
        index++;
      } else if (item === '"') return index + 1;
      else if (item === '\\') index += 2;
      else index = this.opening(index, 'double-quoted') ?? index + 1;
    }
    return index;
  }

  /** `${...}` after its `${`: a reference may be in its word (`${x:-$y}`), never its name. */
  private parameter(start: number, quoted: boolean): number {
    let index = this.parameterName(start);
    // bash: `${a[i]}` subscripts and `${x:offset:length}` are arithmetic, names and subscripts evaluated.
    if (this.at(index) === '[') index = this.nested(true).arithmetic(index + 1, ']');
    const substring = this.at(index) === ':' && !['-', '=', '?', '+'].includes(String(this.at(index + 1)));
    return (substring ? this.nested(true) : this).parameterWord(index, quoted);
  }

  private parameterWord(start: number, quoted: boolean): number {
    let index = start;
    let braces = 0;
    while (index < this.items.length) {
      const item = this.items[index] as Item;
      if (typeof item !== 'string') {
        this.place(item, 'word');
        index++;
        continue;
      }
      if (item === '}' && braces === 0) return index + 1;
      if (item === '{') braces++;
      else if (item === '}') braces--;
      if (item === '\\') {
        index += 2;
        continue;
      }
      index = this.opening(index, quoted ? 'double-quoted' : 'word') ?? index + 1;
    }
    return index;
  }

  /** The name of `${#name}`, `${!name}`, `${name...}`, `${10}`, `${@}`; the index after it. */
  private parameterName(start: number): number {
    let index = start;
    const refuse = (item: Item | undefined) => {
      if (item !== undefined && typeof item !== 'string')
        throw new ShellTemplateError(`$${item.variable} as the name in \${...} would make its value a name`);
    };
    refuse(this.at(index));
    if ((this.at(index) === '#' || this.at(index) === '!') && this.at(index + 1) !== '}') index++;
    refuse(this.at(index));
    const first = this.at(index);
    if (typeof first === 'string' && /^[@*#?$!0-9-]$/.test(first)) {
      index++;
      if (/^[0-9]$/.test(first)) while (/^[0-9]$/.test(String(this.at(index)))) index++;
      return index;
    }
    while (typeof this.at(index) === 'string' && /^[A-Za-z0-9_]$/.test(String(this.at(index)))) index++;
    refuse(this.at(index));
    return index;
  }

  /**
   * `$((...))`, `((...))` (closed by `))`), bash's `$[...]` or a subscript `a[...]` (closed by `]`), after
   * the opening: up to the close that matches.
   */
  private arithmetic(start: number, closer: '))' | ']' = '))'): number {
    let index = start;
    let depth = 0;
    const [open, close] = closer === '))' ? ['(', ')'] : ['[', ']'];
    while (index < this.items.length) {
      const item = this.items[index] as Item;
      if (typeof item !== 'string') {
        this.place(item, 'arithmetic');
        index++;
        continue;
      }
      if (item === close && depth === 0 && (closer === ']' || this.at(index + 1) === ')'))
        return index + closer.length;
      if (item === open) depth++;
      else if (item === close) depth--;
      if (item === '\\') {
        index += 2;
        continue;
      }
      // Quotes in arithmetic are not quoting (bash removes them); a reference between them stays checked.
      index = item === "'" || item === '"' ? index + 1 : (this.opening(index, 'double-quoted') ?? index + 1);
    }
    return index;
  }

  /** After `<<`: the `-` and the delimiter word, noted for the next line; the index after it. */
  private heredocOperator(start: number, heredocs: Heredoc[]): number {
    const read = readHeredocOperator(this.items, start);
    if ('reference' in read)
      throw new ShellTemplateError(`$${read.reference.variable} in a here-document's delimiter`);
    heredocs.push(read.heredoc);
    return read.index;
  }

  /** The bodies of the here-documents opened on the line that ended at `start`; the index after them. */
  private heredocBodies(start: number, heredocs: Heredoc[]): number {
    let index = start;
    for (const heredoc of heredocs) {
      const body = findHeredocBody(this.items, index, heredoc);
      this.heredocBody(index, body.end, heredoc);
      index = body.next;
    }
    return index;
  }

  private heredocBody(start: number, end: number, heredoc: Heredoc): void {
    const body = new Lexer(this.items.slice(start, end), this.found, this.depth + 1, this.inArithmetic);
    let index = 0;
    while (index < body.items.length) {
      const item = body.items[index] as Item;
      if (typeof item !== 'string') {
        if (heredoc.quoted)
          throw new ShellTemplateError(
            `$${item.variable} in the body of a here-document with a quoted delimiter, which stays literal`,
          );
        this.place(item, 'double-quoted');
        index++;
      } else if (heredoc.quoted) index++;
      else if (item === '\\') index += 2;
      else if (item === '"' || item === "'") index++;
      else index = body.opening(index, 'double-quoted') ?? index + 1;
    }
  }
}
