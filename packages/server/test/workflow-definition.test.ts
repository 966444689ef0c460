/**
 * A beamline scientist brings the workflow files the APS Data Management system accepts today (JSON from
 * `dm-upsert-workflow`, `--py-spec` Python dicts) or writes YAML; Photon DM must accept them unchanged and
 * explain everything wrong with a broken one in one answer.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  parseWorkflowText,
  reservedVariables,
  stageKeys,
  validateWorkflow,
  type WorkflowFormat,
  WorkflowInvalidError,
  type WorkflowProblem,
  workflowFormatOf,
} from '../src/workflows/definition.ts';
import { apsExamplePath } from './support/fixtures.ts';

const fixturePath = apsExamplePath;
const fixtureText = readFileSync(fixturePath, 'utf8');

/** The problems a definition is refused with (fails the test when it is accepted). */
function problemsOf(input: unknown): WorkflowProblem[] {
  try {
    validateWorkflow(input);
  } catch (error) {
    if (error instanceof WorkflowInvalidError) return error.problems;
    throw error;
  }
  assert.fail('the definition was accepted');
}

function textProblems(text: string, format: WorkflowFormat): WorkflowProblem[] {
  try {
    parseWorkflowText(text, format);
  } catch (error) {
    if (error instanceof WorkflowInvalidError) return error.problems;
    throw error;
  }
  assert.fail('the text was accepted');
}

function withStage(stage: Record<string, unknown>): Record<string, unknown> {
  return { name: 'scan processing', owner: 's8iduser', stages: { '01-RUN': stage } };
}

describe('workflow definitions', () => {
  it('accepts the APS example-01 workflow unchanged and runs its stages in key order', () => {
    const workflow = parseWorkflowText(fixtureText, 'json');
    assert.deepEqual(workflow, JSON.parse(fixtureText));
    assert.equal(workflow.stages['04-MD5SUM']?.command, '/bin/md5sum $filePath | cut -f1 -d" "');
    assert.deepEqual(stageKeys(workflow), [
      '01-START',
      '02-MKDIR',
      '03-ECHO',
      '04-MD5SUM',
      '05-ECHO',
      '06-DONE',
    ]);
  });

  it('runs stages in the order of Python sorted(), whatever order the file lists them in', () => {
    const workflow = validateWorkflow({
      name: 'order',
      owner: 'me',
      stages: {
        b: { command: 'b' },
        '10-LAST': { command: '3' },
        '02-B': { command: '2' },
        A: { command: 'a' },
      },
    });
    // Code-unit order: digits before upper case before lower case; "10" after "02".
    assert.deepEqual(stageKeys(workflow), ['02-B', '10-LAST', 'A', 'b']);
  });

  it('ignores the bookkeeping keys of an APS export and keeps version as text', () => {
    const exported = {
      ...JSON.parse(fixtureText),
      id: 17,
      created: '2024-05-01',
      updated: null,
      workflowId: 'x',
      version: 3,
    };
    const workflow = validateWorkflow(exported);
    assert.deepEqual(Object.keys(workflow), [
      'name',
      'owner',
      'description',
      'userAccount',
      'version',
      'stages',
    ]);
    assert.equal(workflow.version, '3');
    assert.equal(validateWorkflow({ ...exported, version: '2.1-beta' }).version, '2.1-beta');
  });

  it('gives the same definition whatever the order of the keys in the file', () => {
    const forward = validateWorkflow({
      name: 'n',
      owner: 'o',
      stages: { s: { command: 'c', runIf: '1', workingDir: '/' } },
    });
    const backward = validateWorkflow({
      stages: { s: { workingDir: '/', runIf: '1', command: 'c' } },
      owner: 'o',
      name: 'n',
    });
    assert.equal(JSON.stringify(forward), JSON.stringify(backward));
  });

  it('accepts every stage key, the extras beyond APS included', () => {
    const stage = {
      command: 'xpcs-reduce $filePath --out $outputDir',
      workingDir: '/local/analysis/$experimentName',
      outputVariableRegexList: ['Result file: (?P<resultFile>.*)', '(?i)frames: (?P<frames>\\d+)'],
      repeatPeriod: 0.5,
      repeatUntil: '"$status" == "done"',
      maxRepeats: 10,
      runIf: '"h5" in "$fileName" and not "$skip"',
      timeout: 3600,
      retries: 0,
      env: { OMP_NUM_THREADS: '8', RESULT_DIR: '$analysisDirectory/xpcs' },
      site: 'polaris',
      parallel: { fileList: 'ls $dataDirectory/*.h5', maxConcurrent: 4 },
    };
    assert.deepEqual(validateWorkflow(withStage(stage)).stages['01-RUN'], stage);
  });

  it('refuses what is not a workflow at all', () => {
    for (const input of [null, [], 'name: x', 42]) {
      assert.deepEqual(
        problemsOf(input).map((problem) => problem.path),
        [''],
      );
    }
    assert.deepEqual(problemsOf({}), [
      { path: 'name', message: 'is required' },
      { path: 'owner', message: 'is required' },
      { path: 'stages', message: 'is required' },
    ]);
  });

  it('checks name, owner and the other top-level keys', () => {
    const problems = problemsOf({
      name: 'a/b',
      owner: 'bad owner',
      userAccount: '',
      description: 7,
      version: [],
      stages: { '01': { command: 'date' } },
      stagse: {},
    });
    assert.deepEqual(
      problems.map((problem) => problem.path),
      ['stagse', 'name', 'owner', 'description', 'userAccount', 'version'],
    );
    assert.match(problems[0]?.message ?? '', /unknown key 'stagse' \(did you mean 'stages'\?\)/);
    assert.deepEqual(problemsOf({ name: '', owner: 'x', stages: { a: { command: 'c' } } }), [
      { path: 'name', message: 'must not be empty' },
    ]);
    assert.equal(
      problemsOf({ name: 'n'.repeat(101), owner: 'x', stages: { a: { command: 'c' } } }).length,
      1,
    );
    assert.equal(
      validateWorkflow({ name: 'XPCS 8-ID (v2)', owner: 'x', stages: { a: { command: 'c' } } }).name,
      'XPCS 8-ID (v2)',
    );
  });

  it('needs a non-empty object of stages, each with a command', () => {
    const base = { name: 'n', owner: 'o' };
    assert.deepEqual(problemsOf({ ...base, stages: {} }), [
      { path: 'stages', message: 'must have at least one stage' },
    ]);
    assert.match(
      problemsOf({ ...base, stages: [{ command: 'date' }] })[0]?.message ?? '',
      /must be an object of stages/,
    );
    assert.deepEqual(
      problemsOf({ ...base, stages: { a: 'date', b: {}, c: { command: '  ' }, d: { command: ['date'] } } }),
      [
        { path: 'stages.a', message: 'a stage must be an object with a command, not the string "date"' },
        { path: 'stages.b.command', message: 'is required' },
        { path: 'stages.c.command', message: 'must not be empty' },
        { path: 'stages.d.command', message: 'must be a string, not a list' },
      ],
    );
  });

  it('catches misspelt stage keys and suggests the right one', () => {
    const problems = problemsOf(
      withStage({ comand: 'date', workingDirectory: '/tmp', RunIf: 'True', colour: 'red' }),
    );
    assert.deepEqual(problems, [
      { path: 'stages.01-RUN.comand', message: "unknown key 'comand' (did you mean 'command'?)" },
      {
        path: 'stages.01-RUN.workingDirectory',
        message: "unknown key 'workingDirectory' (did you mean 'workingDir'?)",
      },
      { path: 'stages.01-RUN.RunIf', message: "unknown key 'RunIf' (did you mean 'runIf'?)" },
      {
        path: 'stages.01-RUN.colour',
        message:
          "unknown key 'colour' (known keys: command, workingDir, outputVariableRegexList, repeatPeriod, repeatUntil, maxRepeats, runIf, timeout, retries, env, site, parallel)",
      },
      { path: 'stages.01-RUN.command', message: 'is required' },
    ]);
  });

  it('checks output regexes: Python syntax, and no group named like a reserved variable', () => {
    const problems = problemsOf(
      withStage({
        command: 'scan',
        outputVariableRegexList: [
          'no groups is fine',
          '(?P<filePath>.*)',
          '(?P<open.*',
          '(?x) verbose',
          5,
          '(?P<größe>\\d+)',
        ],
      }),
    );
    const at = (index: number) => `stages.01-RUN.outputVariableRegexList[${index}]`;
    assert.deepEqual(
      problems.map((problem) => problem.path),
      [at(1), at(2), at(3), at(4), at(5)],
    );
    assert.match(problems[0]?.message ?? '', /reserved variable \$filePath/);
    assert.match(problems[1]?.message ?? '', /^invalid regex: /);
    assert.match(problems[2]?.message ?? '', /\(\?x\) is not supported/);
    assert.match(problems[3]?.message ?? '', /must be a string, not the number 5/);
    assert.match(problems[4]?.message ?? '', /cannot be used as a variable/);
    assert.match(
      problemsOf(withStage({ command: 'c', outputVariableRegexList: '(?P<a>.*)' }))[0]?.message ?? '',
      /must be a list/,
    );
    for (const name of reservedVariables) {
      assert.equal(
        problemsOf(withStage({ command: 'c', outputVariableRegexList: [`(?P<${name}>.*)`] })).length,
        1,
        name,
      );
    }
  });

  it('wants repeatPeriod, repeatUntil and maxRepeats together, with sensible values', () => {
    assert.deepEqual(problemsOf(withStage({ command: 'poll', repeatPeriod: 10 })), [
      {
        path: 'stages.01-RUN.repeatUntil',
        message: 'is required with repeatPeriod: repeatPeriod, repeatUntil and maxRepeats go together',
      },
      {
        path: 'stages.01-RUN.maxRepeats',
        message: 'is required with repeatPeriod: repeatPeriod, repeatUntil and maxRepeats go together',
      },
    ]);
    const problems = problemsOf(
      withStage({ command: 'poll', repeatPeriod: 0, repeatUntil: '"$done"', maxRepeats: 2.5 }),
    );
    assert.deepEqual(problems, [
      { path: 'stages.01-RUN.repeatPeriod', message: 'must be greater than 0, not 0' },
      { path: 'stages.01-RUN.maxRepeats', message: 'must be a whole number, not 2.5' },
    ]);
    assert.match(
      problemsOf(withStage({ command: 'p', repeatPeriod: '10', repeatUntil: '1', maxRepeats: 0 }))[1]
        ?.message ?? '',
      /at least 1/,
    );
  });

  it('reports condition syntax errors with their column', () => {
    assert.deepEqual(
      problemsOf(
        withStage({ command: 'c', runIf: '"$a" = "b"', repeatUntil: 'x', repeatPeriod: 1, maxRepeats: 1 }),
      ),
      [
        {
          path: 'stages.01-RUN.repeatUntil',
          message: "invalid condition: unknown name 'x' (a variable is written $x) at column 1",
        },
        {
          path: 'stages.01-RUN.runIf',
          message: "invalid condition: unexpected '=' (compare with '==') at column 6",
        },
      ],
    );
  });

  it('checks the extras: timeout, retries, env, site, parallel', () => {
    const problems = problemsOf(
      withStage({
        command: 'c',
        timeout: -1,
        retries: 1.5,
        env: { 'BAD-NAME': 'x', GOOD: 3 },
        site: '',
        parallel: { fileList: '', maxConcurrent: 0, maxConcurent: 2 },
      }),
    );
    assert.deepEqual(
      problems.map(({ path }) => path),
      [
        'stages.01-RUN.timeout',
        'stages.01-RUN.retries',
        'stages.01-RUN.env.BAD-NAME',
        'stages.01-RUN.env.GOOD',
        'stages.01-RUN.site',
        'stages.01-RUN.parallel.maxConcurent',
        'stages.01-RUN.parallel.fileList',
        'stages.01-RUN.parallel.maxConcurrent',
      ],
    );
    assert.match(problems[5]?.message ?? '', /did you mean 'maxConcurrent'/);
  });

  it('lists every problem of a badly broken definition at once, with paths', () => {
    const problems = textProblems(
      JSON.stringify({
        name: 'broken',
        ownr: 's25idcuser',
        stages: {
          '01-START': { command: '/bin/date', outputVariableRegexList: ['(?P<id>.*)'] },
          '04-MD5SUM': { comand: 'md5sum $filePath', runIf: '"a" in' },
        },
      }),
      'json',
    );
    assert.deepEqual(
      problems.map(({ path }) => path),
      [
        'ownr',
        'owner',
        'stages.01-START.outputVariableRegexList[0]',
        'stages.04-MD5SUM.comand',
        'stages.04-MD5SUM.command',
        'stages.04-MD5SUM.runIf',
      ],
    );
  });
});

describe('workflow files', () => {
  const yaml = `
# example-01, as YAML
name: example-01
owner: s25idcuser
userAccount: s25idcuser
description: Workflow Example 01
stages:
  01-START:
    command: /bin/date +%Y%m%d%H%M%S
    outputVariableRegexList: ['(?P<timeStamp>.*)']
  02-MKDIR: {command: /bin/mkdir -p /tmp/workflow.$timeStamp}
  03-ECHO: {command: '/bin/echo "START JOB ID: $id" > /tmp/workflow.$timeStamp/$id.out'}
  04-MD5SUM:
    command: /bin/md5sum $filePath | cut -f1 -d" "
    outputVariableRegexList:
      - (?P<md5Sum>.*)
  05-ECHO:
    command: >-
      echo "FILE $filePath MD5 SUM: $md5Sum" >> /tmp/workflow.$timeStamp/$id.out
  06-DONE: {command: '/bin/echo "STOP JOB ID: $id" >> /tmp/workflow.$timeStamp/$id.out'}
`;
  const python = `##dm-upsert-workflow --py-spec example-01.py
# The same workflow as a Python dict, the way APS users write --py-spec files.
{
    'name': 'example-01',
    'owner': "s25idcuser",   # the account that owns it
    'userAccount': 's25idcuser',
    'description': """Workflow Example 01""",
    'version': None,
    'stages': {
        '01-START': {'command': '/bin/date +%Y%m%d%H%M%S', 'outputVariableRegexList': [r'(?P<timeStamp>.*)',]},
        '02-MKDIR': {'command': '/bin/mkdir -p ' '/tmp/workflow.$timeStamp'},
        '03-ECHO': {'command': '/bin/echo "START JOB ID: $id" > /tmp/workflow.$timeStamp/$id.out'},
        '04-MD5SUM': {'command': '/bin/md5sum $filePath | cut -f1 -d\\" \\"',
                      'outputVariableRegexList': ('(?P<md5Sum>.*)',)},
        '05-ECHO': {'command': '''echo "FILE $filePath MD5 SUM: $md5Sum" >> /tmp/workflow.$timeStamp/$id.out'''},
        '06-DONE': {
            'command': '/bin/echo "STOP JOB ID: $id" \\
>> /tmp/workflow.$timeStamp/$id.out',
        },
    },
}
`;

  it('reads the same workflow from JSON, YAML and a Python spec', () => {
    const fromJson = parseWorkflowText(fixtureText, 'json');
    assert.deepEqual(parseWorkflowText(yaml, 'yaml'), fromJson);
    assert.deepEqual(parseWorkflowText(python, 'python'), fromJson);
    assert.deepEqual(parseWorkflowText(`workflow = ${python.replace(/^#.*$/gm, '')}`, 'python'), fromJson);
  });

  it('knows the format from the file name', () => {
    assert.equal(workflowFormatOf('example-01.json'), 'json');
    assert.equal(workflowFormatOf('/home/s8iduser/xpcs.YML'), 'yaml');
    assert.equal(workflowFormatOf('workflow-xpcs8-01-gladier.py'), 'python');
    assert.equal(workflowFormatOf('notes.txt'), undefined);
  });

  it('refuses a Python spec that would run code, without running it', () => {
    const hostile =
      "{'name': 'x', 'owner': 'y', 'stages': {'01': {'command': __import__('os').system('touch /tmp/pwned')}}}";
    assert.deepEqual(textProblems(hostile, 'python'), [
      {
        path: '',
        message:
          "Python syntax error at line 1, column 58: '__import__' is not a literal: only strings, numbers, True, False, None, dicts, lists and tuples are allowed",
      },
    ]);
    assert.match(
      textProblems("{'name': f'{open(\"/etc/passwd\").read()}'}", 'python')[0]?.message ?? '',
      /f-strings are not supported/,
    );
  });

  it('gives the line and column of syntax errors in every format', () => {
    assert.deepEqual(textProblems('{\n  "name": "x",\n  "owner" "y"\n}', 'json'), [
      { path: '', message: 'JSON syntax error at line 3, column 11: Unexpected string' },
    ]);
    assert.match(
      textProblems('name: x\nstages: [a\nowner: y', 'yaml')[0]?.message ?? '',
      /^YAML syntax error: .* at line 3, column 1$/,
    );
    assert.match(
      textProblems('name: x\nname: y', 'yaml')[0]?.message ?? '',
      /Map keys must be unique at line 2, column 1/,
    );
    assert.deepEqual(textProblems("{\n  'name': 'x',\n  'owner': 'y' + 'z',\n}", 'python'), [
      {
        path: '',
        message: "Python syntax error at line 3, column 16: unexpected '+' where ',' or '}' should be",
      },
    ]);
    assert.match(textProblems('', 'json')[0]?.message ?? '', /JSON syntax error at line 1, column 1/);
    assert.deepEqual(
      textProblems('- just\n- a list', 'yaml').map(({ path }) => path),
      [''],
    );
  });

  it('refuses a YAML alias bomb instead of expanding it', () => {
    const lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
    for (let level = 1; level <= 8; level += 1) {
      const previous = String.fromCharCode(96 + level);
      const next = String.fromCharCode(97 + level);
      lines.push(`${next}: &${next} [${Array(10).fill(`*${previous}`).join(', ')}]`);
    }
    assert.match(textProblems(lines.join('\n'), 'yaml')[0]?.message ?? '', /^YAML error: .*alias/i);
  });
});
