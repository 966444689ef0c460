/**
 * APS `--py-spec` workflow files are Python dict literals. They are read as data by a parser that knows
 * only literals, so a file can describe a workflow but never run anything.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { PythonLiteralError, parsePythonLiteral } from '../src/workflows/python-literal.ts';

function refusal(text: string): PythonLiteralError {
  try {
    parsePythonLiteral(text);
  } catch (error) {
    if (error instanceof PythonLiteralError) return error;
    throw error;
  }
  assert.fail(`${JSON.stringify(text)} was accepted`);
}

describe('Python literals', () => {
  it('reads a spec as APS users write it', () => {
    const spec = `##dm-upsert-workflow --py-spec workflow-xpcs.py
workflow = {
    'owner': '8idiuser',   # comment after a value
    "name": "xpcs8-boost",
    'description': """Runs the boost
correlation""",
    'enabled': True, 'legacy': False, 'queue': None,
    'stages': {
        '01-Staging': {
            'command': '/home/8idiuser/pre.sh \\
                $filePath $qmapFile',
            'outputVariableRegexList': [r'Input HDF5 File: (?P<inputHdf5File>\\S+)', 'Raw: (?P<rawFile>.*)',],
        },
    },
}
`;
    assert.deepEqual(parsePythonLiteral(spec), {
      owner: '8idiuser',
      name: 'xpcs8-boost',
      description: 'Runs the boost\ncorrelation',
      enabled: true,
      legacy: false,
      queue: null,
      stages: {
        '01-Staging': {
          command: '/home/8idiuser/pre.sh                 $filePath $qmapFile',
          outputVariableRegexList: ['Input HDF5 File: (?P<inputHdf5File>\\S+)', 'Raw: (?P<rawFile>.*)'],
        },
      },
    });
  });

  it('knows Python strings: quotes, escapes, raw strings, concatenation', () => {
    assert.equal(parsePythonLiteral(`'it\\'s' "a \\"b\\"" '''c'd''' """e"f"""`), `it'sa "b"c'de"f`);
    assert.equal(
      parsePythonLiteral(`'\\t\\n\\\\\\x41\\u00e9\\U0001F600\\101\\d'`),
      '\t\n\\A\u00e9\u{1F600}A\\d',
    );
    assert.equal(parsePythonLiteral(`r'\\d+\\'\\n'`), "\\d+\\'\\n");
    assert.equal(parsePythonLiteral(`u'x' R"\\y"`), 'x\\y');
  });

  it('knows numbers, tuples, nesting and trailing commas', () => {
    assert.deepEqual(
      parsePythonLiteral(
        '[1, -2, +3, 1_000, 0x1F, 0o17, 0b101, 2.5, -.5e1, 1e3, (1, 2), (3,), (), (4), {},]',
      ),
      [1, -2, 3, 1000, 31, 15, 5, 2.5, -5, 1000, [1, 2], [3], [], 4, {}],
    );
  });

  it('keeps a key named __proto__ as data', () => {
    const value = parsePythonLiteral("{'__proto__': {'polluted': True}}") as Record<string, unknown>;
    assert.deepEqual(Object.keys(value), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('refuses code, whatever form it takes, and runs none of it', () => {
    const marker = `/tmp/photon-dm-pwned-${process.pid}`;
    const hostile: [string, RegExp][] = [
      [`__import__('os').system('touch ${marker}')`, /line 1, column 1: '__import__' is not a literal/],
      [`os.system('touch ${marker}')`, /line 1, column 1: 'os' is not a literal/],
      [`{'command': open('/etc/passwd').read()}`, /line 1, column 13: 'open' is not a literal/],
      [`{'a': 1 + 1}`, /line 1, column 9: unexpected '\+'/],
      [`{'a': f'{__import__("os")}'}`, /f-strings are not supported/],
      [`{'a': [x for x in range(3)]}`, /'x' is not a literal/],
      [`{'a': lambda: 1}`, /'lambda' is not a literal/],
      [`{'a': 'x'.join(['y'])}`, /unexpected '\.'/],
      [`{'a': 1}\nimport os`, /line 2, column 1: unexpected 'import' after the value/],
      [`x = 1; y = 2`, /unexpected ';'/],
      [`{'a': b'bytes'}`, /bytes literals are not supported/],
      [`{'a': 1j}`, /'1j' is not a number/],
      [`{'a': {'x', 'y'}}`, /line 1, column 11: unexpected ',' where ':' should follow a dict key/],
      [`{1: 'a'}`, /dict keys must be strings/],
      [`{'a': -'x'}`, /'-' applies to numbers only/],
      [`{'a': 'never closed}`, /this string is not closed/],
      [`{'a': '\\N{BULLET}'}`, /\\N\{\.\.\.\} escapes are not supported/],
      [`{'a': `, /the file ends where a value should be/],
      ['', /the file ends where a value should be/],
    ];
    for (const [text, message] of hostile) assert.match(refusal(text).message, message, text);
    assert.equal(existsSync(marker), false);
  });

  it('places errors by line and column', () => {
    const error = refusal("{\n    'name': 'x',\n    'stages': os.environ,\n}");
    assert.equal(error.line, 3);
    assert.equal(error.column, 15);
    assert.equal(
      error.message,
      "line 3, column 15: 'os' is not a literal: only strings, numbers, True, False, None, dicts, lists and tuples are allowed",
    );
  });

  it('refuses nesting that would overflow the stack', () => {
    assert.match(refusal('['.repeat(100_000)).message, /nested more than 100 levels deep/);
    assert.match(refusal('-'.repeat(100_000)).message, /nested more than 100 levels deep/);
  });
});
