/**
 * Here-documents for shell-lexer.ts: the operator's delimiter word, and where a body ends (the first line
 * that is the delimiter, after leading tabs with `<<-`). Whether a `$name` may stand in the body is the
 * lexer's to say: with a quoted delimiter the body stays literal.
 */
import type { Item, Reference } from './shell-items.ts';

export interface Heredoc {
  delimiter: string;
  /** `<<'EOF'`, `<<"EOF"`, `<<\EOF`: no expansion in the body. */
  quoted: boolean;
  /** `<<-`: leading tabs are removed from the body's lines and the delimiter line. */
  stripTabs: boolean;
}

const delimiterEnd = new Set([' ', '\t', ';', '&', '|', '<', '>', '(', ')', '\n']);

/**
 * After `<<`: the heredoc and the index after its delimiter word, or the reference found in that word.
 *
 * @example
 * readHeredocOperator([..."-'EOF' > out"], 0) // { heredoc: { delimiter: 'EOF', quoted: true, stripTabs: true }, index: 6 }
 */
export function readHeredocOperator(
  items: Item[],
  start: number,
): { heredoc: Heredoc; index: number } | { reference: Reference } {
  let index = start;
  const stripTabs = items[index] === '-';
  if (stripTabs) index++;
  while (items[index] === ' ' || items[index] === '\t') index++;
  let delimiter = '';
  let quoted = false;
  let quote: string | undefined;
  for (; index < items.length; index++) {
    const item = items[index] as Item;
    if (typeof item !== 'string') return { reference: item };
    if (quote !== undefined) {
      if (item === quote) quote = undefined;
      else delimiter += item;
    } else if (item === "'" || item === '"') {
      quote = item;
      quoted = true;
    } else if (item === '\\') {
      quoted = true;
      delimiter += String(items[++index]);
    } else if (delimiterEnd.has(item)) break;
    else delimiter += item;
  }
  return { heredoc: { delimiter, quoted, stripTabs }, index };
}

/** The body starting at `start`: where it ends, and the index after its delimiter line (or the end). */
export function findHeredocBody(
  items: Item[],
  start: number,
  heredoc: Heredoc,
): { end: number; next: number } {
  let index = start;
  while (index < items.length) {
    let lineEnd = index;
    while (lineEnd < items.length && items[lineEnd] !== '\n') lineEnd++;
    const line = items.slice(index, lineEnd);
    // A line holding a reference is never the delimiter: the delimiter is plain text.
    const text = line.every((item) => typeof item === 'string') ? line.join('') : undefined;
    const stripped = heredoc.stripTabs ? text?.replace(/^\t+/, '') : text;
    const next = Math.min(lineEnd + 1, items.length);
    if (stripped === heredoc.delimiter) return { end: index, next };
    index = next;
  }
  return { end: items.length, next: items.length };
}
