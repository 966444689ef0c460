/**
 * Property tests of the condition language with fast-check: random condition trees, with variables bound to
 * random strings full of quotes, backslashes and dollars, are written out as source, parsed back and
 * evaluated; the result must be what a direct evaluation of the tree gives. And no input whatsoever makes
 * the parser throw anything but a ConditionSyntaxError.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name} is the workflows' variable syntax
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatCondition } from '../src/workflows/condition-format.ts';
import {
  type ComparisonOperator,
  type Condition,
  ConditionSyntaxError,
  evaluateCondition,
  parseCondition,
} from '../src/workflows/conditions.ts';

type Value = string | bigint | number | boolean | null;
type Outcome = { value: boolean } | { error: string };

const names = ['a', 'b', 'count', 'filePath'];
const nastyCharacter = fc.constantFrom(
  'a',
  'b',
  'x',
  '1',
  '0',
  '.',
  ' ',
  '"',
  "'",
  '\\',
  '$',
  '{',
  '}',
  '-',
  'é',
  '\uff01',
  '😀',
  '\t',
);
// Random text, and a few short texts often enough that `==` and `in` come out true as well as false.
const nastyText = fc.oneof(
  fc.string({ unit: nastyCharacter, maxLength: 8 }),
  fc.constantFrom('', 'a', '"', 'a"b', "'", '\\', '$a', '${b}', '1', '\uff01', '😀'),
);
// Values that read as numbers too, so that bare references compare as numbers.
const variableValue = fc.oneof(
  nastyText,
  fc.integer({ min: -3, max: 3 }).map(String),
  fc.constantFrom('1.5', '1e2'),
);

const operators: ComparisonOperator[] = ['==', '!=', '<', '<=', '>', '>=', 'in', 'not in'];

const conditionTree = fc.letrec<{ condition: Condition; leaf: Condition; operand: Condition }>((tie) => ({
  leaf: fc.oneof(
    { arbitrary: stringLiteral(), weight: 4 },
    {
      arbitrary: fc.constantFrom(...names).map((name): Condition => ({ kind: 'variable', name })),
      weight: 2,
    },
    fc.bigInt({ min: 0n, max: 3n }).map((value): Condition => ({ kind: 'number', value })),
    fc.constantFrom(0, 0.5, 1.5, 1e21).map((value): Condition => ({ kind: 'number', value })),
    fc.constantFrom(true, false, null).map((value): Condition => ({ kind: 'constant', value })),
  ),
  // Mostly plain values, so that comparisons compare like with like more often than not.
  operand: fc.oneof({ arbitrary: tie('leaf'), weight: 5 }, tie('condition')),
  condition: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    fc.record({
      kind: fc.constantFrom('or' as const, 'and' as const),
      left: tie('condition'),
      right: tie('condition'),
    }),
    fc.record({ kind: fc.constant('not' as const), operand: tie('condition') }),
    fc.record({
      kind: fc.constant('sign' as const),
      sign: fc.constantFrom('-' as const, '+' as const),
      operand: tie('leaf'),
    }),
    {
      arbitrary: fc.record({
        kind: fc.constant('compare' as const),
        first: tie('operand'),
        rest: fc.array(fc.record({ operator: fc.constantFrom(...operators), operand: tie('operand') }), {
          minLength: 1,
          maxLength: 3,
        }),
      }),
      weight: 2,
    },
    // Text against text, the common case in workflows: every operator applies.
    {
      arbitrary: fc.record({
        kind: fc.constant('compare' as const),
        first: stringLiteral(),
        rest: fc.array(fc.record({ operator: fc.constantFrom(...operators), operand: stringLiteral() }), {
          minLength: 1,
          maxLength: 3,
        }),
      }),
      weight: 3,
    },
  ),
})).condition;

function stringLiteral(): fc.Arbitrary<Condition> {
  const part = fc.oneof(
    nastyText.map((text) => ({ text })),
    fc.constantFrom(...names).map((variable) => ({ variable })),
  );
  return fc.array(part, { maxLength: 3 }).map((parts): Condition => ({ kind: 'string', parts }));
}

// Every variable bound, but now and then one missing, to check UnknownVariableError too.
const bindings = fc
  .tuple(fc.tuple(...names.map(() => variableValue)), fc.option(fc.constantFrom(...names), { freq: 8 }))
  .map(([values, missing]) =>
    Object.fromEntries(
      names.map((name, index) => [name, values[index]]).filter(([name]) => name !== missing),
    ),
  );

describe('workflow condition properties', () => {
  it('parses what it prints: evaluating the printed source gives the value of the tree', () => {
    fc.assert(
      fc.property(conditionTree, bindings, (tree, values) => {
        const lookup = (name: string) => (Object.hasOwn(values, name) ? values[name] : undefined);
        const source = formatCondition(tree);
        const parsed = parseCondition(source);
        assert.deepEqual(
          outcome(() => evaluateCondition(parsed, lookup)),
          referenceOutcome(tree, lookup),
          source,
        );
        assert.equal(formatCondition(parsed), source, 'printing the parsed tree gives the same source');
      }),
      { numRuns: 3000 },
    );
  });

  it('throws nothing but ConditionSyntaxError, whatever the text', () => {
    const tokens = fc.constantFrom(
      '(',
      ')',
      ' and ',
      ' or ',
      'not ',
      ' in ',
      ' not in ',
      '"',
      "'",
      '\\',
      '$x',
      '${x}',
      '${',
      '$',
    );
    const moreTokens = fc.constantFrom(
      '==',
      '<',
      '>=',
      '=',
      '!',
      '1',
      '1.5e3',
      '.',
      'True',
      'None',
      'is',
      ' ',
      '\n',
      '-',
      '+',
    );
    const soup = fc
      .array(fc.oneof(tokens, moreTokens, fc.string({ maxLength: 3 })), { maxLength: 30 })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), soup), (text) => {
        try {
          parseCondition(text);
        } catch (error) {
          assert.ok(error instanceof ConditionSyntaxError, `${JSON.stringify(text)} threw ${String(error)}`);
          assert.ok(
            error.position >= 0 && error.position <= text.length,
            `position ${error.position} in ${JSON.stringify(text)}`,
          );
        }
      }),
      { numRuns: 5000 },
    );
  });
});

function outcome(run: () => boolean): Outcome {
  try {
    return { value: run() };
  } catch (error) {
    return { error: error instanceof Error ? error.name : String(error) };
  }
}

function referenceOutcome(tree: Condition, lookup: (name: string) => string | undefined): Outcome {
  return outcome(() => truthy(reference(tree, lookup)));
}

/**
 * A direct evaluation of the tree, written from Python's rules independently of the module under test (text
 * is ordered through UTF-8 bytes, which sort as code points do).
 */
function reference(tree: Condition, lookup: (name: string) => string | undefined): Value {
  const variable = (name: string) => {
    const value = lookup(name);
    if (value === undefined) throw named('UnknownVariableError');
    return value;
  };
  switch (tree.kind) {
    case 'or': {
      const left = reference(tree.left, lookup);
      return truthy(left) ? left : reference(tree.right, lookup);
    }
    case 'and': {
      const left = reference(tree.left, lookup);
      return truthy(left) ? reference(tree.right, lookup) : left;
    }
    case 'not':
      return !truthy(reference(tree.operand, lookup));
    case 'sign': {
      const operand = reference(tree.operand, lookup);
      const number = numeric(operand);
      if (number === undefined) throw named('ConditionEvaluationError');
      return tree.sign === '-' ? -number : number;
    }
    case 'compare': {
      let left = reference(tree.first, lookup);
      for (const { operator, operand } of tree.rest) {
        const right = reference(operand, lookup);
        if (!comparison(operator, left, right)) return false;
        left = right;
      }
      return true;
    }
    case 'string':
      return tree.parts.map((part) => ('text' in part ? part.text : variable(part.variable))).join('');
    case 'variable': {
      const value = variable(tree.name);
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) return value;
      return /^[+-]?\d+$/.test(value) ? BigInt(value) : Number.parseFloat(value);
    }
    case 'number':
    case 'constant':
      return tree.value;
  }
}

function comparison(operator: ComparisonOperator, left: Value, right: Value): boolean {
  if (operator === 'in' || operator === 'not in') {
    if (typeof left !== 'string' || typeof right !== 'string') throw named('ConditionEvaluationError');
    return right.includes(left) === (operator === 'in');
  }
  if (operator === '==' || operator === '!=') {
    const a = numeric(left);
    const b = numeric(right);
    const equal = a !== undefined && b !== undefined ? sameNumber(a, b) : left === right;
    return equal === (operator === '==');
  }
  let order: number;
  if (typeof left === 'string' && typeof right === 'string')
    order = Buffer.compare(Buffer.from(left), Buffer.from(right));
  else {
    const a = numeric(left);
    const b = numeric(right);
    if (a === undefined || b === undefined) throw named('ConditionEvaluationError');
    order = sameNumber(a, b) ? 0 : a < b ? -1 : 1;
  }
  return { '<': order < 0, '<=': order <= 0, '>': order > 0, '>=': order >= 0 }[operator];
}

function sameNumber(a: bigint | number, b: bigint | number): boolean {
  return !(a < b) && !(a > b);
}

function numeric(value: Value): bigint | number | undefined {
  if (typeof value === 'boolean') return value ? 1n : 0n;
  return typeof value === 'bigint' || typeof value === 'number' ? value : undefined;
}

function truthy(value: Value): boolean {
  return !(value === null || value === false || value === '' || value === 0 || value === 0n);
}

function named(name: string): Error {
  const error = new Error(name);
  error.name = name;
  return error;
}
