/**
 * Writes a condition back as source that parses to the same tree: for messages, and for the property test
 * that checks parser and evaluator against each other. Parentheses only where precedence needs them.
 */
import type { Condition } from './condition-parser.ts';
import type { TemplatePart } from './variables.ts';

// Python's precedence, loosest first; a comparison's operands must bind tighter than the comparison itself.
const precedence = { or: 1, and: 2, not: 3, compare: 4, sign: 5, atom: 6 } as const;

/**
 * @example
 * formatCondition(parseCondition('not ("a" in "$x" or $n > 2)')) // 'not ("a" in "${x}" or ${n} > 2)'
 */
export function formatCondition(condition: Condition): string {
  switch (condition.kind) {
    case 'or':
    case 'and': {
      const level = precedence[condition.kind];
      return `${wrap(condition.left, level)} ${condition.kind} ${wrap(condition.right, level + 1)}`;
    }
    case 'not':
      return `not ${wrap(condition.operand, precedence.not)}`;
    case 'compare': {
      const rest = condition.rest.map(
        ({ operator, operand }) => ` ${operator} ${wrap(operand, precedence.sign)}`,
      );
      return `${wrap(condition.first, precedence.sign)}${rest.join('')}`;
    }
    case 'sign':
      return `${condition.sign}${wrap(condition.operand, precedence.sign)}`;
    case 'string':
      return formatString(condition.parts);
    case 'number':
      return formatNumber(condition.value);
    case 'constant':
      return condition.value === null ? 'None' : condition.value ? 'True' : 'False';
    case 'variable':
      return `\${${condition.name}}`;
    default: {
      const never: never = condition;
      throw new Error(`unknown condition node ${String(never)}`);
    }
  }
}

function levelOf(condition: Condition): number {
  return condition.kind in precedence
    ? precedence[condition.kind as keyof typeof precedence]
    : precedence.atom;
}

function wrap(condition: Condition, minimum: number): string {
  const text = formatCondition(condition);
  return levelOf(condition) >= minimum ? text : `(${text})`;
}

function formatString(parts: TemplatePart[]): string {
  const body = parts.map((part) => ('variable' in part ? `\${${part.variable}}` : escapeText(part.text)));
  return `"${body.join('')}"`;
}

/** `$` as \\x24, so that text never reads as a variable; control characters as \\x.. escapes. */
function escapeText(text: string): string {
  return text.replace(/[\\"$]|[^ -~\u00a0-\uffff]/g, (char) => {
    if (char === '\\' || char === '"') return `\\${char}`;
    return `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

function formatNumber(value: bigint | number): string {
  if (typeof value === 'bigint') return String(value);
  if (!Number.isFinite(value)) return value > 0 ? '1e999' : 'NaN';
  const text = String(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}
