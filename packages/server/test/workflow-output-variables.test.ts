/**
 * Output variables: a stage prints, its `outputVariableRegexList` (Python regexes) captures values for the
 * stages after it. The regexes run in a worker thread with a watchdog, so a regex that backtracks forever
 * costs one stopped capture, not a frozen server.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseWorkflowText, stageKeys } from '../src/workflows/definition.ts';
import {
  createOutputMatcher,
  type OutputMatcher,
  PythonRegexError,
  RegexTimeoutError,
  toJavaScriptRegex,
} from '../src/workflows/output-variables.ts';
import { substituteVariables } from '../src/workflows/variables.ts';
import { apsExamplePath } from './support/fixtures.ts';
import { type TempDir, tempDir } from './support/temp-dir.ts';

const run = promisify(execFile);

describe('output variables', () => {
  let matcher: OutputMatcher;
  let files: TempDir;
  before(async () => {
    matcher = createOutputMatcher({ timeoutMs: 500 });
    files = await tempDir('photon-dm-workflow-');
  });
  after(async () => {
    await matcher.close();
    await files.remove();
  });

  it('runs the APS example workflow stage by stage, passing captured values on', async () => {
    const workflow = parseWorkflowText(readFileSync(apsExamplePath, 'utf8'), 'json');
    const filePath = join(files.path, 'scan_0001.h5');
    writeFileSync(filePath, randomBytes(4096));
    const variables: Record<string, string> = { id: randomUUID(), filePath };
    for (const key of stageKeys(workflow)) {
      const stage = workflow.stages[key];
      assert.ok(stage);
      const command = substituteVariables(stage.command, (name) => variables[name]);
      const { stdout } = await run('/bin/sh', ['-c', command]);
      Object.assign(variables, await matcher.capture(stdout, stage.outputVariableRegexList ?? []));
    }
    const md5Sum = createHash('md5').update(readFileSync(filePath)).digest('hex');
    assert.match(variables.timeStamp ?? '', /^\d{14}$/, 'the date, without its newline');
    assert.equal(variables.md5Sum, md5Sum);
    const output = `/tmp/workflow.${variables.timeStamp}/${variables.id}.out`;
    try {
      assert.equal(
        readFileSync(output, 'utf8'),
        `START JOB ID: ${variables.id}\nFILE ${filePath} MD5 SUM: ${md5Sum}\nSTOP JOB ID: ${variables.id}\n`,
      );
    } finally {
      rmSync(output, { force: true });
    }
  });

  it('captures like Python re.search: first match, . stops at newlines, $ allows one final newline', async () => {
    const stdout = 'Cluster Data Directory: /gdata/xpcs\r\nframes: 100\nframes: 200\nTotal: 3\n';
    assert.deepEqual(
      await matcher.capture(stdout, [
        'Cluster Data Directory: (?P<clusterDataDir>.*)',
        'frames: (?P<frames>\\d+)',
        'Total: (?P<total>\\d+)$',
      ]),
      { clusterDataDir: '/gdata/xpcs\r', frames: '100', total: '3' },
    );
    assert.deepEqual(
      await matcher.capture('frames: 100\nframes: 200\n', ['(?m)^frames: (?P<last>\\d+)$\\Z']),
      {},
    );
    assert.deepEqual(await matcher.capture('a\nB', ['(?is)a.(?P<x>b)']), { x: 'B' });
  });

  it('merges the groups of every regex in order, later ones winning, unset groups setting nothing', async () => {
    const stdout = 'status: running\nstatus: done\nid=42\n';
    assert.deepEqual(
      await matcher.capture(stdout, [
        'status: (?P<status>\\w+)',
        'id=(?P<jobId>\\d+)|job (?P<jobName>\\w+)',
        'status: (?P<status>done)',
        'never printed: (?P<missing>.*)',
      ]),
      { status: 'done', jobId: '42' },
    );
    assert.deepEqual(await matcher.capture('anything', []), {});
  });

  it('refuses a regex it cannot translate before running anything', async () => {
    await assert.rejects(matcher.capture('x', ['(?P<ok>x)', '(?x) a b']), PythonRegexError);
    await assert.rejects(matcher.capture('x', ['(?P<a>x']), /invalid regex "\(\?P<a>x"/);
  });

  it('stops a catastrophically backtracking regex, names it, and works again afterwards', async () => {
    const evil = '(a+)+$';
    await assert.rejects(
      matcher.capture(`${'a'.repeat(40)}!`, ['(?P<first>a)', evil]),
      (error: unknown) =>
        error instanceof RegexTimeoutError &&
        error.regex === evil &&
        /ran longer than 500 ms/.test(error.message),
    );
    assert.deepEqual(await matcher.capture('md5: abc123\n', ['md5: (?P<md5Sum>\\w+)']), { md5Sum: 'abc123' });
  });

  it('handles binary garbage and 10 MB of output', async (t) => {
    // A matcher of its own with a watchdog far past a legitimate scan of 10 MB: the shared one stops a regex
    // after 500 ms (for the backtracking tests), which a loaded machine can take to scan 10 MB honestly.
    const matcher = createOutputMatcher({ timeoutMs: 60_000 });
    t.after(() => matcher.close());
    const garbage = `${randomBytes(200_000).toString('latin1')}\0\uD800\n${randomBytes(100_000).toString('utf8')}\nresult: ok\n`;
    assert.deepEqual(await matcher.capture(garbage, ['result: (?P<result>\\w+)', '(?s)(?P<all>.*)']), {
      result: 'ok',
      all: garbage,
    });
    const lines = Array.from({ length: 320_000 }, (_, index) => `frame ${index} of 320000: 0.0021 s\n`);
    const large = `${lines.join('')}Output HDF5 File: /gdata/result_0001.hdf\n`;
    assert.ok(large.length > 10_000_000, 'more than 10 MB');
    assert.deepEqual(
      await matcher.capture(large, ['Output HDF5 File: (?P<outputFile>.*)', 'frame (?P<firstFrame>\\d+)']),
      {
        outputFile: '/gdata/result_0001.hdf',
        firstFrame: '0',
      },
    );
  });

  it('serves captures made at the same time, each with its own result', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => matcher.capture(`job ${index} done\n`, ['job (?P<n>\\d+)'])),
    );
    assert.deepEqual(
      results.map(({ n }) => n),
      Array.from({ length: 20 }, (_, index) => String(index)),
    );
  });

  it('refuses captures once closed, and a capture under way ends when the matcher closes', async () => {
    const own = createOutputMatcher({ timeoutMs: 60_000 });
    // A first capture answered proves the worker is up; the stuck one is then posted to it within the
    // promise jobs that run before the next macrotask. Closing ends it either way.
    assert.deepEqual(await own.capture('ready\n', ['(?P<word>\\w+)']), { word: 'ready' });
    const stuck = own.capture(`${'a'.repeat(40)}!`, ['(a+)+$']);
    await new Promise((resolve) => setImmediate(resolve));
    await own.close();
    await assert.rejects(stuck, /output matcher (stopped|is closed)/);
    await assert.rejects(own.capture('x', ['x']), /the output matcher is closed/);
  });
});

describe('Python regexes in JavaScript', () => {
  it('translates named groups, back references, comments and leading flags', () => {
    assert.deepEqual(
      { ...toJavaScriptRegex('(?P<word>\\w+) (?P=word)(?#twice)').exec('hey hey')?.groups },
      {
        word: 'hey',
      },
    );
    const flagged = toJavaScriptRegex('(?i)(?s)(?m)^a.b$');
    assert.equal(flagged.flags, 'ims');
    assert.ok(flagged.test('x\nA\nB\ny'), 'multi-line, dot-all, case-insensitive');
    assert.equal(toJavaScriptRegex('(?P<n>\\d+)').flags, '', 'no g flag, no u flag when not needed');
    assert.equal(toJavaScriptRegex('\\U0001F600').flags, 'u');
  });

  it('reads Python syntax that JavaScript reads differently', () => {
    const cases: [string, string, string | undefined][] = [
      ['[]a]+', 'x]a]', ']a]'],
      ['a{,2}', 'aaa', 'aa'],
      ['{x}', 'a{x}', '{x}'],
      ['\\Aab', 'cab', undefined],
      ['ab\\Z', 'ab\n', undefined],
      ['ab$', 'ab\n', 'ab'],
      ['\\-\\:\\#', '-:#', '-:#'],
      ['(?P<x>.)', '\r', '\r'],
    ];
    for (const [pattern, text, expected] of cases) {
      assert.equal(toJavaScriptRegex(pattern).exec(text)?.[0], expected, pattern);
    }
  });

  it('says what it does not support', () => {
    const unsupported: [string, RegExp][] = [
      ['(?x) a', /the verbose flag \(\?x\) is not supported/],
      ['a(?i)b', /inline flags are only supported at the start/],
      ['(?i:a)b', /scoped inline flags/],
      ['(a)?(?(1)b|c)', /conditional groups/],
      ['(?>a+)', /atomic groups/],
      ['\\N{BULLET}', /\\N\{\.\.\.\} is not supported/],
      ['(?L)a', /the inline flag \(\?L\) is not supported/],
      ['a\\', /a backslash ends the pattern/],
      ['[a-', /a character class \[ is not closed/],
      ['a**', /invalid regex "a\*\*": Nothing to repeat$/],
    ];
    for (const [pattern, message] of unsupported)
      assert.throws(() => toJavaScriptRegex(pattern), message, pattern);
  });
});
