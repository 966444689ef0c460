/**
 * Where in the editor's text a problem of `POST /workflows/validate` is: its `path`
 * (`stages.04-MD5SUM.outputVariableRegexList[0]`) walked through the document that the `yaml` package
 * parsed, whose nodes carry their offsets. JSON is YAML, so one walk serves both formats. A path that ends
 * at something missing (`stages.01.command: is required`) points at the deepest part that exists.
 */
import { isMap, isPair, isScalar, isSeq, type Node, type Pair, parseDocument } from 'yaml';

export interface TextRange {
  from: number;
  to: number;
}

export interface ParsedText {
  /** The definition as data, or undefined when the text does not parse. */
  value: unknown;
  /** Finds a problem path's place in the text. */
  locate(path: string): TextRange;
}

/**
 * @example
 * parseEditorText('{"stages": {"01": {"retries": -1}}}').locate('stages.01.retries') // {from: 19, to: 32}
 */
export function parseEditorText(text: string): ParsedText {
  const document = parseDocument(text, { prettyErrors: false });
  const firstLine = {
    from: 0,
    to: Math.max(0, text.indexOf('\n') === -1 ? text.length : text.indexOf('\n')),
  };
  const broken = document.errors.length > 0;
  let value: unknown;
  if (!broken) {
    try {
      value = document.toJS({ maxAliasCount: 100 });
    } catch {
      value = undefined;
    }
  }
  return {
    value,
    locate(path) {
      const root = document.contents as Node | null;
      if (path === '' || root === null) return firstLine;
      return walk(root, path) ?? firstLine;
    },
  };
}

/** The offset of line `line` (1-based), column `column`, as a syntax error message names them. */
export function offsetOfLine(text: string, line: number, column = 1): number {
  let offset = 0;
  for (let n = 1; n < line; n++) {
    const next = text.indexOf('\n', offset);
    if (next === -1) return text.length;
    offset = next + 1;
  }
  return Math.min(text.length, offset + Math.max(0, column - 1));
}

function walk(node: Node, path: string): TextRange | undefined {
  let current: Node = node;
  let place: TextRange | undefined = rangeOf(node);
  let rest = path;
  while (rest !== '') {
    const step = nextStep(current, rest);
    if (step === undefined) break;
    place = step.place;
    rest = step.rest;
    if (step.node === undefined) break;
    current = step.node;
  }
  return place;
}

function nextStep(node: Node, rest: string): { place: TextRange; node?: Node; rest: string } | undefined {
  if (isSeq(node)) {
    const index = /^\[(\d+)\]\.?/.exec(rest);
    if (!index) return undefined;
    const item = node.items[Number(index[1])] as Node | undefined;
    if (item === undefined) return undefined;
    return { place: rangeOf(item) ?? { from: 0, to: 0 }, node: item, rest: rest.slice(index[0].length) };
  }
  if (!isMap(node)) return undefined;
  // Stage keys may hold dots ("01.START"): the longest key that the path starts with wins.
  let best: Pair | undefined;
  let bestKey = '';
  for (const item of node.items) {
    if (!isPair(item) || !isScalar(item.key)) continue;
    const key = String(item.key.value);
    const fits = rest === key || rest.startsWith(`${key}.`) || rest.startsWith(`${key}[`);
    if (fits && key.length > bestKey.length) {
      best = item;
      bestKey = key;
    }
  }
  if (best === undefined || !isScalar(best.key)) return undefined;
  const keyRange = rangeOf(best.key as Node) ?? { from: 0, to: 0 };
  const valueNode = (best.value ?? undefined) as Node | undefined;
  const valueRange = valueNode === undefined ? undefined : rangeOf(valueNode);
  // A scalar value is underlined with its key; a mapping or list only at its key (it may span many lines).
  const to = valueRange !== undefined && isScalar(valueNode) ? valueRange.to : keyRange.to;
  const after = rest.slice(bestKey.length).replace(/^\./, '');
  return {
    place: { from: keyRange.from, to },
    ...(valueNode !== undefined && { node: valueNode }),
    rest: after,
  };
}

function rangeOf(node: Node): TextRange | undefined {
  const range = node.range;
  return range ? { from: range[0], to: range[1] } : undefined;
}
