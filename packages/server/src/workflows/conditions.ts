/**
 * `runIf` and `repeatUntil`: Python-like conditions, parsed by a real parser and evaluated here, never by
 * eval. The APS processing service substitutes variables into the text and hands it to Python; here a
 * variable's value is data, so a file name with a quote in it cannot change the expression.
 *
 * - `"mda" in "$filePath"`: `$name` inside a string literal is replaced by the value at evaluation.
 * - `$count == 5`: a bare variable is a number when its value is a numeric literal (`5`, `-2.5e3`), else a
 *   string.
 * - Python semantics: `"5" == 5` is False, `in` is a substring test, `"a" < 1` is an error, `a < b < c`
 *   means `a < b and b < c`, `and`/`or` short-circuit, the result is converted with Python truthiness
 *   (`""`, `0`, `None`, `False` are false).
 */
import {
  type ComparisonOperator,
  type Condition,
  ConditionSyntaxError,
  parseConditionSource,
} from './condition-parser.ts';
import { UnknownVariableError, variableValue } from './variables.ts';

export type { ComparisonOperator, Condition };
export { ConditionSyntaxError, UnknownVariableError };

/** A Python value: str, int (bigint), float (number), bool, None (null). */
export type ConditionValue = string | bigint | number | boolean | null;

/** A condition that parses but cannot be evaluated with these values, as Python raises a TypeError. */
export class ConditionEvaluationError extends Error {
  override readonly name = 'ConditionEvaluationError';
}

/**
 * @example
 * parseCondition('"mda" in "$filePath" and $count >= 3')
 * parseCondition('$count = 3') // throws ConditionSyntaxError: unexpected '=' (compare with '==') at column 8
 */
export function parseCondition(source: string): Condition {
  return parseConditionSource(source);
}

/**
 * @example
 * const values: Record<string, string> = { filePath: '/data/scan.mda', count: '3' };
 * evaluateCondition(parseCondition('"mda" in "$filePath" and $count >= 3'), (name) => values[name]) // true
 */
export function evaluateCondition(
  condition: Condition,
  lookup: (name: string) => string | undefined,
): boolean {
  return isTruthy(evaluate(condition, lookup));
}

/**
 * The variables a condition uses, each once, in order of appearance.
 *
 * @example
 * conditionVariables(parseCondition('"$a" == $b or "$a" == ""')) // ['a', 'b']
 */
export function conditionVariables(condition: Condition): string[] {
  const names: string[] = [];
  const visit = (node: Condition): void => {
    switch (node.kind) {
      case 'or':
      case 'and':
        visit(node.left);
        visit(node.right);
        return;
      case 'not':
      case 'sign':
        visit(node.operand);
        return;
      case 'compare':
        visit(node.first);
        for (const { operand } of node.rest) visit(operand);
        return;
      case 'string':
        for (const part of node.parts) if ('variable' in part) names.push(part.variable);
        return;
      case 'variable':
        names.push(node.name);
        return;
      case 'number':
      case 'constant':
        return;
      default: {
        const never: never = node;
        throw new Error(`unknown condition node ${String(never)}`);
      }
    }
  };
  visit(condition);
  return [...new Set(names)];
}

/** Python's truth value of a value. NaN is true in Python, as any nonzero float. */
export function isTruthy(value: ConditionValue): boolean {
  if (value === null) return false;
  if (typeof value === 'string') return value !== '';
  if (typeof value === 'boolean') return value;
  return value !== 0 && value !== 0n;
}

/** The value of a condition's expression, before truthiness: `"a" or "b"` is "a", as in Python. */
export function evaluate(condition: Condition, lookup: (name: string) => string | undefined): ConditionValue {
  switch (condition.kind) {
    case 'or': {
      const left = evaluate(condition.left, lookup);
      return isTruthy(left) ? left : evaluate(condition.right, lookup);
    }
    case 'and': {
      const left = evaluate(condition.left, lookup);
      return isTruthy(left) ? evaluate(condition.right, lookup) : left;
    }
    case 'not':
      return !isTruthy(evaluate(condition.operand, lookup));
    case 'compare':
      return evaluateChain(condition, lookup);
    case 'sign':
      return applySign(condition.sign, evaluate(condition.operand, lookup));
    case 'string':
      return condition.parts
        .map((part) => ('text' in part ? part.text : variableValue(part.variable, lookup)))
        .join('');
    case 'variable':
      return bareValue(variableValue(condition.name, lookup));
    case 'number':
    case 'constant':
      return condition.value;
    default: {
      const never: never = condition;
      return never;
    }
  }
}

/** `a < b < c` is `a < b and b < c` with b evaluated once, and c not at all when a < b is false. */
function evaluateChain(
  condition: Condition & { kind: 'compare' },
  lookup: (name: string) => string | undefined,
): boolean {
  let left = evaluate(condition.first, lookup);
  for (const { operator, operand } of condition.rest) {
    const right = evaluate(operand, lookup);
    if (!compare(operator, left, right)) return false;
    left = right;
  }
  return true;
}

const numericLiteral = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** What a bare `$name` stands for: a number when its value reads as one. */
export function bareValue(value: string): ConditionValue {
  if (!numericLiteral.test(value)) return value;
  return /^[+-]?\d+$/.test(value) ? BigInt(value) : Number(value);
}

export function compare(operator: ComparisonOperator, left: ConditionValue, right: ConditionValue): boolean {
  switch (operator) {
    case '==':
      return equals(left, right);
    case '!=':
      return !equals(left, right);
    case '<':
      return order(operator, left, right) < 0;
    case '<=':
      return order(operator, left, right) <= 0;
    case '>':
      return order(operator, left, right) > 0;
    case '>=':
      return order(operator, left, right) >= 0;
    case 'in':
      return contains(operator, left, right);
    case 'not in':
      return !contains(operator, left, right);
    default: {
      const never: never = operator;
      return never;
    }
  }
}

type Numeric = bigint | number;

function asNumeric(value: ConditionValue): Numeric | undefined {
  if (typeof value === 'boolean') return value ? 1n : 0n;
  return typeof value === 'bigint' || typeof value === 'number' ? value : undefined;
}

function equals(left: ConditionValue, right: ConditionValue): boolean {
  if (typeof left === 'string' || typeof right === 'string' || left === null || right === null) {
    return left === right;
  }
  // Loose equality between a bigint and a number compares their exact values, as Python does int with float.
  const a = asNumeric(left);
  const b = asNumeric(right);
  // biome-ignore lint/suspicious/noDoubleEquals: see above
  return a !== undefined && b !== undefined && a == b;
}

/** A negative, zero or positive number (NaN when a float NaN is involved, which makes every order false). */
function order(operator: ComparisonOperator, left: ConditionValue, right: ConditionValue): number {
  if (typeof left === 'string' && typeof right === 'string') return compareCodePoints(left, right);
  const a = asNumeric(left);
  const b = asNumeric(right);
  if (a === undefined || b === undefined) {
    throw new ConditionEvaluationError(
      `'${operator}' is not supported between ${typeName(left)} and ${typeName(right)} (${show(left)} ${operator} ${show(right)})`,
    );
  }
  if (a < b) return -1;
  if (a > b) return 1;
  // biome-ignore lint/suspicious/noDoubleEquals: exact comparison of a bigint with a number
  return a == b ? 0 : Number.NaN;
}

function contains(operator: ComparisonOperator, left: ConditionValue, right: ConditionValue): boolean {
  if (typeof right !== 'string') {
    throw new ConditionEvaluationError(
      `'${operator}' needs a string on its right, not ${typeName(right)} (${show(right)})`,
    );
  }
  if (typeof left !== 'string') {
    throw new ConditionEvaluationError(
      `'${operator}' needs a string on its left, not ${typeName(left)} (${show(left)})`,
    );
  }
  return right.includes(left);
}

function applySign(sign: '-' | '+', value: ConditionValue): ConditionValue {
  const numeric = asNumeric(value);
  if (numeric === undefined) {
    throw new ConditionEvaluationError(
      `unary '${sign}' needs a number, not ${typeName(value)} (${show(value)})`,
    );
  }
  return sign === '-' ? -numeric : numeric;
}

/** Python orders strings by code point; JavaScript's `<` by UTF-16 code unit, which differs past U+FFFF. */
function compareCodePoints(left: string, right: string): number {
  const a = Array.from(left, (char) => char.codePointAt(0) ?? 0);
  const b = Array.from(right, (char) => char.codePointAt(0) ?? 0);
  for (let index = 0; index < Math.min(a.length, b.length); index += 1) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

function typeName(value: ConditionValue): string {
  if (value === null) return 'None';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'bigint':
      return 'an int';
    case 'number':
      return 'a float';
    case 'boolean':
      return 'a bool';
  }
}

function show(value: ConditionValue): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}
