/**
 * `runIf` and `repeatUntil` conditions, as APS workflows write them: Python expressions over variables.
 * They are parsed and evaluated here (never eval'd), so a value with a quote cannot change the expression.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${name} is the workflows' variable syntax
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ConditionEvaluationError,
  ConditionSyntaxError,
  conditionVariables,
  evaluateCondition,
  parseCondition,
  UnknownVariableError,
} from '../src/workflows/conditions.ts';

/** Evaluates a condition with these variables. */
function holds(source: string, values: Record<string, string> = {}): boolean {
  return evaluateCondition(parseCondition(source), (name) =>
    Object.hasOwn(values, name) ? values[name] : undefined,
  );
}

function syntaxError(source: string): ConditionSyntaxError {
  try {
    parseCondition(source);
  } catch (error) {
    if (error instanceof ConditionSyntaxError) return error;
    throw error;
  }
  assert.fail(`${JSON.stringify(source)} parsed`);
}

describe('workflow conditions', () => {
  it("evaluates the APS README's examples", () => {
    assert.equal(holds('"$count" == "$randomNumber"', { count: '7', randomNumber: '7' }), true);
    assert.equal(holds('"$count" == "$randomNumber"', { count: '7', randomNumber: '8' }), false);
    const polaris = { filePath: '/data/2026-3/scan_0001.mda', analysisMachine: 'polaris' };
    assert.equal(holds('"mda" in "$filePath" and "$analysisMachine" == "polaris"', polaris), true);
    assert.equal(
      holds('"mda" in "$filePath" and "$analysisMachine" == "polaris"', {
        ...polaris,
        analysisMachine: 'theta',
      }),
      false,
    );
    assert.equal(holds('"$analysisMachine" != "polaris" or not "h5" in "$filePath"', polaris), true);
  });

  it('follows Python precedence: or < and < not < comparisons', () => {
    assert.equal(holds('True or True and False'), true, 'and binds tighter than or');
    assert.equal(holds('(True or True) and False'), false);
    assert.equal(holds('not 1 == 2'), true, 'not applies to the whole comparison');
    assert.equal(holds('not True == False'), true);
    assert.equal(holds('not True and False'), false, 'not binds tighter than and');
    assert.equal(holds('not (True and False)'), true);
    assert.equal(holds('-1 < 0'), true, 'unary minus binds tighter than comparisons');
  });

  it('knows in and not in as substring tests', () => {
    const file = { fileName: 'sample_A_0001.h5' };
    assert.equal(holds('"A_" in "$fileName"', file), true);
    assert.equal(holds('"B_" not in "$fileName"', file), true);
    assert.equal(holds('"" in "$fileName"', file), true, 'the empty string is in every string');
    assert.equal(holds('not "B_" in "$fileName"', file), true);
  });

  it('chains comparisons like Python', () => {
    assert.equal(holds('1 < $n < 10', { n: '5' }), true);
    assert.equal(holds('1 < $n < 10', { n: '10' }), false);
    assert.equal(holds('1 < 3 > 2'), true, 'a < b > c is not (a < b) > c');
    assert.equal(holds('"a" == "a" == "a"'), true);
    assert.equal(holds('(1 < 3) > 2'), false, 'in parentheses, True > 2 is False');
    // The chain stops at the first false link: the unknown variable after it is never looked up.
    assert.equal(holds('2 < 1 < $missing'), false);
  });

  it('compares like Python: text is never a number, bare numeric variables are numbers', () => {
    assert.equal(holds('"5" == 5'), false);
    assert.equal(holds('$n == 5', { n: '5' }), true);
    assert.equal(holds('$n == 5.0', { n: '5' }), true, 'an int equals the same float');
    assert.equal(holds('"$n" == 5', { n: '5' }), false, 'a quoted variable is text');
    assert.equal(holds('$n > 9', { n: '10' }), true, 'compared as numbers, not as text');
    assert.equal(holds('"10" > "9"'), false, 'compared as text');
    assert.equal(holds('$n == "v1.2"', { n: 'v1.2' }), true);
    assert.equal(holds('$big == 12345678901234567891', { big: '12345678901234567891' }), true);
    assert.equal(
      holds('$big == 12345678901234567890', { big: '12345678901234567891' }),
      false,
      'ints are exact',
    );
    assert.equal(holds('True == 1 and False == 0 and None == None and None != 0'), true);
    assert.equal(holds('"é" < "😀" and "\uffff" < "😀"'), true, 'strings ordered by code point');
  });

  it('refuses comparisons Python refuses, with a message', () => {
    assert.throws(() => holds('"a" < 1'), {
      name: 'ConditionEvaluationError',
      message: `'<' is not supported between a string and an int ("a" < 1)`,
    });
    assert.throws(() => holds('$n >= "3"', { n: '4' }), ConditionEvaluationError);
    assert.throws(() => holds('None < 1'), ConditionEvaluationError);
    assert.throws(() => holds('1 in "123"'), /'in' needs a string on its left, not an int/);
    assert.throws(
      () => holds('"1" in $n', { n: '123' }),
      /'in' needs a string on its right, not an int \(123\)/,
    );
    assert.throws(() => holds('-"a" == 1'), /unary '-' needs a number/);
  });

  it('converts the result with Python truthiness, and and/or give back their operands', () => {
    assert.equal(holds('"$status"', { status: '' }), false);
    assert.equal(holds('"$status"', { status: 'done' }), true);
    assert.equal(holds('$n', { n: '0' }), false);
    assert.equal(holds('$n', { n: '0.0' }), false);
    assert.equal(holds('$n', { n: '00' }), false);
    assert.equal(holds('None'), false);
    assert.equal(holds('("" or "x") == "x"'), true);
    assert.equal(holds('("a" and "b") == "b"'), true);
    assert.equal(holds('("" and $missing) == ""'), true, 'and stops at a false operand');
  });

  it('substitutes values inside strings as data: quotes and backslashes change nothing', () => {
    const nasty = { name: `it's "quoted" \\ and ends with \\`, injection: '" or "1" == "1' };
    assert.equal(holds(`"$name" == 'it\\'s "quoted" \\\\ and ends with \\\\'`, nasty), true);
    assert.equal(
      holds('"$injection" == "safe"', nasty),
      false,
      'a value cannot add an "or" to the condition',
    );
    assert.equal(holds('"\\"" in "$name"', nasty), true);
    assert.equal(holds('"${name}" == "$name"', nasty), true);
    assert.equal(holds('"$name$name" == "${name}${name}"', nasty), true);
  });

  it('keeps escaped and shell-only dollars as text inside strings', () => {
    assert.equal(holds('"\\$HOME" == "$" "HOME"'), true, '\\$name is the text $name');
    assert.equal(holds('"$1 and $$" == "$" "1 and $$"'), true, '$ before anything but a name is text');
    assert.equal(holds('"\\t\\x41\\u00e9\\n" == "\tA\u00e9" "\\n"'), true, 'Python escapes');
    assert.equal(holds('"\\d" == "\\\\d"'), true, 'an unknown escape keeps its backslash, as in Python');
  });

  it('names an unknown variable', () => {
    assert.throws(
      () => holds('"$count" == "3"'),
      (error: unknown) => {
        assert.ok(error instanceof UnknownVariableError, 'an UnknownVariableError');
        assert.equal(error.variable, 'count');
        assert.equal(error.message, "unknown variable '$count'");
        return true;
      },
    );
    assert.throws(() => holds('$count == 3'), UnknownVariableError);
  });

  it('lists the variables a condition uses', () => {
    assert.deepEqual(conditionVariables(parseCondition('"$a" == $b or "${a}x" in "$c$b" and 1 < 2')), [
      'a',
      'b',
      'c',
    ]);
    assert.deepEqual(conditionVariables(parseCondition('"\\$a" == "$$"')), []);
  });

  it('reports syntax errors with their position', () => {
    const cases: [string, number, RegExp][] = [
      ['"$count" = 5', 9, /unexpected '=' \(compare with '=='\)/],
      ['"abc" == "abc', 9, /this string is not closed/],
      ['count == 5', 0, /unknown name 'count' \(a variable is written \$count\)/],
      ['($a == 1', 8, /the condition ends where '\)' should be/],
      ['1 == 1)', 6, /unexpected '\)'/],
      ['"a" in', 6, /the condition ends where a value should be/],
      ['$a and or $b', 7, /unexpected 'or'/],
      ['$ == 1', 0, /a '\$' that starts no variable name/],
      ['1 === 1', 4, /unexpected '='/],
      ['"a" is "a"', 4, /unknown name 'is'/],
      ['__import__("os")', 0, /unknown name '__import__'/],
      ['1abc == 1', 0, /'1abc' is not a number/],
      ['"\\x4" == "a"', 1, /\\x must be followed by 2 hexadecimal digits/],
      ['', 0, /the condition is empty/],
      ['   ', 3, /the condition is empty|ends/],
    ];
    for (const [source, position, message] of cases) {
      const error = syntaxError(source);
      assert.equal(error.position, position, `${source}: ${error.message}`);
      assert.match(error.message, message);
      assert.match(error.message, new RegExp(`at column ${position + 1}$`));
    }
  });

  it('refuses nesting deep enough to overflow the stack, as a syntax error', () => {
    assert.match(
      syntaxError(`${'('.repeat(10_000)}1${')'.repeat(10_000)}`).message,
      /nested more than 100 levels/,
    );
    assert.match(syntaxError(`${'not '.repeat(10_000)}1`).message, /nested more than 100 levels/);
    assert.match(syntaxError(`${'-'.repeat(10_000)}1`).message, /nested more than 100 levels/);
    assert.equal(holds(`${'('.repeat(50)}1${')'.repeat(50)}`), true);
  });
});
