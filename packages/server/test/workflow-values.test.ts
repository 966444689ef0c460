/**
 * Whatever a job's arguments or a stage's captured output hold, a stage sees them as data: the exact value,
 * unquoted, in double quotes or in single quotes, and no command of theirs ever runs. The limits of what a
 * process can be given are said at the API (NUL, too long) or name the variable when a stage fails.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import {
  assertNothingRan,
  finishedJob,
  hostileValues,
  markerName,
  openDirectory,
  startJob,
  upsertWorkflow,
} from './support/hostile-values.ts';
import { type TempDir, tempDir } from './support/temp-dir.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { describeBackends } from './support/test-database.ts';

/** `printf %s` of `$<name>` in the three quoting contexts, into files of the working directory. */
function printedThreeWays(name: string, prefix = name): string {
  return `printf %s $${name} > ${prefix}.u; printf %s "$${name}" > ${prefix}.d; printf %s '$${name}' > ${prefix}.s`;
}

function assertSawThreeWays(directory: string, prefix: string, value: string): void {
  for (const way of ['u', 'd', 's'])
    assert.equal(
      readFileSync(join(directory, `${prefix}.${way}`), 'utf8'),
      value,
      `${prefix}.${way} for ${JSON.stringify(value)}`,
    );
}

describeBackends('values reach stages as data', (backend) => {
  let t: TestApp;
  let scratch: TempDir;

  before(async () => {
    t = await createTestApp(backend, { DM_MIN_REPEAT_PERIOD: '0.01' });
    scratch = await tempDir('dm-values-');
    openDirectory(scratch.path);
  });
  after(async () => {
    await t.close();
    await scratch.remove();
  });

  it('passes every argument exactly, with any metacharacter, newline or length, running none of it', async () => {
    const directory = openDirectory(join(scratch.path, 'arguments'));
    const values = [...hostileValues({ newlines: true }), `;$(touch ${markerName})"'\n`.repeat(3000)];
    const args = Object.fromEntries(values.map((value, index) => [`v${index}`, value]));
    await upsertWorkflow(t, {
      name: 'argument-values',
      owner: 'admin',
      stages: {
        print: {
          command: values.map((_, index) => printedThreeWays(`v${index}`)).join('\n'),
          workingDir: directory,
        },
      },
    });
    const job = await finishedJob(t, await startJob(t, { workflow: 'argument-values', arguments: args }));
    assert.equal(job.status, 'done', job.errorMessage);
    values.forEach((value, index) => {
      assertSawThreeWays(directory, `v${index}`, value);
    });
    assertNothingRan(directory);
    assert.match(job.stages.print.childProcesses[0].command, /^printf %s x; touch INJECTED > v\d+\.u/m);
  });

  it('passes captured output variables exactly, running none of them', async () => {
    const directory = openDirectory(join(scratch.path, 'captured'));
    const values = hostileValues({ newlines: false });
    const multiline = `first line\n$(touch ${markerName})\n'"; touch ${markerName}`;
    writeFileSync(
      join(directory, 'payload'),
      `${values.map((value, index) => `<<c${index}>>${value}\n`).join('')}<<multi>>${multiline}<<end>>\n`,
    );
    await upsertWorkflow(t, {
      name: 'captured-values',
      owner: 'admin',
      stages: {
        capture: {
          command: 'cat payload',
          workingDir: directory,
          outputVariableRegexList: [
            ...values.map((_, index) => `<<c${index}>>(?P<c${index}>.*)`),
            '<<multi>>(?P<multi>[\\s\\S]*)<<end>>',
          ],
        },
        print: {
          command: [
            ...values.map((_, index) => printedThreeWays(`c${index}`)),
            printedThreeWays('multi'),
          ].join('; '),
          workingDir: directory,
        },
      },
    });
    const job = await finishedJob(t, await startJob(t, { workflow: 'captured-values' }));
    assert.equal(job.status, 'done', job.errorMessage);
    values.forEach((value, index) => {
      assert.equal(job.variables[`c${index}`], value);
      assertSawThreeWays(directory, `c${index}`, value);
    });
    assertSawThreeWays(directory, 'multi', multiline);
    assertNothingRan(directory);
  });

  it('keeps runIf and repeatUntil as written, whatever quotes or operators a value holds', async () => {
    const directory = openDirectory(join(scratch.path, 'conditions'));
    await upsertWorkflow(t, {
      name: 'condition-values',
      owner: 'admin',
      stages: {
        never: {
          command: `touch ${markerName}`,
          workingDir: directory,
          runIf: '"$v" == "safe" or $n == 5',
        },
        once: {
          command: 'echo ran >> runs',
          workingDir: directory,
          repeatPeriod: 0.01,
          repeatUntil: '"$v" != "safe" and $n != 5',
          maxRepeats: 3,
        },
      },
    });
    const job = await finishedJob(
      t,
      await startJob(t, {
        workflow: 'condition-values',
        arguments: { v: 'x" or "a" == "a', n: '5 or 1 == 1' },
      }),
    );
    assert.equal(job.status, 'done', job.errorMessage);
    assert.equal(job.stages.never.status, 'skipped');
    assert.equal(readFileSync(join(directory, 'runs'), 'utf8'), 'ran\n');
    assertNothingRan(directory);
  });

  it('hands parallel file lists, working directories and env values over as they are, never to a shell', async () => {
    const directory = openDirectory(join(scratch.path, 'parallel'));
    const names = hostileValues({ newlines: false }).filter((name) => name.trim() === name && name !== '');
    const odd = openDirectory(join(directory, `w;$(touch ${markerName}) \`id\``));
    await upsertWorkflow(t, {
      name: 'parallel-values',
      owner: 'admin',
      stages: {
        each: {
          command: `printf '%s\\0' "$filePath" >> ${join(directory, 'seen')}`,
          workingDir: '$place',
          parallel: { fileList: '$files', maxConcurrent: 2 },
        },
        where: {
          command: 'pwd > here; printf %s "\\$X" > env-value',
          workingDir: '$place',
          env: { X: '$v' },
        },
      },
    });
    const job = await finishedJob(
      t,
      await startJob(t, {
        workflow: 'parallel-values',
        arguments: { files: names.join('\n'), place: odd, v: `$(touch ${markerName})'"` },
      }),
    );
    assert.equal(job.status, 'done', job.errorMessage);
    const seen = readFileSync(join(directory, 'seen'), 'utf8').split('\0').slice(0, -1);
    assert.deepEqual(seen.sort(), [...names].sort());
    assert.equal(readFileSync(join(odd, 'here'), 'utf8'), `${odd}\n`);
    assert.equal(readFileSync(join(odd, 'env-value'), 'utf8'), `$(touch ${markerName})'"`);
    assertNothingRan(directory);
    assertNothingRan(odd);
  });

  it('refuses NUL and over-long arguments at the API, naming the field', async () => {
    await upsertWorkflow(t, { name: 'limits', owner: 'admin', stages: { a: { command: 'true' } } });
    const refused = async (args: Record<string, string>, field: string) => {
      const response = await t.call('POST', '/api/v1/jobs', {
        body: { workflow: 'limits', arguments: args },
      });
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.equal(response.body.error.code, 'validation_failed');
      assert.ok(
        response.body.error.details.fields.some((problem: { field: string }) => problem.field === field),
        JSON.stringify(response.body),
      );
    };
    await refused({ msg: 'a\u0000b' }, 'arguments/msg');
    await refused({ wide: 'é'.repeat(40_000) }, 'arguments/wide');
    const large = 'x'.repeat(60_000);
    await refused({ a: large, b: large, c: large, d: large, e: large }, 'arguments');
    const daq = await t.call('POST', '/api/v1/daqs', {
      body: {
        experiment: 'none',
        dataDirectory: scratch.path,
        workflow: 'limits',
        workflowArgs: { x: '\u0000' },
      },
    });
    assert.equal(daq.status, 400, JSON.stringify(daq.body));
    assert.equal(daq.body.error.details.fields[0].field, 'workflowArgs/x');
  });

  it('fails a stage whose captured variable is too long to give a process, naming the variable', async () => {
    await upsertWorkflow(t, {
      name: 'too-long',
      owner: 'admin',
      stages: {
        produce: {
          command: "head -c 200000 /dev/zero | tr '\\0' x",
          outputVariableRegexList: ['(?P<big>x+)'],
        },
        use: { command: 'printf %s $big | wc -c' },
      },
    });
    const job = await finishedJob(t, await startJob(t, { workflow: 'too-long' }));
    assert.equal(job.status, 'failed');
    assert.equal(job.big.length, 200_000);
    assert.match(
      job.errorMessage,
      /stage use failed: \$big is 200000 bytes, more than a process can be given/,
    );
    await upsertWorkflow(t, {
      name: 'too-long-env',
      owner: 'admin',
      stages: {
        produce: {
          command: "head -c 200000 /dev/zero | tr '\\0' x",
          outputVariableRegexList: ['(?P<big>x+)'],
        },
        use: { command: 'printf %s "\\$BIG" | wc -c', env: { BIG: '$big' } },
      },
    });
    const viaEnv = await finishedJob(t, await startJob(t, { workflow: 'too-long-env' }));
    assert.equal(viaEnv.status, 'failed');
    assert.match(viaEnv.errorMessage, /stage use failed: env\.BIG is 200005 bytes with its name, more than/);
  });

  it('refuses at upsert a command where a value could not be data, naming the stage', async () => {
    const response = await t.call('POST', '/api/v1/workflows', {
      body: {
        definition: {
          name: 'quoted-heredoc',
          owner: 'admin',
          stages: { '01-write': { command: "cat > out <<'EOF'\n$filePath\nEOF" } },
        },
      },
    });
    assert.equal(response.status, 400, JSON.stringify(response.body));
    assert.match(
      response.body.error.message,
      /stages\.01-write\.command: .*\$filePath in the body of a here-document with a quoted delimiter/,
    );
  });
});
